"""Serves the CSS bundle built by the Node stage."""
from pathlib import Path

STATIC = Path(__file__).parent / "static_final"


def application(environ, start_response):
    path = environ.get("PATH_INFO", "/").lstrip("/")
    target = STATIC / path
    if path and target.is_file():
        start_response("200 OK", [("Content-Type", "text/css")])
        return [target.read_bytes()]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"assets: " + b",".join(sorted(p.name.encode() for p in STATIC.iterdir())) + b"\n"]
