"""A local stand-in for Slack: the Web API (chat.postMessage) and interaction response
URLs, recording what the project sent. slack_sdk's WebClient takes its base URL."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class SlackStandIn:
    def __init__(self):
        self.posted: list[dict] = []  # chat.postMessage arguments
        self.responses: list[dict] = []  # bodies sent to response URLs
        self.users: dict[str, str] = {}  # user id -> profile email, for users.info
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                body = json.loads(raw) if raw.startswith("{") else dict(
                    pair.split("=", 1) for pair in raw.split("&") if "=" in pair)
                if self.path.startswith("/api/users.info"):
                    from urllib.parse import parse_qs, unquote, urlparse
                    query = parse_qs(urlparse(self.path).query)
                    user = unquote(body.get("user") or query.get("user", [""])[0])
                    reply = recorder.user_info(user)
                elif self.path.startswith("/api/chat.postMessage"):
                    recorder.posted.append(body)
                    reply = {"ok": True, "channel": body.get("channel"), "ts": f"{len(recorder.posted)}.0"}
                else:
                    recorder.responses.append(body)
                    reply = {"ok": True}
                self._json(reply)

            def do_GET(self):  # noqa: N802 - users.info
                from urllib.parse import parse_qs, urlparse
                url = urlparse(self.path)
                user = parse_qs(url.query).get("user", [""])[0]
                reply = recorder.user_info(user) if url.path == "/api/users.info" else {"ok": False}
                self._json(reply)

            def _json(self, reply: dict) -> None:
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def user_info(self, user: str) -> dict:
        if user in self.users:
            return {"ok": True, "user": {"id": user, "profile": {"email": self.users[user]}}}
        return {"ok": False, "error": "user_not_found"}

    def posted_to(self, channel: str) -> list[dict]:
        return [p for p in self.posted if p.get("channel") == channel]

    def close(self):
        self.server.shutdown()


@pytest.fixture(scope="session")
def slack():
    standin = SlackStandIn()
    yield standin
    standin.close()
