"""What the hub sends out from its store: notifications (the pending ``deliveries`` rows,
through apprise) and MQTT messages for homes (the ``mqtt_outbox`` rows: configs, commands).

Each delivery is sent on its own task (a slow or broken target never holds up another), at
most ``delivery_concurrency`` at once, and recorded in the store; a failed one is retried
after a delay doubling from ``delivery_retry_s``, up to ``delivery_attempts``.

Several hub workers on one store (hub.arbiter) each run this: a delivery is **claimed**
before it is sent, in a transaction that locks it (``FOR UPDATE SKIP LOCKED``: rows another
worker is claiming are passed over) and moves its ``next_at`` a lease ahead, so no other
worker finds it due; recording the attempt ends the lease. A worker killed mid-send leaves
the delivery to be sent by another when the lease ends (at least once: a target cannot be
asked whether it already got it). Queued MQTT messages are claimed the same way, by setting
their ``sent_at`` before they are published (back to NULL if the publish fails).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

import aiomqtt
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from .channels import FAILING_AFTER, page_station
from .errors import DeliveryError
from .health import HubCounts
from .outbound import deliver, redact
from .schema import Delivery, OutgoingMessage
from .settings import HubSettings
from .store import Store
from .webpush import TARGET_PREFIX, Vapid02, send_push, vapid_of

log = logging.getLogger("hub")

MAX_DELIVERY_DELAY_S = 600.0


class DeliveryWorker:
    """``run()`` is the hub's ``deliveries`` task; ``ready.set()`` says there is news."""

    def __init__(
        self,
        store: Store,
        settings: HubSettings,
        counts: HubCounts,
        store_failed: Callable[[str, BaseException], Awaitable[bool]],
    ):
        self.store = store
        self.settings = settings
        self.counts = counts
        self.ready = asyncio.Event()
        self._store_failed = store_failed
        self._in_flight: set[int] = set()
        self._vapid: Vapid02 | None = None

    async def vapid(self) -> Vapid02:
        """This installation's VAPID keys (Web Push), generated at the first call."""
        if self._vapid is None:
            self._vapid = await asyncio.to_thread(vapid_of, self.store)
        return self._vapid

    async def _send(self, target: str, title: str, body: str, alert_id: int | None) -> None:
        timeout_s = self.settings.delivery_timeout_s
        if target.startswith(TARGET_PREFIX):  # a family user's browser
            vapid, subject = await self.vapid(), self.settings.webpush_subject
            # no alert: a morning summary (hub.family_summary), one notification a day
            tag = f"alert-{alert_id}" if alert_id is not None else "summary"
            message = {"title": title, "body": body, "tag": tag, "url": "/family"}
            await send_push(self.store, vapid, subject, target, message, timeout_s=timeout_s)
        else:
            await deliver(target, title, body, timeout_s=timeout_s)

    async def run(self) -> None:
        limit = asyncio.Semaphore(self.settings.delivery_concurrency)
        async with asyncio.TaskGroup() as sends:
            while True:
                self.ready.clear()
                free = self.settings.delivery_concurrency - len(self._in_flight)
                try:
                    due, next_at = await asyncio.to_thread(self._due, free)
                except SQLAlchemyError as exc:
                    await self._store_failed("deliveries", exc)
                    due, next_at = [], None
                for delivery_id, target, title, body, attempts, alert_id in due:
                    self._in_flight.add(delivery_id)
                    sends.create_task(
                        self._deliver(limit, delivery_id, target, title, body, attempts, alert_id),
                        name=f"delivery {delivery_id}",
                    )
                wait = 1.0 if next_at is None else min(max(next_at - time.time(), 0.05), 1.0)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self.ready.wait()

    @property
    def lease_s(self) -> float:
        """How long a claimed delivery is this worker's: its send's time and then some."""
        return 3 * self.settings.delivery_timeout_s + 30.0

    def _due(
        self, free: int
    ) -> tuple[list[tuple[int, str, str, str, int, int | None]], float | None]:
        """Claim up to ``free`` due deliveries (only as many as can start now, so no lease
        runs out while its delivery waits for a slot); and when the next one is due."""
        now = time.time()
        with self.store.transaction() as session:
            rows = session.scalars(
                select(Delivery)
                .where(Delivery.state == "pending", Delivery.next_at <= now)
                .order_by(Delivery.next_at)
                .limit(max(free, 0))
                .with_for_update(skip_locked=True)
            ).all()
            due = []
            for row in rows:
                if row.id in self._in_flight:
                    continue
                row.next_at = now + self.lease_s  # claimed: due again only if we die
                due.append((row.id, row.target, row.title, row.body, row.attempts, row.alert_id))
            later = session.scalars(
                select(Delivery.next_at)
                .where(Delivery.state == "pending", Delivery.next_at > now)
                .order_by(Delivery.next_at)
                .limit(1)
            ).first()
        return due, later

    async def _deliver(
        self,
        limit: asyncio.Semaphore,
        delivery_id: int,
        target: str,
        title: str,
        body: str,
        attempts: int,
        alert_id: int | None,
    ) -> None:
        try:
            async with limit:
                error: str | None = None
                try:
                    await self._send(target, title, body, alert_id)
                except DeliveryError as exc:
                    error = exc.reason
                    self.counts.delivery_failures += 1
                    log.warning("delivery %d to %s failed: %s", delivery_id, exc.target, error)
                try:
                    await asyncio.to_thread(self._record, delivery_id, attempts + 1, error)
                except SQLAlchemyError as exc:  # still pending in the store: sent again later
                    await self._store_failed(f"delivery {delivery_id}", exc)
        finally:
            self._in_flight.discard(delivery_id)
            self.ready.set()

    def _record(self, delivery_id: int, attempts: int, error: str | None) -> None:
        now = time.time()
        with self.store.transaction() as session:
            row = session.get(Delivery, delivery_id)
            if row is None:
                return
            row.attempts = attempts
            if error is None:
                row.state, row.sent_at, row.last_error = "sent", now, None
                self.counts.delivered += 1
                return
            row.last_error = error
            if attempts == min(FAILING_AFTER, self.settings.delivery_attempts):
                page_station(session, row, error, language=self.settings.language, now=now)
            if attempts >= self.settings.delivery_attempts:
                row.state = "failed"
                self.counts.delivery_given_up += 1
                log.error(
                    "delivery %d to %s given up after %d attempts",
                    delivery_id,
                    redact(row.target),
                    attempts,
                )
            else:
                row.next_at = now + min(
                    self.settings.delivery_retry_s * 2.0 ** (attempts - 1), MAX_DELIVERY_DELAY_S
                )


