from setuptools import setup

setup(
    name="greeter",
    version="0.1.0",
    py_modules=["greeter"],
    install_requires=["humanize>=4,<5"],
    entry_points={"console_scripts": ["greet=greeter:main"]},
)
