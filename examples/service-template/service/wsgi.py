"""The WSGI app: POST /tokens/{name} issues a token, POST /tokens/{name}/verify checks one."""
import os
import secrets

import falcon
import psycopg2
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

from .config import Config
from .store import PostgresStore, SqliteStore

config = Config.from_env()
store = PostgresStore(config.database_url) if config.database_url else SqliteStore(config.data_dir)
hasher = PasswordHasher()


class Health:
    def on_get(self, req, resp):
        resp.media = {
            "service": config.name,
            "status": "ok",
            "store": type(store).__name__,
            "libpq": psycopg2.__libpq_version__,
            "uid": os.getuid(),
        }


class Tokens:
    def on_post(self, req, resp, name):
        token = secrets.token_urlsafe(24)
        store.put(name, hasher.hash(token))
        resp.status = falcon.HTTP_201
        resp.media = {"name": name, "token": token}

    def on_post_verify(self, req, resp, name):
        digest = store.get(name)
        token = (req.get_media(default_when_empty={}) or {}).get("token", "")
        try:
            valid = digest is not None and hasher.verify(digest, token)
        except VerifyMismatchError:
            valid = False
        resp.media = {"name": name, "valid": valid}


app = falcon.App()
app.add_route("/health", Health())
tokens = Tokens()
app.add_route("/tokens/{name}", tokens)
app.add_route("/tokens/{name}/verify", tokens, suffix="verify")
