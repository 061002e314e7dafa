"""Prints a number the way humanize (installed by pdm from pdm.lock) writes it."""
import os

import humanize

print(f"pdm: {humanize.intcomma(1234567)}, uid {os.getuid()}")
