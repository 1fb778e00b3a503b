"""The live feed across hub workers: each worker's changes reach every worker's WebSockets.

A dispatcher's console holds a WebSocket to one worker (whichever the load balancer chose),
but with shared subscriptions the alert of her resident may be raised by another. So every
worker relays the feed messages it publishes through PostgreSQL's ``NOTIFY`` on one channel
(after the commit that made them, as its own feed does) and ``LISTEN`` s there for the
others', which it publishes to its own subscribers. A message carries its worker's origin,
so a worker does not publish its own twice.

A NOTIFY payload is at most 8,000 bytes: a larger message (an alert with unusually big
evidence) is written to ``feed_spill`` (committed at once: the relay's connection is in
autocommit) before the statement that sends the NOTIFYs, which carries only its origin and
the row's id; a listener reads the row (committed before its notice was sent, so it is
there) and publishes the message as any other, in its order. Rows older than
:data:`SPILL_KEEP_S` are deleted by the next spill; a listener later than that (it never
is, short of a stall) misses the message, counted in ``spill_missed``.
While the listening connection is down (PostgreSQL restarting), messages of other workers
are missed; the listener connects again within a second or two, and the consoles show the
missed changes at their next reload, as after any feed overflow.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from .feed import AlertFeed, FeedMessage

log = logging.getLogger("hub.feed_relay")

CHANNEL = "eldercare_feed"
MAX_PAYLOAD = 7900  # PostgreSQL's NOTIFY limit is 8000 bytes
SPILL_KEEP_S = 60.0  # a spilled message's row, for listeners to read


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
        self.spilled = 0
        self.spill_missed = 0
        self.failures = 0
        self._sender = ThreadPoolExecutor(1, thread_name_prefix="hub-feed-relay")
        self._connection: psycopg.Connection[Any] | None = None
        self._stop = threading.Event()

    def send(self, messages: list[FeedMessage]) -> None:
        """Relay ``messages`` to the other workers, in order, without waiting for it."""
        if messages:
            self._sender.submit(self._notify, messages)

    def _notify(self, messages: list[FeedMessage]) -> None:
        try:
            if self._connection is None or self._connection.closed:
                self._connection = psycopg.connect(self.url, autocommit=True)
            connection, now, payloads, spilled = self._connection, time.time(), [], 0
            for message in messages:
                document = message.to_json()
                payload = json.dumps({"origin": self.origin, "message": document})
                if len(payload.encode()) > MAX_PAYLOAD:  # rare: a statement of its own
                    spill_id = self._spill(connection, document, now)
                    payload = json.dumps({"origin": self.origin, "spill": spill_id})
                    spilled += 1
                payloads.append(payload)
            # One statement, one round trip for the lot (autocommit: no BEGIN nor COMMIT of
            # their own; a spill is committed before its notice); the notifications of one
            # statement arrive in the order sent.
            connection.execute(
                "SELECT pg_notify(%s, payload) FROM unnest(%s::text[]) WITH ORDINALITY "
                "AS sent(payload, n) ORDER BY n",
                (CHANNEL, payloads),
            )
            if spilled:
                connection.execute(
                    "DELETE FROM feed_spill WHERE created_at < %s", (now - SPILL_KEEP_S,)
                )
            self.relayed += len(messages)
            self.spilled += spilled
        except psycopg.Error as exc:
            self.failures += 1
            log.warning("feed relay: %d messages not relayed: %s", len(messages), exc)
            self._connection = None

    @staticmethod
    def _spill(connection: psycopg.Connection[Any], document: str, now: float) -> int:
        row = connection.execute(
            "INSERT INTO feed_spill (payload, created_at) VALUES (%s, %s) RETURNING id",
            (document, now),
        ).fetchone()
        assert row is not None  # INSERT ... RETURNING gives its row
        return int(row[0])

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
        with ExitStack() as stack:
            connection = stack.enter_context(psycopg.connect(self.url, autocommit=True))
            connection.execute(f"LISTEN {CHANNEL}")
            # Spills are read on a second connection: notifies() holds the first one.
            reader: psycopg.Connection[Any] | None = None
            while not self._stop.is_set():
                for notice in connection.notifies(timeout=1.0):
                    wrapper = self._wrapper_of(notice.payload)
                    if wrapper is None:
                        continue
                    document, spill = wrapper.get("message"), wrapper.get("spill")
                    if isinstance(spill, int):
                        if reader is None:
                            reader = stack.enter_context(psycopg.connect(self.url, autocommit=True))
                        document = self._spilled(reader, spill)
                    message = self._message_of(document)
                    if message is not None:
                        loop.call_soon_threadsafe(self._publish, message)

    def _publish(self, message: FeedMessage) -> None:
        self.received += 1
        self.feed.publish(message)

    def _wrapper_of(self, payload: str) -> dict[str, Any] | None:
        """The NOTIFY's document, if another worker's."""
        try:
            wrapper = json.loads(payload)
            if not isinstance(wrapper, dict) or wrapper.get("origin") == self.origin:
                return None
            return wrapper
        except ValueError as exc:
            log.warning("feed relay: a notice that is not ours ignored: %r", exc)
            return None

    def _spilled(self, reader: psycopg.Connection[Any], spill_id: int) -> str | None:
        found = reader.execute("SELECT payload FROM feed_spill WHERE id = %s", (spill_id,))
        row = found.fetchone()
        if row is None:
            self.spill_missed += 1
            log.warning("feed relay: spilled message %d gone before it was read", spill_id)
            return None
        return str(row[0])

    def _message_of(self, document: object) -> FeedMessage | None:
        """The feed message in ``document`` (None: a spill that was gone)."""
        if document is None:
            return None
        try:
            fields = json.loads(document)  # type: ignore[arg-type]  # not a str: TypeError
            return FeedMessage(
                type=fields["type"],
                station=fields["station"],
                resident=fields["resident"],
                payload=fields["data"],
                at=fields["at"],
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("feed relay: a message that is not ours ignored: %r", exc)
            return None

    def status(self) -> dict[str, int]:
        return {
            "relayed": self.relayed,
            "received": self.received,
            "spilled": self.spilled,
            "spill_missed": self.spill_missed,
            "failures": self.failures,
        }
