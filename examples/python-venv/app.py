"""A small bookshelf page: Flask, a Jinja template, a stylesheet, and psycopg2's libpq build."""
import os

import psycopg2
from flask import Flask, jsonify, render_template

app = Flask(__name__)

BOOKS = [
    {"title": "The Pragmatic Programmer", "year": 1999},
    {"title": "Designing Data-Intensive Applications", "year": 2017},
    {"title": "The Linux Programming Interface", "year": 2010},
]


def libpq_version() -> str:
    """libpq's version as psycopg2 was compiled against it, e.g. 15.10."""
    number = psycopg2.__libpq_version__
    return f"{number // 10000}.{number % 10000}"


@app.get("/")
def index():
    books = sorted(BOOKS, key=lambda book: book["year"])
    return render_template("index.html", books=books, libpq=libpq_version())


@app.get("/health")
def health():
    return jsonify(status="ok", psycopg2=psycopg2.__version__.split()[0],
                   libpq=libpq_version(), uid=os.getuid())
