"""A workspace member the `api` member depends on."""


def hello(name):
    return f"hello {name}"
