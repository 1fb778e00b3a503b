"""A real HTTP server on 127.0.0.1 that records what it receives: the far end of a webhook.

Use the ``http_receiver`` fixture (import it into a test module or conftest.py). Set
``status`` to answer with an error and ``delay_s`` to hang before answering; every request
is recorded before the delay, so it is visible even when the sender gives up waiting.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, NamedTuple, Self

import pytest


class ReceivedRequest(NamedTuple):
    path: str  # with the query string
    headers: dict[str, str]
    body: Any  # the parsed JSON when the body is JSON, else the raw bytes


class HttpReceiver:
    """Runs a ThreadingHTTPServer in a thread until ``close()`` (or the ``with`` block ends)."""

    def __init__(self) -> None:
        self.requests: list[ReceivedRequest] = []
        self.status = 200
        self.delay_s = 0.0
        self._arrived = threading.Condition()
        self._closing = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.host, self.port = self._server.server_address[:2]
        # A short poll interval: shutdown() waits up to one interval, at every teardown.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="http-receiver",
            daemon=True,
        )
        self._thread.start()

    def url(self, path: str = "/", scheme: str = "json") -> str:
        """An apprise URL (``json://``) or, with ``scheme="http"``, a plain one for ``path``."""
        return f"{scheme}://{self.host}:{self.port}/{path.lstrip('/')}"

    def wait_for(self, n: int, timeout: float = 5.0) -> list[ReceivedRequest]:
        """Block until at least ``n`` requests arrived; returns them all."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.requests) >= n, timeout):
                raise AssertionError(
                    f"expected {n} request(s) within {timeout} s, got {len(self.requests)}"
                )
            return list(self.requests)

    def close(self) -> None:
        # Wake handlers that are hanging on purpose, or shutdown would wait for them.
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _record(self, request: ReceivedRequest) -> None:
        with self._arrived:
            self.requests.append(request)
            self._arrived.notify_all()

    def _hang(self) -> None:
        self._closing.wait(self.delay_s)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _handler_for(receiver: HttpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _receive(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body: Any = json.loads(raw) if raw else raw
            except ValueError:
                body = raw
            receiver._record(ReceivedRequest(self.path, dict(self.headers.items()), body))
            started = time.monotonic()
            receiver._hang()
            if receiver._closing.is_set() and time.monotonic() - started < receiver.delay_s:
                return  # torn down mid-hang: nobody is listening for the answer
            answer = json.dumps({"status": receiver.status}).encode()
            self.send_response(receiver.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        do_POST = do_PUT = do_GET = do_PATCH = do_DELETE = _receive

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean; the requests are in receiver.requests

    return Handler


@pytest.fixture(name="http_receiver")
def http_receiver() -> Iterator[HttpReceiver]:
    """A fresh receiver per test on a free port, closed afterwards."""
    with HttpReceiver() as receiver:
        yield receiver
