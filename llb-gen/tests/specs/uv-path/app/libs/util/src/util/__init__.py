"""A local package the app depends on through a `path` source."""


def shout(text):
    return text.upper()
