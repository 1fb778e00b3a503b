"""The running hub: one MQTT session to the homes, escalation timers, notification delivery.

:class:`Hub` runs named tasks in an ``asyncio.TaskGroup``:

* ``mqtt``: subscribe to every home's ``event``, ``telemetry`` and ``status`` (QoS 1,
  persistent session, reconnect with jittered backoff) and take the messages in batches:
  whatever arrived together goes into one transaction (:class:`~hub.ingest.Ingestor`, in a
  worker thread). **A message is acknowledged to the broker only after its batch is
  committed** (paho's manual ack), so a hub killed at any moment gets it again from the
  broker: with ``(edge, seq)`` dedup that is at-least-once in, exactly-once in the store.
  The same session publishes the queued ``mqtt_outbox`` rows (configs, commands).
* ``escalation``: every ``escalation_tick_s``, fire the escalation timers that are due.
* ``deliveries``: send pending notifications through apprise, each on its own (a slow or
  broken target never holds up another), retried with growing delays.

Store work runs in threads, so the event loop keeps serving the API and the WebSockets.
After every commit the changes go to the live :class:`~hub.feed.AlertFeed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import aiomqtt
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from contracts.topics import hub_subscriptions
from transport.reconnect import keep_connected

from .alerts import AlertManager, AlertUpdate
from .errors import DeliveryError
from .feed import AlertFeed, FeedMessage
from .ingest import HomeChange, Ingestor, IngestResult
from .outbound import deliver, redact
from .schema import Delivery, OutgoingMessage
from .settings import HubSettings
from .store import Store

log = logging.getLogger("hub")

T = TypeVar("T")
MAX_DELIVERY_DELAY_S = 600.0


@dataclass
class HubCounts:
    batches: int = 0
    published: int = 0
    escalations: int = 0
    delivered: int = 0
    delivery_failures: int = 0
    delivery_given_up: int = 0
    connects: int = 0
    store_errors: int = 0


class Hub:
    def __init__(self, settings: HubSettings, store: Store, feed: AlertFeed | None = None):
        self.settings = settings
        self.store = store
        self.feed = feed or AlertFeed()
        self.manager = AlertManager(
            prefix=settings.prefix,
            policies=settings.policies,
            contact_targets=settings.contact_targets,
            language=settings.language,
            home_offline_after_s=settings.home_offline_after_s,
        )
        self.ingestor = Ingestor(store, self.manager, prefix=settings.prefix)
        self.counts = HubCounts()
        self.connected = asyncio.Event()
        self._outgoing_ready = asyncio.Event()
        self._deliveries_ready = asyncio.Event()
        self._in_flight: set[int] = set()

    # -- what the API calls ----------------------------------------------------------------

    async def act(self, action: Callable[[Session], T]) -> T:
        """Run ``action`` in one transaction in a thread, then publish what it changed.

        ``action`` returns an :class:`AlertUpdate`, a list of them, or anything else (a
        registry change): alert updates go to the feed; queued MQTT messages and
        notifications are sent right away.
        """

        def in_transaction() -> T:
            with self.store.transaction() as session:
                return action(session)

        result = await asyncio.to_thread(in_transaction)
        updates = result if isinstance(result, list) else [result]
        self._publish([u for u in updates if isinstance(u, AlertUpdate)], [])
        self._outgoing_ready.set()
        self._deliveries_ready.set()
        return result

    def status(self) -> dict[str, object]:
        return {
            "connected": self.connected.is_set(),
            "ingest": self.ingestor.counts.as_dict(),
            "batches": self.counts.batches,
            "published": self.counts.published,
            "escalations": self.counts.escalations,
            "store_errors": self.counts.store_errors,
            "deliveries": {
                "sent": self.counts.delivered,
                "failures": self.counts.delivery_failures,
                "given_up": self.counts.delivery_given_up,
            },
            "feed_subscribers": self.feed.subscriber_count,
        }

    # -- tasks ----------------------------------------------------------------------------

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(
                keep_connected(self._mqtt_session, who="hub", first_s=0.5, max_s=30.0),
                name="mqtt",
            )
            tasks.create_task(self._escalation_loop(), name="escalation")
            tasks.create_task(self._delivery_loop(), name="deliveries")

    def _subscriptions(self) -> list[str]:
        topics = hub_subscriptions(self.settings.prefix)
        if self.settings.shared_group:
            topics = [f"$share/{self.settings.shared_group}/{t}" for t in topics]
        return topics

    async def _mqtt_session(self) -> None:
        url = self.settings.broker_url
        client = aiomqtt.Client(
            **url.client_kwargs(),
            identifier=self.settings.client_id,
            clean_session=False,  # what homes send while the hub restarts waits for it
            protocol=aiomqtt.ProtocolVersion.V311
            if not self.settings.shared_group
            else aiomqtt.ProtocolVersion.V5,
        )
        # paho acks a QoS 1 message when it arrives; the hub acks after its commit instead.
        client._client.manual_ack_set(True)  # aiomqtt has no option for it
        async with client:
            for topic in self._subscriptions():
                await client.subscribe(topic, qos=1)
            self.counts.connects += 1
            self.connected.set()
            log.info("hub: connected to %s", url)
            try:
                async with asyncio.TaskGroup() as tasks:
                    tasks.create_task(self._publish_outgoing(client), name="outgoing")
                    await self._receive(client)
            finally:
                self.connected.clear()

    async def _receive(self, client: aiomqtt.Client) -> None:
        messages = client.messages
        iterator = aiter(messages)
        while True:
            batch = [await anext(iterator)]
            while len(messages) and len(batch) < self.settings.batch_max:
                batch.append(await anext(iterator))
            # Events and statuses first, in a transaction of their own: a fall must not wait
            # for the telemetry that happened to arrive with it.
            urgent = [m for m in batch if not str(m.topic).endswith("/telemetry")]
            telemetry = [m for m in batch if str(m.topic).endswith("/telemetry")]
            for part in (urgent, telemetry):
                if part:
                    await self._take(client, part)

    async def _take(self, client: aiomqtt.Client, batch: list[aiomqtt.Message]) -> None:
        raw = [(str(m.topic), _payload(m)) for m in batch]
        try:
            result = await asyncio.to_thread(self.ingestor.take, raw)
        except Exception as exc:
            # Not acknowledged, so not lost: a new session gets the batch again.
            self.counts.store_errors += 1
            log.exception("ingest failed; reconnecting so the broker sends the batch again")
            await asyncio.sleep(1)
            raise aiomqtt.MqttError(f"ingest failed: {exc!r}") from exc
        for message in batch:  # committed: now the broker may forget them
            client._client.ack(message.mid, message.qos)
        self.counts.batches += 1
        self._publish(result.alerts, result.homes)
        if result.alerts:
            self._deliveries_ready.set()
            self._outgoing_ready.set()

    async def _publish_outgoing(self, client: aiomqtt.Client) -> None:
        while True:
            self._outgoing_ready.clear()
            try:
                queued = await asyncio.to_thread(self._queued_outgoing)
            except SQLAlchemyError:
                self.counts.store_errors += 1
                log.exception("outgoing: the store failed; trying again")
                queued = []
            for message_id, topic, payload, retain in queued:
                await client.publish(topic, payload, qos=1, retain=retain)
                self.counts.published += 1
                try:
                    await asyncio.to_thread(self._mark_sent, message_id)
                except SQLAlchemyError:  # sent again later: a config or command twice is harmless
                    self.counts.store_errors += 1
                    log.exception("outgoing: cannot mark message %d as sent", message_id)
                    break
            if not queued:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(5):
                        await self._outgoing_ready.wait()

    def _queued_outgoing(self) -> list[tuple[int, str, bytes, bool]]:
        with self.store.sessions() as session:
            rows = session.scalars(
                select(OutgoingMessage)
                .where(OutgoingMessage.sent_at.is_(None))
                .order_by(OutgoingMessage.id)
                .limit(100)
            )
            return [(row.id, row.topic, row.payload, row.retain) for row in rows]

    def _mark_sent(self, message_id: int) -> None:
        with self.store.transaction() as session:
            row = session.get(OutgoingMessage, message_id)
            if row is not None:
                row.sent_at = time.time()

    async def _escalation_loop(self) -> None:
        while True:
            try:
                updates = await asyncio.to_thread(self._fire_due)
            except SQLAlchemyError:
                # A locked or unreachable store: the timers are still in it; try again.
                self.counts.store_errors += 1
                log.exception("escalation: the store failed; trying again")
                updates = []
            if updates:
                self.counts.escalations += len(updates)
                self._publish(updates, [])
                self._deliveries_ready.set()
            await asyncio.sleep(self.settings.escalation_tick_s)

    def _fire_due(self) -> list[AlertUpdate]:
        with self.store.transaction() as session:
            return self.manager.fire_due(session) + self.manager.homes_offline(session)

    async def _delivery_loop(self) -> None:
        limit = asyncio.Semaphore(self.settings.delivery_concurrency)
        async with asyncio.TaskGroup() as sends:
            while True:
                self._deliveries_ready.clear()
                try:
                    due, next_at = await asyncio.to_thread(self._due_deliveries)
                except SQLAlchemyError:
                    self.counts.store_errors += 1
                    log.exception("deliveries: the store failed; trying again")
                    due, next_at = [], None
                for delivery_id, target, title, body, attempts in due:
                    self._in_flight.add(delivery_id)
                    sends.create_task(
                        self._deliver(limit, delivery_id, target, title, body, attempts),
                        name=f"delivery {delivery_id}",
                    )
                wait = 1.0 if next_at is None else min(max(next_at - time.time(), 0.05), 1.0)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._deliveries_ready.wait()

    def _due_deliveries(self) -> tuple[list[tuple[int, str, str, str, int]], float | None]:
        now = time.time()
        with self.store.sessions() as session:
            rows = session.scalars(
                select(Delivery)
                .where(Delivery.state == "pending", Delivery.next_at <= now)
                .order_by(Delivery.next_at)
                .limit(100)
            ).all()
            due = [
                (row.id, row.target, row.title, row.body, row.attempts)
                for row in rows
                if row.id not in self._in_flight
            ]
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
    ) -> None:
        try:
            async with limit:
                error: str | None = None
                try:
                    await deliver(target, title, body, timeout_s=self.settings.delivery_timeout_s)
                except DeliveryError as exc:
                    error = exc.reason
                    self.counts.delivery_failures += 1
                    log.warning("delivery %d to %s failed: %s", delivery_id, exc.target, error)
                try:
                    await asyncio.to_thread(self._record_delivery, delivery_id, attempts + 1, error)
                except SQLAlchemyError:  # still pending in the store: sent again later
                    self.counts.store_errors += 1
                    log.exception("delivery %d: cannot record the attempt", delivery_id)
        finally:
            self._in_flight.discard(delivery_id)
            self._deliveries_ready.set()

    def _record_delivery(self, delivery_id: int, attempts: int, error: str | None) -> None:
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

    # -- live feed ------------------------------------------------------------------------

    def _publish(self, alerts: list[AlertUpdate], homes: list[HomeChange]) -> None:
        now = time.time()
        for update in alerts:
            self.feed.publish(
                FeedMessage(
                    type="alert",
                    station=update.station,
                    resident=update.resident,
                    payload={"change": update.change, "actor": update.actor, "alert": update.alert},
                    at=now,
                )
            )
        for change in homes:
            self.feed.publish(
                FeedMessage(
                    type="home",
                    station=change.station,
                    resident=change.home,
                    payload={"home": change.home, "state": change.state},
                    at=now,
                )
            )


def _payload(message: aiomqtt.Message) -> bytes:
    payload = message.payload
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    return b"" if payload is None else str(payload).encode()


__all__ = ["Hub", "IngestResult"]
