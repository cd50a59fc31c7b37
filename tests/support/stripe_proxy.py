"""A proxy in front of the local Stripe that can stop the next refund at one chosen point.

Faults on the money path happen in three windows, and each needs the caller to be
stopped (or killed) at an exact moment, which timing alone cannot give:
- "before": the refund request never reaches Stripe (the caller died, or the network
  failed, after the ledger row was claimed);
- "after": Stripe makes the refund but its reply never arrives (the caller died, or the
  reply was lost, before the ledger recorded it);
- "late": Stripe is silent past the caller's timeout, then makes the refund anyway.
A fourth, "held", is only a slow Stripe: the refund waits at its door, then goes through.

`hold_next_refund(stage)` arms the proxy for one refund creation; `arrived` is set when
that request reaches the stage, and the proxy waits for `release` before it finishes
(closing the connection without a reply in every stage but "held"). Everything else passes
through, each request `delay` seconds late (Stripe answering slowly, for bench/actions.py).

    python -m tests.support.stripe_proxy UPSTREAM --port PORT [--delay SECONDS]

runs one in a process of its own, until it is stopped.
"""
from __future__ import annotations

import argparse
import http.client
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STAGES = ("before", "after", "late", "held")
HOLD_LIMIT = 120  # seconds: a test that never releases cannot hang the suite


class StripeProxy:
    def __init__(self, upstream: str, delay: float = 0.0, port: int = 0):
        self.upstream, self.delay = urllib.parse.urlsplit(upstream), delay
        self.arrived, self.release = threading.Event(), threading.Event()
        self.refunds_forwarded = 0
        self._stage: str | None = None
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                proxy._handle(self)

            do_GET = do_POST = do_DELETE = _handle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def hold_next_refund(self, stage: str) -> None:
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}")
        with self._lock:
            self._stage = stage
            self.arrived.clear()
            self.release.clear()

    def wait_for_forwarded(self, count: int, seconds: float = 30.0) -> None:
        """Until `count` held refunds reached Stripe (a late one arrives after its caller gave up)."""
        deadline = time.monotonic() + seconds
        while self.refunds_forwarded < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.refunds_forwarded} of {count} held refunds reached Stripe")
            time.sleep(0.05)

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def _take_stage(self, handler: BaseHTTPRequestHandler) -> str | None:
        if handler.command != "POST" or not handler.path.startswith("/v1/refunds"):
            return None
        with self._lock:
            stage, self._stage = self._stage, None
            return stage

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        stage = self._take_stage(handler)
        time.sleep(self.delay)
        if stage in ("before", "late", "held"):
            self.arrived.set()
            self.release.wait(HOLD_LIMIT)
            if stage == "before":
                handler.close_connection = True
                return  # Stripe never hears of it
        status, headers, payload = self._forward(handler, body)
        if stage is not None:
            self.refunds_forwarded += 1
        if stage == "after":
            self.arrived.set()
            self.release.wait(HOLD_LIMIT)
        if stage is not None and stage != "held":
            handler.close_connection = True
            return  # the refund exists in Stripe; its reply is lost
        handler.send_response(status)
        for key, value in headers:
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes):
        connection = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host", "connection")}
        try:
            connection.request(handler.command, handler.path, body=body or None, headers=headers)
            reply = connection.getresponse()
            return reply.status, reply.getheaders(), reply.read()
        finally:
            connection.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.support.stripe_proxy", description=__doc__.split("\n")[0])
    parser.add_argument("upstream", help="the local Stripe, e.g. http://127.0.0.1:8420")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds added to every request")
    args = parser.parse_args(argv)
    StripeProxy(args.upstream, delay=args.delay, port=args.port)
    threading.Event().wait()  # its server runs in a thread of its own


if __name__ == "__main__":
    main()
