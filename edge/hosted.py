"""Hosted edges: many homes in one process, one MQTT connection each way (ARCHITECTURE.md).

Homes whose devices talk straight to the hub (4G bracelets) have no edge box of their own;
the hub deployment runs their edges. :class:`HostedEdges` runs one :class:`HomePipeline`
per home (the same per-home code as :class:`edge.agent.EdgeAgent`) behind two shared
sessions:

* local: one connection, two wildcard subscriptions (``<prefix>/+/dev/+/up`` and the
  Zigbee2MQTT base with ``{home}`` as ``+``); each message is routed by the home id in its
  topic to that home's pipeline. A topic naming a home this process does not host is
  counted (``unknown_home``, with up to :data:`MAX_UNKNOWN_IDS` ids kept for the status),
  never fatal.
* uplink: one connection. Every home keeps its own durable outbox
  (``data_dir/<home>/outbox.sqlite``, edge id = home id, so the hub's ``(edge, seq)``
  dedup is unchanged); the outboxes are drained round-robin, at most
  ``per_home_turn`` items of one home per window, so one home's telemetry backlog cannot
  delay another home's fall.

Status and the will. MQTT allows one will per connection, so the per-home
``<prefix>/<home>/status`` cannot each carry one. On connect each home's status is
published retained with ``"state": "online"`` and ``"hosted": <process id>``; the
connection's will is a process-level retained ``offline`` on
``<prefix>/hosted/<process id>/status`` whose document lists the homes. **The hub maps a
hosted process status onto its homes**: when it goes ``offline`` (will or clean stop) every
home listed is offline, whatever its own retained status still says. A clean stop also
publishes ``offline`` on every home's status.

Hub to homes, over the same uplink connection, with one wildcard subscription each (not
one per home), QoS 1, in a persistent session (commands sent while the process was away are
kept for it):

* ``<prefix>/+/config``: a retained home config, so every home's arrives at each connect.
  It goes to that home's :meth:`HomePipeline.apply_config`, exactly as in EdgeAgent: the
  same validation, the last good config saved in the home's folder
  (``data_dir/<home>/config.json``, preferred at the next start), a refused one kept out
  with the reason in the home's status document (``config``). New devices take effect at
  once: decoding looks devices up in the home's current config. That home's status is
  republished after each config (windows of :data:`STATUS_WINDOW`). The same bytes again
  (the retained config at the next connect) are not parsed again once applied and saved,
  or refused: a thousand homes reconnect in milliseconds, not seconds. An empty payload (a
  cleared retained config) is ignored; a config for a home not hosted here is counted
  (``ignored_configs`` in the process status).
* ``<prefix>/+/command``: e.g. the "help is coming" voice prompt. Passed on, QoS 1 and in
  order, to ``<prefix>/<home>/local/command`` on the local connection, together with the
  local alarm of a newly raised critical event (:func:`edge.agent.alarm_command`). Each home
  queues at most :data:`edge.agent.MAX_QUEUED_COMMANDS` while the local broker is away (the
  oldest goes first, counted); a command for a home not hosted here is counted
  (``ignored_commands``). Each home's status carries its ``commands`` counts.

Telemetry and bad input, as in EdgeAgent: every home's readings are staged in its outbox
every second (``hosted staging``) and sealed into telemetry messages every
``telemetry_every_s``; a message one home cannot handle is refused and counted in that
home's status, and costs no other message and no other home. A periodic task that fails is
logged and runs again at its next turn; an outbox that refuses a read or an ack (a full
disk) holds back that home's drain for a second, not the others'.

Detector state, as in EdgeAgent: each home's detectors are restored at start from
``data_dir/<home>/detectors.json`` (a missing file is a first start; an unusable one is a
warning and a fresh start), so an open condition such as an SOS call survives a restart.
The ``hosted detector state`` task saves them every ``save_every_s`` and :meth:`close` saves
them at a clean stop. Only homes whose detectors may have changed since their last save are
written: a reading fed, an event stored, a config applied or a save that failed (the
pipeline's counters, nothing to serialize). A home that was only ticked, without events,
is skipped: timers advance from the saved time after a restart, and with no reading in
between they reach the state the skipped ticks had (``now``, whereabouts transitions). A
save costs ~2 ms per home (state, JSON, two fsyncs): the loop gets a turn every
:data:`edge.detector_state.SAVE_YIELD_EVERY` homes written.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import socket
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import aiomqtt

from contracts.home import HomeConfig
from contracts.topics import DEFAULT_PREFIX, HOSTED_LEVEL, hosted_status
from devices.codec import ClockLimits
from transport.reconnect import BrokerUrl, keep_connected

from .agent import DETECTORS_FILE, DRAIN_WINDOW, STAGE_EVERY_S, _mqtt, every
from .commands import LocalCommands
from .config_store import load_preferred
from .detector_state import DetectorSaves
from .drain import RoundRobinDrain
from .outbox import Outbox
from .pipeline import DEFAULT_CLOCK, ConfigState, HomePipeline, alarm_command

log = logging.getLogger("edge.hosted")

OUTBOX_FILE = "outbox.sqlite"
MAX_UNKNOWN_IDS = 100  # distinct unknown home ids remembered (the total is always counted)
PER_HOME_TURN = 20  # outbox items of one home per drain window
STATUS_WINDOW = 100  # status publishes awaited together
YIELD_EVERY = 50  # homes ticked/flushed before the loop gets a turn


HUB_KINDS = ("config", "command")  # <prefix>/<home>/<kind> from the hub


def default_process_id() -> str:
    # Stable across restarts (a persistent identity and one retained status topic per host).
    return f"{socket.gethostname()}"


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class TopicRouter:
    """Which home a local topic belongs to, from the topic alone (no pipeline needed)."""

    def __init__(self, prefix: str, zigbee_base: str):
        zigbee_levels = zigbee_base.split("/")
        if zigbee_levels.count("{home}") != 1 or "{home}" in zigbee_base.replace("{home}", "", 1):
            raise ValueError(
                f"zigbee_base must hold {{home}} as one whole topic level, got {zigbee_base!r}"
            )
        if any(c in prefix for c in "+#") or any(c in zigbee_base for c in "+#"):
            raise ValueError("prefix and zigbee_base must not contain MQTT wildcards")
        self._prefix = prefix.split("/")
        self._zigbee = zigbee_levels
        self._home_level = zigbee_levels.index("{home}")
        wildcard = "/".join("+" if level == "{home}" else level for level in zigbee_levels)
        self.subscriptions: tuple[str, ...] = (f"{prefix}/+/dev/+/up", f"{wildcard}/#")
        self.uplink_subscriptions: tuple[str, ...] = tuple(f"{prefix}/+/{k}" for k in HUB_KINDS)

    def home_of(self, topic: str) -> str | None:
        """The home id in ``topic``, or None if the topic has neither known shape."""
        levels = topic.split("/")
        p = len(self._prefix)
        if (
            len(levels) == p + 4
            and levels[:p] == self._prefix
            and levels[p + 1] == "dev"
            and levels[p + 3] == "up"
        ):
            return levels[p] or None
        z = self._zigbee
        if len(levels) >= len(z) and all(
            levels[i] == z[i] for i in range(len(z)) if i != self._home_level
        ):
            return levels[self._home_level] or None
        return None

    def hub_topic(self, topic: str) -> tuple[str, str] | None:
        """``(home, "config" | "command")`` for a hub topic on the uplink, else None."""
        levels = topic.split("/")
        p = len(self._prefix)
        if len(levels) == p + 2 and levels[:p] == self._prefix and levels[p + 1] in HUB_KINDS:
            return (levels[p], levels[p + 1]) if levels[p] else None
        return None


class HostedEdges:
    """Many homes' edges in one process: one local and one uplink MQTT connection."""

    def __init__(
        self,
        configs: Iterable[HomeConfig],
        *,
        local: str,
        uplink: str,
        data_dir: Path,
        prefix: str = DEFAULT_PREFIX,
        zigbee_base: str = "zigbee2mqtt/{home}",
        process_id: str | None = None,
        telemetry_every_s: float = 60,
        heartbeat_every_s: float = 60,
        tick_every_s: float = 5,
        clock: ClockLimits = DEFAULT_CLOCK,
        reconnect_first_s: float = 0.5,
        reconnect_max_s: float = 30,
        drain_window: int = DRAIN_WINDOW,
        per_home_turn: int = PER_HOME_TURN,
        now: Callable[[], float] = time.time,
        save_every_s: float = 60,
        stage_every_s: float = STAGE_EVERY_S,
    ):
        """``now`` is the clock messages are received and timers run by: the wall clock,
        or a simulated one when the devices' time runs accelerated (``eldercare demo``).
        Each home's detectors resume from ``data_dir/<home>/detectors.json``; changed ones
        are saved every ``save_every_s`` and at :meth:`close`."""
        self.now = now
        configs = _hostable(configs)
        if drain_window < 1 or per_home_turn < 1:
            raise ValueError("drain_window and per_home_turn must be >= 1")
        self.router = TopicRouter(prefix, zigbee_base)
        self.local_url = BrokerUrl.parse(local)
        self.uplink_url = BrokerUrl.parse(uplink)
        self.data_dir = Path(data_dir)
        self.prefix = prefix
        self.process_id = process_id or default_process_id()
        self.status_topic = hosted_status(prefix, self.process_id)
        self.telemetry_every_s = telemetry_every_s
        self.heartbeat_every_s = heartbeat_every_s
        self.tick_every_s = tick_every_s
        self.reconnect_first_s = reconnect_first_s
        self.reconnect_max_s = reconnect_max_s
        self.save_every_s = save_every_s
        self.stage_every_s = min(stage_every_s, telemetry_every_s)

        self.pipelines, restored = _open_homes(configs, self.data_dir, prefix, zigbee_base, clock)
        self.saves = DetectorSaves(self.pipelines, restored)

        # Observable state (tests, the process status, the benchmark).
        self.unknown_home = 0
        self.unknown_ids: Counter[str] = Counter()
        self.unrouted = 0  # a subscribed topic of neither shape (should not happen)
        self.local_connected = asyncio.Event()
        self.uplink_connected = asyncio.Event()
        self.uplink_connects = 0
        self.ignored_configs = 0  # configs pushed for homes not hosted here
        self.ignored_commands = 0  # commands for homes not hosted here
        self.local_commands = LocalCommands(
            self.homes, lambda home: self.pipelines[home].topics.local_command
        )
        self.commands = self.local_commands.counts
        self.drain = RoundRobinDrain(self.pipelines, drain_window, per_home_turn)
        self._settled: dict[str, bytes] = {}  # home -> digest of a config with a final outcome
        self._status_due: dict[str, None] = {}  # homes whose status must go out (ordered set)
        self._status_wake = asyncio.Event()
        self._closed = False

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
        """Run until cancelled; then say offline, save the detectors' states, flush telemetry
        and close the outboxes."""
        periodic = {
            "tick": (self.tick_every_s, self._tick),
            "staging": (self.stage_every_s, self._stage_telemetry),
            "telemetry": (self.telemetry_every_s, self._flush_telemetry),
            "detector state": (self.save_every_s, self._save_detectors),
        }
        try:
            # Readings staged by a process that was killed go up now, not a minute later.
            await self._flush_telemetry()
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self._local_loop(), name="hosted local")
                tasks.create_task(self._uplink_loop(), name="hosted uplink")
                for name, (seconds, action) in periodic.items():
                    who = f"hosted {name}"
                    tasks.create_task(every(seconds, action, who=who), name=who)
        finally:
            self.close()

    def close(self) -> None:
        """Save the detectors' states, flush every telemetry batch into its outbox and close
        the outboxes; idempotent."""
        if self._closed:
            return
        self._closed = True
        for pipeline in self.pipelines.values():
            try:
                self.saves.save(pipeline)
                pipeline.flush_telemetry()
            except Exception:  # one home's broken outbox must not keep the others open
                log.exception("home %s: cannot keep the telemetry batch", pipeline.home)
            finally:
                pipeline.outbox.close()

    async def _tick(self) -> None:
        now = self.now()
        for index, pipeline in enumerate(list(self.pipelines.values()), 1):
            self._after_events(pipeline.home, pipeline.tick(now))
            if index % YIELD_EVERY == 0:
                await asyncio.sleep(0)

    async def _stage_telemetry(self) -> None:
        """Every home's readings of the last second onto its disk (one fsync per home that
        has any)."""
        staged = 0
        for pipeline in list(self.pipelines.values()):
            if pipeline.batched_readings and pipeline.stage_telemetry():
                staged += 1
                if staged % YIELD_EVERY == 0:
                    await asyncio.sleep(0)

    async def _flush_telemetry(self) -> None:
        for index, pipeline in enumerate(list(self.pipelines.values()), 1):
            if pipeline.flush_telemetry():
                self.drain.mark(pipeline.home)
            if index % YIELD_EVERY == 0:  # one fsync per home: let messages in between
                await asyncio.sleep(0)

    async def _save_detectors(self) -> None:
        await self.saves.save_changed()

    def _after_events(self, home: str, events: list[Any]) -> None:
        """New events are in the home's outbox: drain them, sound the alarm for critical ones."""
        if not events:
            return
        self.drain.mark(home)
        for event in events:
            if (alarm := alarm_command(event)) is not None:
                self.commands[home].alarms += 1
                self.local_commands.queue(home, alarm)

    async def _reconnecting(self, name: str, session: Callable[[], Awaitable[None]]) -> None:
        await keep_connected(
            session,
            who=f"hosted {self.process_id}: {name} broker",
            first_s=self.reconnect_first_s,
            max_s=self.reconnect_max_s,
        )

    # -- local broker ---------------------------------------------------------------------

    async def _local_loop(self) -> None:
        await self._reconnecting("local", self._local_session)

    async def _local_session(self) -> None:
        client = aiomqtt.Client(
            **self.local_url.client_kwargs(),
            identifier=f"eldercare-hosted-{self.process_id}-local",
            clean_session=False,  # QoS 1 device messages wait for us across a restart
        )
        async with client:
            await client.subscribe([(topic, 1) for topic in self.router.subscriptions])
            log.info(
                "hosted %s: %d homes listening on %s",
                self.process_id,
                len(self.pipelines),
                self.local_url,
            )
            self.local_connected.set()
            try:
                async with asyncio.TaskGroup() as tasks:
                    tasks.create_task(self.local_commands.forward(client), name="commands")
                    async for message in client.messages:
                        self._on_local(message)
            finally:
                self.local_connected.clear()

    def _on_local(self, message: aiomqtt.Message) -> None:
        topic = str(message.topic)
        home = self.router.home_of(topic)
        pipeline = self.pipelines.get(home) if home is not None else None
        if pipeline is None:
            if home is None:
                self.unrouted += 1
                log.debug("hosted: no home in topic %s", topic)
                return
            self.unknown_home += 1
            if home in self.unknown_ids or len(self.unknown_ids) < MAX_UNKNOWN_IDS:
                if home not in self.unknown_ids:
                    log.warning("hosted: message for home %s, not hosted here (counted)", home)
                self.unknown_ids[home] += 1
            return
        payload = message.payload if isinstance(message.payload, bytes | bytearray) else b""
        received_at = datetime.fromtimestamp(self.now(), UTC)
        # handle_local raises nothing; the alarm is ours and must not cost the next message.
        events = pipeline.handle_local(topic, bytes(payload), received_at)
        try:
            self._after_events(home, events)
        except Exception:
            log.exception("home %s: cannot sound the alarm for %d events", home, len(events))

    # -- uplink broker --------------------------------------------------------------------

    async def _uplink_loop(self) -> None:
        await self._reconnecting("uplink", self._uplink_session)

    def process_status(self, state: str) -> dict[str, Any]:
        return {
            "state": state,
            "hosted": self.process_id,
            "ts": _now_iso(),
            "homes": self.homes,
            "local_connected": self.local_connected.is_set(),
            "unknown_home": self.unknown_home,
            "unknown_ids": dict(self.unknown_ids),
            "unrouted": self.unrouted,
            "ignored_configs": self.ignored_configs,
            "ignored_commands": self.ignored_commands,
        }

    def home_status(self, home: str, state: str) -> dict[str, Any]:
        document = self.pipelines[home].status(state)
        document["hosted"] = self.process_id
        document["local_connected"] = self.local_connected.is_set()
        queued = self.local_commands.queued(home)
        document["commands"] = {**asdict(self.commands[home]), "queued": queued}
        return document

    async def _uplink_session(self) -> None:
        offline = self.process_status("offline")
        offline.pop("ts")
        client = aiomqtt.Client(
            **self.uplink_url.client_kwargs(),
            identifier=f"eldercare-hosted-{self.process_id}",
            clean_session=False,  # commands sent while we were away are kept for us
            will=aiomqtt.Will(self.status_topic, _json(offline), qos=1, retain=True),
        )
        # A drain window and two status windows (heartbeat, configs) in flight together are
        # the plan, not a backlog.
        client.pending_calls_threshold = self.drain.window + 2 * STATUS_WINDOW + 10
        async with client:
            try:
                await self._publish_statuses(client, "online")
                # One subscription per kind for all homes; retained configs come now.
                await _mqtt(client.subscribe([(t, 1) for t in self.router.uplink_subscriptions]))
                self.uplink_connects += 1
                self.uplink_connected.set()
                log.info("hosted %s: uplink to %s", self.process_id, self.uplink_url)
                for home in self.pipelines:  # anything left from before is sent now
                    self.drain.mark(home)
                async with asyncio.TaskGroup() as tasks:
                    tasks.create_task(self.drain.run(client), name="drain")
                    tasks.create_task(self._heartbeat(client), name="heartbeat")
                    tasks.create_task(self._send_due_statuses(client), name="statuses")
                    async for message in client.messages:
                        self._on_uplink(message)
                        await asyncio.sleep(0)  # a thousand configs at connect: homes go on
            except asyncio.CancelledError:
                with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
                    async with asyncio.timeout(5):
                        await self._publish_statuses(client, "offline")
                raise
            finally:
                self.uplink_connected.clear()

    def _on_uplink(self, message: aiomqtt.Message) -> None:
        topic = str(message.topic)
        found = self.router.hub_topic(topic)
        if found is None:
            self.unrouted += 1
            log.debug("hosted: unexpected uplink topic %s", topic)
            return
        home, kind = found
        payload = message.payload if isinstance(message.payload, bytes | bytearray) else b""
        pipeline = self.pipelines.get(home)
        if kind == "config":
            if not payload:  # a cleared retained config: nothing pushed, keep ours
                return
            if pipeline is None:
                self.ignored_configs += 1
                log.debug("hosted: config for home %s, not hosted here (counted)", home)
                return
            if self._apply_config(pipeline, bytes(payload)):
                self._status_soon(home)
        else:
            if pipeline is None:
                self.ignored_commands += 1
                log.debug("hosted: command for home %s, not hosted here (counted)", home)
                return
            self.local_commands.queue(home, bytes(payload))

    def _apply_config(self, pipeline: HomePipeline, payload: bytes) -> bool:
        """Apply or refuse, as EdgeAgent; False if the very same payload was settled already.

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
            pipeline.config_state = ConfigState("refused", reason, _now_iso())
            return True
        state = pipeline.config_state.state
        if state == "refused" or pipeline.saved_config == pipeline.config:
            self._settled[home] = digest  # else (not saved) it is tried again next time
        return True

    def _status_soon(self, home: str) -> None:
        self._status_due[home] = None
        self._status_wake.set()

    async def _send_due_statuses(self, client: aiomqtt.Client) -> None:
        """Republish the statuses of homes whose config changed state, a window at a time."""
        while True:
            self._status_wake.clear()
            if not self._status_due:
                await self._status_wake.wait()
                continue
            homes = list(islice(self._status_due, STATUS_WINDOW))
            for home in homes:  # lost with a dropped connection: the next one says online
                del self._status_due[home]
            await self._publish_home_statuses(client, homes, "online")

    async def _publish_statuses(self, client: aiomqtt.Client, state: str) -> None:
        """The process status, then each home's, retained; a window of publishes at a time."""
        await client.publish(self.status_topic, _json(self.process_status(state)), 1, True)
        await self._publish_home_statuses(client, self.homes, state)

    async def _publish_home_statuses(
        self, client: aiomqtt.Client, homes: list[str], state: str
    ) -> None:
        for start in range(0, len(homes), STATUS_WINDOW):
            async with asyncio.TaskGroup() as sends:
                for home in homes[start : start + STATUS_WINDOW]:
                    topic = self.pipelines[home].topics.status
                    payload = _json(self.home_status(home, state))
                    sends.create_task(client.publish(topic, payload, qos=1, retain=True))

    async def _heartbeat(self, client: aiomqtt.Client) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_every_s)
            await self._publish_statuses(client, "online")


