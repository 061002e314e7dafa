"""Token hashes, kept in PostgreSQL when DATABASE_URL is set, else in SQLite under the data dir."""
import sqlite3
from pathlib import Path

import psycopg2


class SqliteStore:
    """Hashes in `<data_dir>/tokens.db`."""

    def __init__(self, data_dir: Path):
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "tokens.db"
        with sqlite3.connect(self.path) as db:
            db.execute("CREATE TABLE IF NOT EXISTS tokens (name TEXT PRIMARY KEY, hash TEXT)")

    def put(self, name: str, digest: str) -> None:
        with sqlite3.connect(self.path) as db:
            db.execute("INSERT OR REPLACE INTO tokens VALUES (?, ?)", (name, digest))

    def get(self, name: str) -> str | None:
        with sqlite3.connect(self.path) as db:
            row = db.execute("SELECT hash FROM tokens WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None


class PostgresStore:
    """Hashes in a `tokens` table of the DATABASE_URL database."""

    def __init__(self, url: str):
        self.url = url
        with psycopg2.connect(url) as db, db.cursor() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS tokens (name TEXT PRIMARY KEY, hash TEXT)")

    def put(self, name: str, digest: str) -> None:
        with psycopg2.connect(self.url) as db, db.cursor() as cur:
            cur.execute(
                "INSERT INTO tokens VALUES (%s, %s) ON CONFLICT (name) DO UPDATE SET hash = %s",
                (name, digest, digest),
            )

    def get(self, name: str) -> str | None:
        with psycopg2.connect(self.url) as db, db.cursor() as cur:
            cur.execute("SELECT hash FROM tokens WHERE name = %s", (name,))
            row = cur.fetchone()
        return row[0] if row else None
