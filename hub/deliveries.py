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
asked whether it already got it). Queued MQTT messages are claimed the same way: a lease
(``claimed_until``, :data:`OUTGOING_LEASE_S` ahead) taken before the publish, ``sent_at``
set only once the broker acknowledged it (QoS 1's PUBACK), the lease given back if the
publish fails. A worker killed between its claim and the publish leaves the message due
again for any worker when the lease runs out: at least once, as MQTT QoS 1 is anyway (an
edge may get a command twice; a config is a whole document, applied twice the same). A
retained message (a home's config) whose topic has a newer one queued or sent is not
published (marked sent): a dead worker's config published after its successor would leave
the broker retaining the older one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

import aiomqtt
from sqlalchemy import func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from transport.cancels import stop_if_cancelled

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
# A claimed batch of queued MQTT messages is this worker's for OUTGOING_LEASE_S: time for a
# batch's publishes (each waits for the broker's PUBACK); a lease that runs out while this
# worker is still publishing only lets another publish the rest too (QoS 1 allows twice).
OUTGOING_LEASE_S = 60.0
OUTGOING_BATCH = 100


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
                except SQLAlchemyError as exc:
                    # A push's subscription or VAPID key could not be read (or a gone
                    # subscription forgotten): no attempt recorded; still pending, it is
                    # sent again when its claim runs out.
                    await self._store_failed(f"delivery {delivery_id}", exc)
                    return
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
        lease_s: float = OUTGOING_LEASE_S,
    ):
        """``claim``: several workers publish from this store, so each takes a lease on the
        messages it publishes (``claimed_until``, ``lease_s`` ahead): once, not once per
        worker; and again by another if this one dies before the publish."""
        self.store = store
        self.counts = counts
        self.ready = asyncio.Event()
        self._store_failed = store_failed
        self.claim = claim
        self.lease_s = lease_s

    async def run(self, client: aiomqtt.Client) -> None:
        while True:
            stop_if_cancelled()  # a stop that came with a PUBACK (transport.cancels)
            self.ready.clear()
            try:
                queued, lease_ends = await asyncio.to_thread(self._queued_outgoing)
            except SQLAlchemyError as exc:
                await self._store_failed("outgoing", exc)
                queued, lease_ends = [], None
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
                try:
                    await asyncio.to_thread(self._mark_sent, message_id)
                except SQLAlchemyError as exc:  # sent again later: twice is harmless
                    await self._store_failed(f"outgoing message {message_id}", exc)
                    break
                stop_if_cancelled()  # one that came with this PUBACK, once it is marked sent
            if not queued:
                wait = 5.0 if lease_ends is None else min(max(lease_ends - time.time(), 0.05), 5.0)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self.ready.wait()

    def _queued_outgoing(self) -> tuple[list[tuple[int, str, bytes, bool]], float | None]:
        """The messages to publish now (claimed, with several workers); and when the first
        lease another worker holds runs out (None: no lease, or a single hub)."""
        now = time.time()
        with self.store.transaction() as session:
            query = (
                select(OutgoingMessage)
                .where(OutgoingMessage.sent_at.is_(None))
                .order_by(OutgoingMessage.id)
                .limit(OUTGOING_BATCH)
            )
            if not self.claim:
                rows = session.scalars(query).all()
                return [(row.id, row.topic, row.payload, row.retain) for row in rows], None
            free = or_(
                OutgoingMessage.claimed_until.is_(None), OutgoingMessage.claimed_until <= now
            )
            rows = session.scalars(query.where(free).with_for_update(skip_locked=True)).all()
            queued = []
            for row in rows:
                if row.retain and self._superseded(session, row):
                    row.sent_at = now  # its topic's retained message is a newer one's
                    continue
                row.claimed_until = now + self.lease_s  # due again only if we die
                queued.append((row.id, row.topic, row.payload, row.retain))
            lease_ends = session.scalars(
                select(func.min(OutgoingMessage.claimed_until)).where(
                    OutgoingMessage.sent_at.is_(None), OutgoingMessage.claimed_until > now
                )
            ).first()
            return queued, lease_ends

    @staticmethod
    def _superseded(session: Session, row: OutgoingMessage) -> bool:
        """A newer retained message on the same topic exists: publishing this one (a dead
        worker's, whose lease ran out) after it would leave the broker retaining the old."""
        newer = session.scalars(
            select(OutgoingMessage.id)
            .where(
                OutgoingMessage.topic == row.topic,
                OutgoingMessage.retain.is_(True),
                OutgoingMessage.id > row.id,
            )
            .limit(1)
        ).first()
        return newer is not None

    def _unclaim(self, message_ids: list[int]) -> None:
        with self.store.transaction() as session:
            for message_id in message_ids:
                row = session.get(OutgoingMessage, message_id)
                if row is not None and row.sent_at is None:
                    row.claimed_until = None

    def _mark_sent(self, message_id: int) -> None:
        with self.store.transaction() as session:
            row = session.get(OutgoingMessage, message_id)
            if row is not None:
                row.sent_at = time.time()
                row.claimed_until = None
