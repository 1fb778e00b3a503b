"""The edge runtime: what an edge process does on its brokers, for one home or many.

:class:`EdgeRuntime` runs the :class:`edge.pipeline.HomePipeline` of each of its homes (one
for :class:`edge.agent.EdgeAgent`, many for :class:`edge.hosted.HostedEdges`) behind two MQTT
connections, and its named tasks in one ``asyncio.TaskGroup``:

* ``local``: one persistent session on the home's broker (QoS 1 device messages wait for
  the edge across a restart). Each message is routed by its topic to its home's pipeline
  (decode, detect, events into the outbox before the next message); a topic naming a home
  this process does not run is counted (``unknown_home``, up to :data:`MAX_UNKNOWN_IDS` ids
  kept), never fatal. The same session passes commands on to each home's
  ``<prefix>/<home>/local/command``: the hub's, and the local alarm of a newly raised
  critical event (:mod:`edge.commands`).
* ``uplink``: one persistent session on the hub's broker (commands sent while the edge was
  away are kept for it), with a retained will. At connect the statuses say ``online`` and
  every home's outbox is drained (:mod:`edge.drain`: round-robin, an item acked only on its
  PUBACK, so a publish whose ack was lost is sent again and the hub deduplicates on
  ``(edge, seq)``). ``<prefix>/<home>/config`` (retained, so it comes at every connect) goes
  to the home's :meth:`HomePipeline.apply_config`, which applies and saves it or refuses it
  and keeps the last good one; the same bytes again are not parsed again once settled
  (applied and saved, or refused): a thousand homes reconnect in milliseconds, not seconds.
  A home's status is republished after each config it took or refused (windows of
  :data:`STATUS_WINDOW`), and every ``heartbeat_every_s``. A clean stop says ``offline``
  on every status (the will only fires for an unclean disconnect).
* ``tick`` (``now`` -> each monitor's ``advance``, so silence becomes events), ``staging``
  (each home's readings of the last second into its outbox, durably), ``telemetry`` (staged
  readings sealed into telemetry messages), ``detector state`` (changed detectors' states
  saved; restored at start, so an open condition such as an SOS call survives a restart). A
  periodic task that fails is logged and runs again at its next turn; one home's failure
  costs no other home.

Both connections reconnect with a jittered backoff (:func:`transport.reconnect.keep_connected`).
Outbox writes happen on the event loop's thread (one fsync each, ~ms; the homes' sealed
telemetry and a drained window's acks share one per outbox file): an event is durable
before the next message is looked at, and nothing is left half-written in a worker thread
when the edge is cancelled. What a subclass says: its client id, subscriptions and will,
which home a local topic belongs to, and what its statuses add.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import aiomqtt

from analytics.events import Event
from contracts.topics import HUB_CHANNELS
from transport.cancels import mqtt_call
from transport.reconnect import keep_connected
from transport.sessions import connected

from .commands import LocalCommands
from .detector_state import DetectorSaves
from .drain import RoundRobinDrain
from .outbox import OutboxError, files_of, synced_once
from .pipeline import ConfigState, HomePipeline, alarm_command, now_iso
from .settings import EdgeSettings
from .tasks import every

log = logging.getLogger("edge.runtime")

MAX_UNKNOWN_IDS = 100  # distinct unknown home ids remembered (the total is always counted)
STATUS_WINDOW = 100  # status publishes awaited together
YIELD_EVERY = 50  # homes ticked/flushed before the loop gets a turn
OFFLINE_WITHIN_S = 5  # a clean stop waits this long for the offline statuses' PUBACKs

Publish = tuple[str, dict[str, Any]]  # (topic, JSON document), published retained


class EdgeRuntime(ABC):
    """The homes' pipelines behind one local and one uplink MQTT connection."""

    def __init__(
        self,
        pipelines: dict[str, HomePipeline],
        restored: Iterable[str],
        settings: EdgeSettings,
        *,
        who: str,
        client_id: str,
        local_subscriptions: list[str],
        uplink_subscriptions: list[str],
    ):
        """``pipelines`` by home id, opened by :func:`edge.homes.open_homes`; ``restored``:
        the homes whose detectors resumed from a saved state; ``who``: the edge in logs;
        ``client_id``: its persistent sessions' (``<client_id>-local`` on the local broker),
        stable across restarts, since the brokers keep QoS 1 messages for them."""
        self.settings = settings
        self.pipelines = pipelines
        self.who = who
        self.client_id = client_id
        self.local_subscriptions = local_subscriptions
        self.uplink_subscriptions = uplink_subscriptions
        self.saves = DetectorSaves(pipelines, restored)
        self.commands = LocalCommands(pipelines, settings.max_queued_commands)
        self.drain = RoundRobinDrain(pipelines, settings.drain_window, settings.per_home_turn)
        self._prefix_levels = settings.prefix.split("/")
        # Observable state (tests, the statuses, the benchmark).
        self.local_connected = asyncio.Event()
        self.uplink_connected = asyncio.Event()
        self.uplink_connects = 0
        self.unknown_home = 0  # local messages for homes not run here
        self.unknown_ids: Counter[str] = Counter()
        self.unrouted = 0  # a subscribed topic of no known shape (should not happen)
        self.ignored_configs = 0  # configs pushed for homes not run here
        self.ignored_commands = 0  # commands for homes not run here
        self._settled: dict[str, bytes] = {}  # home -> digest of a config with a final outcome
        self._status_due: dict[str, None] = {}  # homes whose status must go out (ordered set)
        self._process_status_due = False
        self._status_wake = asyncio.Event()
        self._closed = False

    # -- what one home and many homes do differently --------------------------------------

    @abstractmethod
    def home_of(self, topic: str) -> str | None:
        """The home a local topic belongs to, or None if the topic has no known shape."""

    @abstractmethod
    def will(self) -> tuple[str, str]:
        """The uplink connection's will: (topic, payload), retained."""

    def process_statuses(self, state: str) -> list[Publish]:
        """Statuses published before the homes' own (a hosted process's)."""
        return []

    def home_status(self, home: str, state: str) -> dict[str, Any]:
        """The home's status document."""
        document = self.pipelines[home].status(state)
        document["commands"] = self.commands.status(home)
        document["local_connected"] = self.local_connected.is_set()
        return document

    # -- what it shows --------------------------------------------------------------------

    @property
    def homes(self) -> list[str]:
        return list(self.pipelines)

    @property
    def detector_saves(self) -> int:
        """detectors.json files written."""
        return self.saves.written

    @property
    def published(self) -> int:
        """Outbox items acked by the uplink broker."""
        return self.drain.published

    @property
    def messages_handled(self) -> int:
        return sum(p.counts.messages for p in self.pipelines.values()) + self.unknown_home

    # -- the whole process ----------------------------------------------------------------

    async def run(self) -> None:
        """Run until cancelled (SIGTERM in `eldercare edge`); then say offline, save the
        detectors' states, flush telemetry and close the outboxes."""
        settings = self.settings
        periodic = {
            "tick": (settings.tick_every_s, self._tick),
            "staging": (settings.stage_interval_s, self._stage_telemetry),
            "telemetry": (settings.telemetry_every_s, self._flush_telemetry),
            "detector state": (settings.save_every_s, self._save_detectors),
        }
        try:
            # Readings staged by a process that was killed go up now, not a minute later.
            await self._flush_telemetry()
            async with asyncio.TaskGroup() as tasks:
                for name, session in (("local", self._local_session), ("uplink", self._uplink)):
                    task = self._keep_connected(name, session)
                    tasks.create_task(task, name=f"{self.who} {name}")
                for name, (seconds, action) in periodic.items():
                    who = f"{self.who} {name}"
                    tasks.create_task(every(seconds, action, who=who), name=who)
        finally:
            self.close()

    def close(self) -> None:
        """Store the events a full disk kept in memory, save the detectors' states, flush
        every telemetry batch into its outbox (one fsync per outbox file for all of them) and
        close the outboxes; idempotent."""
        if self._closed:
            return
        self._closed = True
        outboxes = [pipeline.outbox for pipeline in self.pipelines.values()]
        try:
            with synced_once(outboxes):
                for pipeline in self.pipelines.values():
                    # The disk may have room again and the stop come before the next tick.
                    if unstored := pipeline.store_unstored():
                        log.error(
                            "home %s: %d events could not be stored and are lost with this stop",
                            pipeline.home,
                            unstored,
                        )
                    try:
                        self.saves.save(pipeline)
                        if pipeline.flush_telemetry():
                            log.info("home %s: telemetry kept in the outbox", pipeline.home)
                    except Exception:  # one home's broken outbox must not keep the others open
                        log.exception("home %s: cannot keep the telemetry batch", pipeline.home)
        except OutboxError as exc:  # the writes are in the WAL: a kill loses nothing
            log.error("%s: cannot sync the outbox at the stop: %s", self.who, exc)
        finally:
            for outbox in outboxes:
                outbox.close()
            for file in files_of(outboxes):
                file.close()

    async def _keep_connected(self, name: str, session: Callable[[], Awaitable[None]]) -> None:
        settings = self.settings
        await keep_connected(
            session,
            who=f"{self.who}: {name} broker",
            first_s=settings.reconnect_first_s,
            max_s=settings.reconnect_max_s,
        )

    # -- periodic tasks -------------------------------------------------------------------

    async def _tick(self) -> None:
        now = self.settings.now()
        for index, pipeline in enumerate(list(self.pipelines.values()), 1):
            unstored = pipeline.unstored_events
            self._after_events(pipeline, pipeline.tick(now), unstored)
            if index % YIELD_EVERY == 0:
                await asyncio.sleep(0)

    async def _stage_telemetry(self) -> None:
        """Every home's readings of the last second onto its disk (one transaction per home
        that has any)."""
        staged = 0
        for pipeline in list(self.pipelines.values()):
            if pipeline.stage_telemetry():
                staged += 1
                if staged % YIELD_EVERY == 0:
                    await asyncio.sleep(0)

    async def _flush_telemetry(self) -> None:
        """Every home's staged readings sealed; YIELD_EVERY homes at a time share one fsync,
        and the drain hears of them once it is done (not before: see synced_once)."""
        pipelines = list(self.pipelines.values())
        for start in range(0, len(pipelines), YIELD_EVERY):
            chunk = pipelines[start : start + YIELD_EVERY]
            try:
                with synced_once(p.outbox for p in chunk):
                    sealed = [p.home for p in chunk if p.flush_telemetry()]
            except OutboxError as exc:  # sealed but not synced: the next synced write covers it
                log.error("%s: cannot sync the sealed telemetry: %s", self.who, exc)
                sealed = []
            for home in sealed:
                self.drain.mark(home)
            await asyncio.sleep(0)  # let messages in between

    async def _save_detectors(self) -> None:
        await self.saves.save_changed()

    def _after_events(self, pipeline: HomePipeline, events: list[Event], unstored: int) -> None:
        """New events are in the home's outbox, or some of the ``unstored`` ones a full disk
        kept in memory went in: drain them; sound the alarm for the new critical ones."""
        home = pipeline.home
        # Events stored late come with no new ones, often on a tick: nothing else would
        # wake the drain for them.
        if events or pipeline.unstored_events < unstored:
            self.drain.mark(home)
        for event in events:
            if (alarm := alarm_command(event)) is not None:
                self.commands.alarm(home, alarm)

    # -- local broker ---------------------------------------------------------------------

    async def _local_session(self) -> None:
        client = aiomqtt.Client(
            **self.settings.local_url.client_kwargs(),
            identifier=f"{self.client_id}-local",
            clean_session=False,  # QoS 1 device messages wait for us across a restart
        )
        async with connected(client):
            await mqtt_call(client.subscribe([(topic, 1) for topic in self.local_subscriptions]))
            log.info("%s: listening on %s", self.who, self.settings.local_url)
            self.local_connected.set()
            self._local_changed()
            try:
                async with asyncio.TaskGroup() as tasks:
                    tasks.create_task(self.commands.forward(client), name="commands")
                    async for message in client.messages:
                        self._on_local(message)
            finally:
                self.local_connected.clear()
                self._local_changed()

    def _on_local(self, message: aiomqtt.Message) -> None:
        topic = str(message.topic)
        home = self.home_of(topic)
        pipeline = self.pipelines.get(home) if home is not None else None
        if pipeline is None:
            self._not_here(topic, home)
            return
        received_at = datetime.fromtimestamp(self.settings.now(), UTC)
        unstored = pipeline.unstored_events
        # handle_local raises nothing; the alarm is ours and must not cost the next message.
        events = pipeline.handle_local(topic, _payload(message), received_at)
        try:
            self._after_events(pipeline, events, unstored)
        except Exception:
            log.exception("home %s: cannot sound the alarm for %d events", home, len(events))

    def _not_here(self, topic: str, home: str | None) -> None:
        if home is None:
            self.unrouted += 1
            log.debug("%s: no home in topic %s", self.who, topic)
            return
        self.unknown_home += 1
        if home in self.unknown_ids or len(self.unknown_ids) < MAX_UNKNOWN_IDS:
            if home not in self.unknown_ids:
                log.warning("%s: message for home %s, not run here (counted)", self.who, home)
            self.unknown_ids[home] += 1

    # -- uplink broker --------------------------------------------------------------------

    async def _uplink(self) -> None:
        will_topic, will_payload = self.will()
        client = aiomqtt.Client(
            **self.settings.uplink_url.client_kwargs(),
            identifier=self.client_id,
            clean_session=False,  # commands sent while we were away are kept for us
            will=aiomqtt.Will(will_topic, will_payload, qos=1, retain=True),
        )
        # A drain window and two status windows (heartbeat, configs) in flight together are
        # the plan, not a backlog.
        client.pending_calls_threshold = self.drain.window + 2 * STATUS_WINDOW + 10
        async with connected(client):
            # The setup is inside the try: a stop while "online" awaits its PUBACK must still
            # say offline.
            try:
                self._status_due.clear()  # the online statuses say it all
                self._process_status_due = False
                await self._publish_statuses(client, "online")
                # One subscription per channel; retained configs come now.
                subscriptions = [(topic, 1) for topic in self.uplink_subscriptions]
                await mqtt_call(client.subscribe(subscriptions))
                self.uplink_connects += 1
                self.uplink_connected.set()
                log.info("%s: uplink to %s", self.who, self.settings.uplink_url)
                self.drain.mark_all()  # anything left from before is sent now
                async with asyncio.TaskGroup() as tasks:
                    tasks.create_task(self.drain.run(client), name="drain")
                    tasks.create_task(self._heartbeat(client), name="heartbeat")
                    tasks.create_task(self._send_due_statuses(client), name="statuses")
                    async for message in client.messages:
                        self._on_uplink(message)
                        await asyncio.sleep(0)  # a thousand configs at connect: homes go on
            except asyncio.CancelledError:
                with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
                    async with asyncio.timeout(OFFLINE_WITHIN_S):
                        await self._publish_statuses(client, "offline")
                raise
            finally:
                self.uplink_connected.clear()

    def _on_uplink(self, message: aiomqtt.Message) -> None:
        topic = str(message.topic)
        found = self._hub_topic(topic)
        if found is None:
            self.unrouted += 1
            log.debug("%s: unexpected uplink topic %s", self.who, topic)
            return
        home, channel = found
        payload = _payload(message)
        pipeline = self.pipelines.get(home)
        if channel == "config":
            if not payload:  # a cleared retained config: nothing pushed, keep ours
                return
            if pipeline is None:
                self.ignored_configs += 1
                log.debug("%s: config for home %s, not run here (counted)", self.who, home)
            elif self._apply_config(pipeline, payload):
                self._status_soon(home)
        elif pipeline is None:
            self.ignored_commands += 1
            log.debug("%s: command for home %s, not run here (counted)", self.who, home)
        else:
            self.commands.queue(home, payload)

    def _hub_topic(self, topic: str) -> tuple[str, str] | None:
        """``(home, "config" | "command")`` for a hub topic on the uplink, else None."""
        levels = topic.split("/")
        p = len(self._prefix_levels)
        if len(levels) != p + 2 or levels[:p] != self._prefix_levels or not levels[p]:
            return None
        return (levels[p], levels[p + 1]) if levels[p + 1] in HUB_CHANNELS else None

    def _apply_config(self, pipeline: HomePipeline, payload: bytes) -> bool:
        """Apply or refuse; False if the very same payload was settled already.

        Every home's retained config comes again at each connect: parsing a thousand of them
        would cost seconds, for the outcome they already had (applied and saved, or refused).
        """
        home = pipeline.home
        digest = hashlib.blake2b(payload, digest_size=16).digest()
        if self._settled.get(home) == digest:
            return False
        self._settled.pop(home, None)
        try:
            pipeline.apply_config(payload)
        except Exception as exc:  # one home's config must not take the others' uplink down
            log.exception("home %s: cannot apply the pushed config", home)
            reason = f"cannot be applied: {exc}"
            pipeline.config_state = ConfigState("refused", reason, now_iso())
            return True
        state = pipeline.config_state.state
        if state == "refused" or pipeline.saved_config == pipeline.config:
            self._settled[home] = digest  # else (not saved) it is tried again next time
        return True

    # -- statuses -------------------------------------------------------------------------

    def _status_topic(self, home: str) -> str:
        return self.pipelines[home].topics.status

    def _status_soon(self, home: str) -> None:
        self._status_due[home] = None
        self._status_wake.set()

    def _local_changed(self) -> None:
        """The local broker came or went: every status says so soon (``local_connected``),
        not a heartbeat later."""
        self._process_status_due = True
        for home in self.pipelines:
            self._status_due[home] = None
        self._status_wake.set()

    async def _send_due_statuses(self, client: aiomqtt.Client) -> None:
        """Republish the statuses that changed (a home's config, the local connection), a
        window at a time."""
        while True:
            self._status_wake.clear()
            if self._process_status_due:
                self._process_status_due = False
                await _publish_retained(client, self.process_statuses("online"))
            if not self._status_due:
                await self._status_wake.wait()
                continue
            homes = list(islice(self._status_due, STATUS_WINDOW))
            for home in homes:  # lost with a dropped connection: the next one says online
                del self._status_due[home]
            await self._publish_home_statuses(client, homes, "online")

    async def _heartbeat(self, client: aiomqtt.Client) -> None:
        while True:
            await asyncio.sleep(self.settings.heartbeat_every_s)
            await self._publish_statuses(client, "online")

    async def _publish_statuses(self, client: aiomqtt.Client, state: str) -> None:
        """The process's statuses, then each home's, retained."""
        await _publish_retained(client, self.process_statuses(state))
        await self._publish_home_statuses(client, self.homes, state)

    async def _publish_home_statuses(
        self, client: aiomqtt.Client, homes: list[str], state: str
    ) -> None:
        for start in range(0, len(homes), STATUS_WINDOW):
            window = homes[start : start + STATUS_WINDOW]
            statuses = [(self._status_topic(h), self.home_status(h, state)) for h in window]
            await _publish_retained(client, statuses)


async def _publish_retained(client: aiomqtt.Client, publishes: list[Publish]) -> None:
    """Published together, QoS 1 and retained. In a task group: a stop that comes as a PUBACK
    arrives is not lost (see :mod:`transport.cancels`), and an offline status published while
    the edge stops is not cut short by the stop being handled."""
    async with asyncio.TaskGroup() as sends:
        for topic, document in publishes:
            sends.create_task(client.publish(topic, _json(document), qos=1, retain=True))


def _payload(message: aiomqtt.Message) -> bytes:
    payload = message.payload
    return bytes(payload) if isinstance(payload, bytes | bytearray) else b""


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))
