"""The hub's one MQTT session to the homes: the ``mqtt`` task.

It subscribes to every home's ``event``, ``telemetry`` and ``status`` (QoS 1, a persistent
session, so what homes send while the hub restarts waits for it) and takes the messages in
batches: whatever arrived together goes into one transaction (:class:`~hub.ingest.Ingestor`,
on a thread of its own, so the API's store work never delays an alert). **A message is
acknowledged to the broker only after it is committed** (paho's manual ack), so a hub killed at
any moment gets it again from the broker: with ``(home, edge, seq)`` dedup that is
at-least-once in, exactly-once in the store. When the store cannot store anything (a full
disk, a read-only file), the batch stays unacknowledged and is tried again with a growing
delay; :class:`~hub.store_watch.StoreWatch` says the hub is degraded until it is stored.

The same session publishes the queued ``mqtt_outbox`` rows (configs, commands) and the hub's
presence (:mod:`hub.presence`), which keeps a second hub off this client id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from contracts.topics import hub_subscriptions
from transport.cancels import mqtt_call
from transport.reconnect import Backoff, keep_connected
from transport.sessions import connected

from .alerts import AlertUpdate
from .deliveries import MqttOutbox
from .health import HubCounts, Problem, TakeoverWatch
from .ingest import Ingestor
from .ingest_counts import HomeChange
from .presence import Presence, claim, client_id_of, worker_client_id
from .settings import HubSettings
from .store import Store
from .store_watch import StoreWatch

log = logging.getLogger("hub")

NEVER_EXPIRES = 0xFFFFFFFF  # MQTT 5 session expiry: the broker keeps the session for good

Publish = Callable[[list[AlertUpdate], list[HomeChange]], None]


class Uplink:
    def __init__(
        self,
        settings: HubSettings,
        store: Store,
        *,
        ingestor: Ingestor,
        counts: HubCounts,
        store_watch: StoreWatch,
        takeover: TakeoverWatch,
        outbox: MqttOutbox,
        deliveries_ready: asyncio.Event,
        publish: Publish,
    ):
        self.settings = settings
        self.store = store
        self.ingestor = ingestor
        self.counts = counts
        self.store_watch = store_watch
        self.takeover = takeover
        self.outbox = outbox
        self.deliveries_ready = deliveries_ready
        self.publish = publish
        self.connected = asyncio.Event()
        self.client_id: str | None = None
        self.presence: Presence | None = None
        self._claimed = False
        self._disconnected_since: float | None = time.time()

    async def identify(self) -> None:
        """This installation's client id (kept in the store, so it survives restarts)."""
        client_id = await asyncio.to_thread(client_id_of, self.store, self.settings.client_id)
        if self.settings.shared_group and self.settings.worker:
            client_id = worker_client_id(
                client_id, self.settings.shared_group, self.settings.worker
            )
        self.client_id = client_id
        self.presence = Presence.new(self.settings.prefix, client_id)

    async def claim_early(self) -> None:
        """The claim on the client id: raises :class:`~hub.presence.ClientIdInUse` when
        another live hub holds it. A broker that cannot be reached now leaves the claim to
        the first session."""
        if not self._claimed:
            try:
                await self._claim()
            except aiomqtt.MqttError as exc:
                log.warning("hub: broker not reachable at start (%s); connecting later", exc)

    async def _claim(self) -> None:
        assert self.presence is not None
        await claim(self.presence, self.settings.broker_url, wait_s=self.settings.presence_probe_s)
        self._claimed = True

    def broker_problem(self) -> list[Problem]:
        since = self._disconnected_since
        if since is None or time.time() - since < self.settings.broker_down_after_s:
            return []
        detail = f"not connected to the broker {self.settings.broker_url} since then"
        return [Problem("broker", since, detail)]

    async def run(self) -> None:
        """Stay connected (reconnecting with a jittered backoff of at most
        ``reconnect_max_s``) and take what arrives."""
        ingest = ThreadPoolExecutor(1, thread_name_prefix="hub-ingest")
        try:
            await keep_connected(
                lambda: self._session(ingest),
                who="hub",
                first_s=0.5,
                max_s=self.settings.reconnect_max_s,
            )
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

    async def _session(self, ingest: ThreadPoolExecutor) -> None:
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
        async with connected(client):
            for topic in self._subscriptions():
                await mqtt_call(client.subscribe(topic, qos=1))
            await mqtt_call(client.subscribe(presence.probe_topic, qos=0))
            online = presence.document("online")
            await mqtt_call(client.publish(presence.topic, online, qos=1, retain=True))
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
        try:
            await self._take_until_stored(client, batch, ingest, backoff)
        finally:
            self.store_watch.batch_done()

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
                # Committed (or refused and kept): the broker may forget it.
                if index not in pending:
                    client._client.ack(message.mid, message.qos)
            self.publish(result.alerts, result.homes)
            if result.alerts:
                self.deliveries_ready.set()
                self.outbox.ready.set()
            if not pending:
                self.counts.batches += 1
                self.store_watch.batch_stored()
                return
            self.store_watch.batch_waiting(len(pending), result.store_error)
            waiting = [message for index, message in enumerate(waiting) if index in pending]
            if not client._client.is_connected():
                raise aiomqtt.MqttError("disconnected while the store failed")  # sent again
            await asyncio.sleep(backoff.next_delay())


def _payload(message: aiomqtt.Message) -> bytes:
    payload = message.payload
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    return b"" if payload is None else str(payload).encode()
