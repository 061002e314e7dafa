"""Prints what its workspace sibling and its PyPI dependency make of a number, and who runs it."""

import os

import humanize
from greeting import hello


def main():
    print(f"{hello('workspace')}: {humanize.intcomma(1234567)}, uid {os.getuid()}")
