"""md2html: render Markdown (a file or stdin) to an HTML fragment or a standalone page."""

import argparse
import html
import platform
import sys
from importlib.metadata import version

import markdown

__version__ = "1.0.0"

EXTENSIONS = ["extra", "sane_lists", "toc"]


def generator() -> str:
    """Who rendered the page: this tool, Python-Markdown and the interpreter, by version."""
    return (
        f"md2html {__version__} (Python-Markdown {version('Markdown')}, "
        f"Python {platform.python_version()})"
    )


def render(text: str, title: str | None = None, toc: bool = False) -> str:
    md = markdown.Markdown(extensions=EXTENSIONS, output_format="html")
    body = md.convert(text)
    if toc and md.toc_tokens:
        body = md.toc + body
    if title is None:
        return f"<!-- {generator()} -->\n{body}\n"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="generator" content="{html.escape(generator())}">\n'
        f"<title>{html.escape(title)}</title>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="md2html",
        description="Render Markdown to HTML with Python-Markdown "
        "(tables, fenced code, footnotes, heading anchors).",
    )
    parser.add_argument("file", nargs="?", help="Markdown file to read (default: stdin)")
    parser.add_argument("-t", "--title", help="emit a full HTML page with this title")
    parser.add_argument("--toc", action="store_true", help="put a table of contents first")
    parser.add_argument("-V", "--version", action="version", version=generator())
    args = parser.parse_args(argv)
    try:
        if args.file is None or args.file == "-":
            text = sys.stdin.read()
        else:
            with open(args.file, encoding="utf-8") as f:
                text = f.read()
    except OSError as error:
        print(f"md2html: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(render(text, title=args.title, toc=args.toc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
