"""Kubernetes' readiness and startup probes (deploy/k8s): ready means able to serve a turn.

    python -m bot.ops.probe rasa http://127.0.0.1:5005   Rasa: its model is loaded, and the app
                                                          and tracker databases answer
    python -m bot.ops.probe app http://127.0.0.1:5080/health   any other server: it answers, and
                                                          the app database answers

Rasa's `/` is no such sign: it answers once the server listens, and a model that failed to
load leaves the server listening with no model (every turn then fails); only `/status`, which
needs the API token, says 409 until a model is loaded. A probe cannot send a secret over
httpGet, so this runs in the pod and reads the token from its environment. It imports neither
SQLAlchemy nor Rasa (a probe runs every few seconds in every pod): the databases are asked
`SELECT 1` over their own drivers. Liveness probes stay plain httpGet on the servers' own
`/health` and `/`, never a database: an outage of PostgreSQL must not restart every pod.

Exit status 0 when ready; 1 with one line saying why not.
"""
from __future__ import annotations

import json
import sqlite3
import sys
import urllib.error
import urllib.parse
import urllib.request

import psycopg2

from bot.settings import settings

TIMEOUT = 2.0  # seconds per check; the probes' timeoutSeconds leave room for three


class NotReady(Exception):
    pass


def get_json(url: str) -> dict:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise NotReady(f"{urllib.parse.urlsplit(url).path} answered {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise NotReady(f"{urllib.parse.urlsplit(url).path}: {getattr(exc, 'reason', exc)}") from None


def model_loaded(rasa_url: str, token: str) -> None:
    status = get_json(f"{rasa_url.rstrip('/')}/status?{urllib.parse.urlencode({'token': token})}")
    if not status.get("model_file"):
        raise NotReady("Rasa has no model loaded")


def database_answers(url: str, what: str) -> None:
    """`SELECT 1` on the database at a SQLAlchemy URL (PostgreSQL or a SQLite file)."""
    parts = urllib.parse.urlsplit(url)
    try:
        if parts.scheme.startswith("sqlite"):
            connection = sqlite3.connect(f"file:{parts.path[1:]}?mode=ro", uri=True, timeout=TIMEOUT)
        else:  # libpq reads the same URL once the SQLAlchemy driver name is dropped
            connection = psycopg2.connect(parts._replace(scheme="postgresql").geturl(), connect_timeout=int(TIMEOUT))
        try:
            connection.cursor().execute("SELECT 1")
        finally:
            connection.close()
    except (sqlite3.Error, psycopg2.Error) as exc:
        raise NotReady(f"the {what} database does not answer: {str(exc).strip().splitlines()[0]}") from None


def check(kind: str, url: str) -> None:
    config = settings()
    if kind == "rasa":
        model_loaded(url, config.rasa_auth_token)
        if config.tracker_database_url:
            database_answers(config.tracker_database_url, "tracker")
    else:
        get_json(url)
    database_answers(config.database_url, "app")


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("rasa", "app"):
        print("usage: python -m bot.ops.probe rasa|app URL", file=sys.stderr)
        return 2
    try:
        check(*argv)
    except NotReady as exc:
        print(f"not ready: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