def _hostable(configs: Iterable[HomeConfig]) -> list[HomeConfig]:
    """The configs, if their homes can be hosted together; ValueError saying why not."""
    configs = list(configs)
    if not configs:
        raise ValueError("hosted edges need at least one home")
    homes = [c.home for c in configs]
    if len(set(homes)) != len(homes):
        duplicates = sorted(h for h, n in Counter(homes).items() if n > 1)
        raise ValueError(f"homes given twice: {duplicates}")
    bad = [h for h in homes if h == HOSTED_LEVEL or any(c in h for c in "/+#")]
    if bad:
        raise ValueError(f"home ids unusable as a topic level: {bad}")
    return configs


def _open_homes(
    configs: list[HomeConfig],
    data_dir: Path,
    prefix: str,
    zigbee_base: str,
    clock: ClockLimits,
) -> tuple[dict[str, HomePipeline], list[str]]:
    """Each home's pipeline on its own folder (the last good config, the outbox, the
    detectors' state), and the homes whose detectors resumed from a saved state. A home that
    fails closes the outboxes opened before it."""
    pipelines: dict[str, HomePipeline] = {}
    restored: list[str] = []
    try:
        for config in configs:
            home_dir = data_dir / config.home
            config = load_preferred(config, home_dir)
            outbox = Outbox(home_dir / OUTBOX_FILE, config.home)
            pipeline = pipelines[config.home] = HomePipeline(
                config,
                outbox,
                data_dir=home_dir,
                prefix=prefix,
                zigbee_base=zigbee_base,
                clock=clock,
            )
            if pipeline.restore_detectors(home_dir / DETECTORS_FILE):
                restored.append(config.home)
    except BaseException:
        for pipeline in pipelines.values():
            pipeline.outbox.close()
        raise
    return pipelines, restored


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))