class MqttOutbox:
    """``run(client)`` publishes queued messages over the hub's session (its ``outgoing``
    task); ``ready.set()`` says there is news."""

    def __init__(
        self,
        store: Store,
        counts: HubCounts,
        store_failed: Callable[[str, BaseException], Awaitable[bool]],
        *,
        claim: bool = False,
    ):
        """``claim``: several workers publish from this store, so each message is claimed
        (``sent_at`` set) before it goes out: once, not once per worker."""
        self.store = store
        self.counts = counts
        self.ready = asyncio.Event()
        self._store_failed = store_failed
        self.claim = claim

    async def run(self, client: aiomqtt.Client) -> None:
        while True:
            self.ready.clear()
            try:
                queued = await asyncio.to_thread(self._queued_outgoing)
            except SQLAlchemyError as exc:
                await self._store_failed("outgoing", exc)
                queued = []
            for position, (message_id, topic, payload, retain) in enumerate(queued):
                try:
                    await client.publish(topic, payload, qos=1, retain=retain)
                except aiomqtt.MqttError:
                    if self.claim:  # not sent: give them back to whichever worker is up
                        unsent = [row[0] for row in queued[position:]]
                        with contextlib.suppress(SQLAlchemyError):
                            await asyncio.to_thread(self._unclaim, unsent)
                    raise
                self.counts.published += 1
                if self.claim:
                    continue  # marked sent when claimed
                try:
                    await asyncio.to_thread(self._mark_sent, message_id)
                except SQLAlchemyError as exc:  # sent again later: twice is harmless
                    await self._store_failed(f"outgoing message {message_id}", exc)
                    break
            if not queued:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(5):
                        await self.ready.wait()

    def _queued_outgoing(self) -> list[tuple[int, str, bytes, bool]]:
        with self.store.transaction() as session:
            query = (
                select(OutgoingMessage)
                .where(OutgoingMessage.sent_at.is_(None))
                .order_by(OutgoingMessage.id)
                .limit(100)
            )
            if self.claim:
                query = query.with_for_update(skip_locked=True)
            rows = session.scalars(query).all()
            if self.claim:
                now = time.time()
                for row in rows:
                    row.sent_at = now
            return [(row.id, row.topic, row.payload, row.retain) for row in rows]

    def _unclaim(self, message_ids: list[int]) -> None:
        with self.store.transaction() as session:
            for message_id in message_ids:
                row = session.get(OutgoingMessage, message_id)
                if row is not None:
                    row.sent_at = None

    def _mark_sent(self, message_id: int) -> None:
        with self.store.transaction() as session:
            row = session.get(OutgoingMessage, message_id)
            if row is not None:
                row.sent_at = time.time()
