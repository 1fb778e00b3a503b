"""The running hub: one MQTT session to the homes, escalation timers, notification delivery.

:class:`Hub` runs named tasks in an ``asyncio.TaskGroup``:

* ``mqtt``: subscribe to every home's ``event``, ``telemetry`` and ``status`` (QoS 1,
  persistent session, reconnect with a jittered backoff of at most
  ``reconnect_max_s``) and take the messages in batches: whatever arrived together goes into
  one transaction (:class:`~hub.ingest.Ingestor`, on a thread of its own). **A message is
  acknowledged to the broker only after it is committed** (paho's manual ack), so a hub
  killed at any moment gets it again from the broker: with ``(home, edge, seq)`` dedup that is
  at-least-once in, exactly-once in the store. When the store cannot store anything (a full
  disk, a read-only file), the batch stays unacknowledged and is tried again with a growing
  delay; the hub says it is degraded until it is stored. The same session publishes the
  queued ``mqtt_outbox`` rows (configs, commands) and the hub's presence (:mod:`hub.presence`).
* ``escalation``: every ``escalation_tick_s``, fire the escalation timers that are due.
* ``deliveries``: send pending notifications through apprise, each on its own (a slow or
  broken target never holds up another), retried with growing delays.
* ``retention``: delete what is older than its retention (:mod:`hub.retention`).
* ``summaries``: the families' morning summaries, once per user, resident and day
  (:mod:`hub.family_summary`).
* ``feedback``: every hour, step back outcome-feedback factors whose kind has been quiet for
  weeks (:mod:`hub.feedback`), and push the configs that changed.
* ``feed-relay`` (workers of a shared group only): the other workers' feed messages, through
  PostgreSQL's LISTEN/NOTIFY (:mod:`hub.feed_relay`). With several workers the store is the
  arbiter of who handles what (:mod:`hub.arbiter`).

Store work runs in threads, so the event loop keeps serving the API and the WebSockets;
ingest has a thread of its own and password checks another (:meth:`Hub.log_in`), so neither
the API's work nor a flood of log-ins delays an alert. After every commit the changes go to
the live :class:`~hub.feed.AlertFeed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from contracts.topics import hub_subscriptions
from transport.reconnect import Backoff, keep_connected

from . import accounts, channels, feedback, throttle
from .alerts import AlertManager, AlertUpdate
from .audit import ReadLog
from .deliveries import DeliveryWorker, MqttOutbox
from .errors import HubError
from .family_summary import SummaryScheduler
from .feed import AlertFeed, FeedMessage
from .feed_relay import FeedRelay
from .health import HubCounts, HubHealth, Problem, TakeoverWatch
from .ingest import HomeChange, Ingestor, IngestResult
from .presence import Presence, claim, client_id_of, worker_client_id
from .registry import decay_feedback
from .retention import sweep
from .schema import User
from .settings import HubSettings
from .store import Store, StoreError
from .telemetry_sink import TelemetrySink, sink_for
from .visit_watch import VisitWatch

log = logging.getLogger("hub")

T = TypeVar("T")
NEVER_EXPIRES = 0xFFFFFFFF  # MQTT 5 session expiry: the broker keeps the session for good


class LoginsBusy(HubError):
    """More log-ins are waiting for their password check than the hub takes at once."""

    status = 503


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
        self.visit_watch = VisitWatch(self.manager)  # overdue visits raise alerts
        self.telemetry: TelemetrySink | None = sink_for(settings.influx)  # None: no InfluxDB
        self.ingestor = Ingestor(
            store,
            self.manager,
            prefix=settings.prefix,
            rejected_max=settings.rejected_max,
            telemetry=self.telemetry,
        )
        self.counts = HubCounts()
        self.health = HubHealth()
        # Several workers: what this one publishes reaches the others' WebSockets too.
        self.relay = (
            FeedRelay(settings.database, secrets.token_hex(8), self.feed)
            if settings.shared_group
            else None
        )
        self.takeover = TakeoverWatch(
            self.health, lambda: self.client_id, prompt_s=settings.reconnect_max_s + 2
        )
        self.connected = asyncio.Event()
        self.client_id: str | None = None
        self.presence: Presence | None = None
        self._claimed = False
        self._disconnected_since: float | None = time.time()
        self.outbox = MqttOutbox(
            store, self.counts, self._store_failed, claim=settings.shared_group is not None
        )
        self.deliveries = DeliveryWorker(store, settings, self.counts, self._store_failed)
        self.summaries = SummaryScheduler(
            store, contact_targets=settings.contact_targets, language=settings.language,
            influx=lambda: self.telemetry.api if self.telemetry is not None else None,
            deliveries_ready=self.deliveries.ready, store_failed=self._store_failed,
        )  # fmt: skip
        self._logins = ThreadPoolExecutor(
            settings.login_workers, thread_name_prefix="hub-login", initializer=_yield_cpu
        )
        self._logins_waiting = 0
        self.session_policy = accounts.SessionPolicy.of(settings)
        self.read_log = ReadLog(store)
        self.throttle_policy = throttle.ThrottlePolicy.of(settings)
        self._ingest_waiting = 0  # messages of a batch the store could not take yet

    # -- what the API calls ----------------------------------------------------------------

    async def act(self, action: Callable[[Session], T]) -> T:
        """Run ``action`` in one transaction in a thread, then publish what it changed.

        ``action`` returns an :class:`AlertUpdate`, a list of them, or anything else (a
        registry change): alert updates go to the feed; queued MQTT messages and
        notifications are sent right away. A store that cannot write: :class:`StoreError`
        (503), and the hub is degraded.
        """

        def in_transaction() -> T:
            with self.store.transaction() as session:
                return action(session)

        try:
            result = await asyncio.to_thread(in_transaction)
        except SQLAlchemyError as exc:
            if not await self._store_failed("API", exc):
                raise  # the store works: this action is at fault, not the store
            raise StoreError(
                "the hub's store cannot be written just now; try again in a moment"
            ) from exc
        updates = result if isinstance(result, list) else [result]
        self._publish([u for u in updates if isinstance(u, AlertUpdate)], [])
        self.outbox.ready.set()
        self.deliveries.ready.set()
        return result

    async def log_in(
        self, username: str, password: str, address: str | None = None
    ) -> tuple[str, User]:
        """Check a password and open a session: (token, user), or 401; 429 while the
        account or the client ``address`` must wait after failed log-ins (hub.throttle).

        The argon2 check (tens of milliseconds of CPU by design) runs on a small executor of
        its own, at the lowest CPU priority, outside any transaction; a flood of log-ins
        queues there (at most ``login_queue_max``, then 503) and never on ingest's or the
        API's threads. A name that does not exist costs the same check (a dummy hash) and
        is counted and throttled the same way, so neither timing nor a lock tells it apart.
        """
        if self._logins_waiting >= self.settings.login_queue_max:
            raise LoginsBusy("too many log-ins at once; try again in a moment")
        keys = throttle.keys_of(username, address)
        self._logins_waiting += 1
        try:
            try:
                stored = await asyncio.to_thread(self._password_hash, username, keys)
            except SQLAlchemyError as exc:
                await self._store_failed("log-in", exc)
                raise StoreError("the hub's store cannot be read just now") from exc
            loop = asyncio.get_running_loop()
            try:
                new_hash = await loop.run_in_executor(
                    self._logins, accounts.check_password, stored, password
                )
            except accounts.AccessError:
                policy = self.throttle_policy
                await self.act(
                    lambda session: throttle.record_failure(session, username, address, policy)
                )
                raise
        finally:
            self._logins_waiting -= 1

        def opened(session: Session) -> tuple[str, User]:
            found = accounts.open_session(
                session, username, stored or "", new_hash, self.session_policy
            )
            throttle.record_success(session, username)
            return found

        return await self.act(opened)

    def _password_hash(self, username: str, keys: list[str]) -> str | None:
        with self.store.sessions() as session:
            throttle.check(session, keys)
            return accounts.password_hash(session, username)

    def status(self) -> dict[str, object]:
        self.takeover.settle()
        problems = self.health.problems(self._broker_problem())
        return {
            "state": "degraded" if problems else "ok",
            "problems": [problem.as_dict() for problem in problems],
            "connected": self.connected.is_set(),
            "client_id": self.client_id,
            "ingest": self.ingestor.counts.as_dict(),
            "batches": self.counts.batches,
            "published": self.counts.published,
            "escalations": self.counts.escalations,
            "store_errors": self.counts.store_errors,
            "retention_deleted": self.counts.retention_deleted,
            "audit_failures": self.counts.audit_failures,
            "deliveries": {
                "sent": self.counts.delivered,
                "failures": self.counts.delivery_failures,
                "given_up": self.counts.delivery_given_up,
            },
            "feed_subscribers": self.feed.subscriber_count,
            # Not problems of the hub (it works), but alerts that reach nobody outside the
            # pages: no channel configured, or one that keeps failing.
            "warnings": self._channel_warnings(),
            "telemetry": self.telemetry.status() if self.telemetry else None,
            "feed_relay": self.relay.status() if self.relay else None,
        }

    def _channel_warnings(self) -> list[dict[str, object]]:
        try:
            with self.store.sessions() as session:
                found = channels.problems(session, self.settings.contact_targets)
        except SQLAlchemyError:  # the store's own problem is reported above
            return []
        return channels.summary(found)

    def _broker_problem(self) -> list[Problem]:
        since = self._disconnected_since
        if since is None or time.time() - since < self.settings.broker_down_after_s:
            return []
        detail = f"not connected to the broker {self.settings.broker_url} since then"
        return [Problem("broker", since, detail)]

    def close(self) -> None:
        self._logins.shutdown(wait=False, cancel_futures=True)
        if self.telemetry is not None:
            self.telemetry.stop()

    # -- tasks ----------------------------------------------------------------------------

    async def start(self) -> None:
        """This installation's client id, and the claim on it: raises
        :class:`~hub.presence.ClientIdInUse` when another live hub holds it. A broker that
        cannot be reached now leaves the claim to the first session."""
        if self.client_id is None:
            self.client_id = await asyncio.to_thread(
                client_id_of, self.store, self.settings.client_id
            )
            if self.settings.shared_group and self.settings.worker:
                self.client_id = worker_client_id(
                    self.client_id, self.settings.shared_group, self.settings.worker
                )
            self.presence = Presence.new(self.settings.prefix, self.client_id)
            await self.deliveries.vapid()  # Web Push keys, generated at the first start
        if not self._claimed:
            try:
                await self._claim()
            except aiomqtt.MqttError as exc:
                log.warning("hub: broker not reachable at start (%s); connecting later", exc)

    async def _claim(self) -> None:
        assert self.presence is not None
        await claim(self.presence, self.settings.broker_url, wait_s=self.settings.presence_probe_s)
        self._claimed = True

    async def run(self) -> None:
        await self.start()
        ingest = ThreadPoolExecutor(1, thread_name_prefix="hub-ingest")
        if self.telemetry is not None:
            self.telemetry.start()
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(
                    keep_connected(
                        lambda: self._mqtt_session(ingest),
                        who="hub",
                        first_s=0.5,
                        max_s=self.settings.reconnect_max_s,
                    ),
                    name="mqtt",
                )
                tasks.create_task(self._escalation_loop(), name="escalation")
                tasks.create_task(self.deliveries.run(), name="deliveries")
                tasks.create_task(self._retention_loop(), name="retention")
                tasks.create_task(self._feedback_loop(), name="feedback")
                tasks.create_task(self.summaries.run(), name="summaries")
                if self.relay is not None:
                    tasks.create_task(self.relay.run(), name="feed-relay")
        finally:
            ingest.shutdown(wait=False, cancel_futures=True)

    def _subscriptions(self) -> list[str]:
        topics = hub_subscriptions(self.settings.prefix)
        if self.settings.shared_group:
            topics = [f"$share/{self.settings.shared_group}/{t}" for t in topics]
        return topics

    def _client(self) -> aiomqtt.Client:
        assert self.presence is not None
        common: dict[str, Any] = {
            **self.settings.broker_url.client_kwargs(),
            "identifier": self.presence.client_id,
            "will": self.presence.will(),
        }
        if not self.settings.shared_group:
            # MQTT 3.1.1: measured faster than 5 with paho (a third more readings a second).
            return aiomqtt.Client(
                **common,
                protocol=aiomqtt.ProtocolVersion.V311,
                clean_session=False,  # what homes send while the hub restarts waits for it
            )
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = NEVER_EXPIRES  # MQTT 5's persistent session
        return aiomqtt.Client(
            **common,
            protocol=aiomqtt.ProtocolVersion.V5,
            clean_start=False,
            properties=properties,
        )

    async def _mqtt_session(self, ingest: ThreadPoolExecutor) -> None:
        assert self.presence is not None
        if not self._claimed:
            await self._claim()
        client = self._client()
        # paho acks a QoS 1 message when it arrives; the hub acks after its commit instead.
        client._client.manual_ack_set(True)  # aiomqtt has no option for it
        presence = self.presence

        def on_probe(paho: Any, _userdata: Any, message: Any) -> None:
            # Answered here, in paho's callback, so a hub busy retrying its store still does.
            answer = presence.answer(message.payload)
            if answer is not None:
                paho.publish(presence.topic, answer, qos=1, retain=True)

        client._client.message_callback_add(presence.probe_topic, on_probe)
        async with client:
            for topic in self._subscriptions():
                await client.subscribe(topic, qos=1)
            await client.subscribe(presence.probe_topic, qos=0)
            await client.publish(presence.topic, presence.document("online"), qos=1, retain=True)
            self.counts.connects += 1
            self.connected.set()
            self._disconnected_since = None
            self.takeover.connected()
            log.info("hub: connected to %s as %s", self.settings.broker_url, presence.client_id)
            try:
                async with asyncio.TaskGroup() as tasks:
                    tasks.create_task(self.outbox.run(client), name="outgoing")
                    await self._receive(client, ingest)
            except* aiomqtt.MqttError:
                self.takeover.ended()
                raise
            finally:
                self.connected.clear()
                self._disconnected_since = time.time()
                with contextlib.suppress(Exception):  # a clean stop: say so, no will needed
                    async with asyncio.timeout(1):
                        await client.publish(
                            presence.topic, presence.document("offline"), qos=1, retain=True
                        )

    async def _receive(self, client: aiomqtt.Client, ingest: ThreadPoolExecutor) -> None:
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
                    await self._take(client, part, ingest)

    async def _take(
        self, client: aiomqtt.Client, batch: list[aiomqtt.Message], ingest: ThreadPoolExecutor
    ) -> None:
        """Store a batch and acknowledge what was stored; what the store could not take is
        tried again, unacknowledged, until it can (the broker holds back the rest)."""
        backoff = Backoff(0.25, self.settings.store_retry_max_s)
        waiting = batch
        try:
            await self._take_until_stored(client, waiting, ingest, backoff)
        finally:
            self._ingest_waiting = 0

    async def _take_until_stored(
        self,
        client: aiomqtt.Client,
        waiting: list[aiomqtt.Message],
        ingest: ThreadPoolExecutor,
        backoff: Backoff,
    ) -> None:
        loop = asyncio.get_running_loop()
        while True:
            raw = [(str(m.topic), _payload(m)) for m in waiting]
            result = await loop.run_in_executor(ingest, self.ingestor.take, raw)
            pending = set(result.pending)
            for index, message in enumerate(waiting):
                if (
                    index not in pending
                ):  # committed (or refused and kept): the broker may forget it
                    client._client.ack(message.mid, message.qos)
            self._publish(result.alerts, result.homes)
            if result.alerts:
                self.deliveries.ready.set()
                self.outbox.ready.set()
            if not pending:
                self.counts.batches += 1
                self.health.clear("store")
                return
            self.counts.store_errors += 1
            self.health.fail(
                "store",
                f"the store cannot take messages ({result.store_error}); {len(pending)} "
                "waiting, not acknowledged, stored as soon as it can",
            )
            waiting = [message for index, message in enumerate(waiting) if index in pending]
            self._ingest_waiting = len(waiting)
            if not client._client.is_connected():
                raise aiomqtt.MqttError("disconnected while the store failed")  # sent again
            await asyncio.sleep(backoff.next_delay())

    async def _store_failed(self, where: str, exc: BaseException) -> bool:
        """Count a store error; True (and degraded) if the store cannot write at all."""
        self.counts.store_errors += 1
        if await asyncio.to_thread(self.store.can_write):
            log.error("%s: a store error that is not the store's: %r", where, exc)
            return False
        self.health.fail("store", f"{where}: the store cannot write: {exc!r:.300}")
        return True

    async def _store_recovered(self) -> None:
        """A store problem seen outside ingest ends when a probe write commits (while ingest
        has a batch waiting, its own commit says so)."""
        if (
            self.health.has("store")
            and not self._ingest_waiting
            and await asyncio.to_thread(self.store.can_write)
        ):
            self.health.clear("store")

    async def _escalation_loop(self) -> None:
        while True:
            try:
                updates = await asyncio.to_thread(self._fire_due)
            except SQLAlchemyError as exc:
                # A locked or unreachable store: the timers are still in it; try again.
                await self._store_failed("escalation", exc)
                updates = []
            else:
                await self._store_recovered()
            self.takeover.settle()
            if updates:
                self.counts.escalations += len(updates)
                self._publish(updates, [])
                self.deliveries.ready.set()
            await asyncio.sleep(self.settings.escalation_tick_s)

    async def _retention_loop(self) -> None:
        while True:
            try:
                deleted = await asyncio.to_thread(sweep, self.store, self.settings)
            except SQLAlchemyError as exc:
                await self._store_failed("retention", exc)
            else:
                self.counts.retention_deleted += sum(deleted.values())
                if any(deleted.values()):
                    log.info(
                        "retention: deleted %s",
                        ", ".join(f"{n} {table}" for table, n in deleted.items() if n),
                    )
            await asyncio.sleep(self.settings.retention_every_s)

    async def _feedback_loop(self) -> None:
        while True:
            try:
                decayed = await asyncio.to_thread(self._decay_feedback)
            except SQLAlchemyError as exc:
                await self._store_failed("feedback", exc)
            else:
                if decayed:
                    log.info("feedback: %d limits stepped back after quiet weeks", decayed)
                    self.outbox.ready.set()
            await asyncio.sleep(feedback.DECAY_EVERY_S)

    def _decay_feedback(self) -> int:
        with self.store.transaction() as session:
            return len(decay_feedback(session, prefix=self.settings.prefix))

    def _fire_due(self) -> list[AlertUpdate]:
        with self.store.transaction() as session:
            return (
                self.manager.fire_due(session)
                + self.manager.homes_offline(session)
                + self.visit_watch.due(session)
            )

    # -- live feed ------------------------------------------------------------------------

    def _publish(self, alerts: list[AlertUpdate], homes: list[HomeChange]) -> None:
        messages = self._feed_messages(alerts, homes)
        for message in messages:
            self.feed.publish(message)
        if self.relay is not None:
            self.relay.send(messages)

    @staticmethod
    def _feed_messages(alerts: list[AlertUpdate], homes: list[HomeChange]) -> list[FeedMessage]:
        now = time.time()
        messages = []
        for update in alerts:
            messages.append(
                FeedMessage(
                    type="alert",
                    station=update.station,
                    resident=update.resident,
                    payload={"change": update.change, "actor": update.actor, "alert": update.alert},
                    at=now,
                )
            )
        for change in homes:
            messages.append(
                FeedMessage(
                    type="home",
                    station=change.station,
                    resident=change.home,
                    payload={"home": change.home, "state": change.state},
                    at=now,
                )
            )
        return messages


def _yield_cpu() -> None:
    """Run this thread (and the threads argon2 starts from it, which inherit it) at the
    lowest CPU priority: on a busy machine an alert's ingest goes first, a log-in waits."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux: no per-thread priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


def _payload(message: aiomqtt.Message) -> bytes:
    payload = message.payload
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    return b"" if payload is None else str(payload).encode()


__all__ = ["Hub", "IngestResult"]
