"""Prints a slug made by python-slugify (installed by pipenv from Pipfile.lock)."""
import os

from slugify import slugify

print(f"pipenv: {slugify('Hello, Stagefile World!')}, uid {os.getuid()}")
