"""Prints what its local package and its PyPI dependency make of a number, and who runs it."""

import os

import humanize
from util import shout


def main():
    print(f"{shout('path')}: {humanize.intcomma(7654321)}, uid {os.getuid()}")
