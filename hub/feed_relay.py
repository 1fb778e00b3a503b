"""The live feed across hub workers: each worker's changes reach every worker's WebSockets.

A dispatcher's console holds a WebSocket to one worker (whichever the load balancer chose),
but with shared subscriptions the alert of her resident may be raised by another. So every
worker relays the feed messages it publishes through PostgreSQL's ``NOTIFY`` on one channel
(after the commit that made them, as its own feed does) and ``LISTEN`` s there for the
others', which it publishes to its own subscribers. A message carries its worker's origin,
so a worker does not publish its own twice.

A NOTIFY payload is at most 8,000 bytes: a larger message (an alert with unusually big
evidence) is not relayed, counted in ``too_large``; the other workers' consoles show it at
their next reload, as after any feed overflow. While the listening connection is down
(PostgreSQL restarting), messages of other workers are missed the same way; the listener
connects again within a second or two.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from .feed import AlertFeed, FeedMessage

log = logging.getLogger("hub.feed_relay")

CHANNEL = "eldercare_feed"
MAX_PAYLOAD = 7900  # PostgreSQL's NOTIFY limit is 8000 bytes


def libpq_url(database: str) -> str:
    """The SQLAlchemy URL as psycopg takes it (no ``+driver``)."""
    url = make_url(database).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class FeedRelay:
    """``send`` (on the event loop, after a commit) and ``run`` (the hub's ``feed-relay``
    task, listening)."""

    def __init__(self, database: str, origin: str, feed: AlertFeed):
        self.url = libpq_url(database)
        self.origin = origin
        self.feed = feed
        self.relayed = 0
        self.received = 0
        self.too_large = 0
        self.failures = 0
        self._sender = ThreadPoolExecutor(1, thread_name_prefix="hub-feed-relay")
        self._connection: psycopg.Connection[Any] | None = None
        self._stop = threading.Event()

    def send(self, messages: list[FeedMessage]) -> None:
        """Relay ``messages`` to the other workers, in order, without waiting for it."""
        if messages:
            self._sender.submit(self._notify, messages)

    def _notify(self, messages: list[FeedMessage]) -> None:
        payloads = []
        for message in messages:
            payload = json.dumps({"origin": self.origin, "message": message.to_json()})
            if len(payload.encode()) > MAX_PAYLOAD:
                self.too_large += 1
                continue
            payloads.append(payload)
        if not payloads:
            return
        try:
            if self._connection is None or self._connection.closed:
                self._connection = psycopg.connect(self.url, autocommit=True)
            # One statement, one round trip for the lot (autocommit: no BEGIN nor COMMIT of
            # their own); the notifications of one transaction arrive in the order sent.
            self._connection.execute(
                "SELECT pg_notify(%s, payload) FROM unnest(%s::text[]) WITH ORDINALITY "
                "AS sent(payload, n) ORDER BY n",
                (CHANNEL, payloads),
            )
            self.relayed += len(payloads)
        except psycopg.Error as exc:
            self.failures += 1
            log.warning("feed relay: %d messages not relayed: %s", len(payloads), exc)
            self._connection = None

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                try:
                    await asyncio.to_thread(self._listen, loop)
                except psycopg.Error as exc:
                    log.warning("feed relay: listening failed (%s); again in a second", exc)
                await asyncio.sleep(1.0)
        finally:
            self._stop.set()
            self._sender.shutdown(wait=False, cancel_futures=True)

    def _listen(self, loop: asyncio.AbstractEventLoop) -> None:
        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute(f"LISTEN {CHANNEL}")
            while not self._stop.is_set():
                for notice in connection.notifies(timeout=1.0):
                    message = self._message_of(notice.payload)
                    if message is not None:
                        loop.call_soon_threadsafe(self._publish, message)

    def _publish(self, message: FeedMessage) -> None:
        self.received += 1
        self.feed.publish(message)

    def _message_of(self, payload: str) -> FeedMessage | None:
        try:
            wrapper = json.loads(payload)
            if wrapper.get("origin") == self.origin:
                return None
            document = json.loads(wrapper["message"])
            return FeedMessage(
                type=document["type"],
                station=document["station"],
                resident=document["resident"],
                payload=document["data"],
                at=document["at"],
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("feed relay: a message that is not ours ignored: %r", exc)
            return None

    def status(self) -> dict[str, int]:
        return {
            "relayed": self.relayed,
            "received": self.received,
            "too_large": self.too_large,
            "failures": self.failures,
        }
