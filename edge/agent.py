"""The edge agent of one home: local broker -> decode -> detect -> durable outbox -> uplink.

Two layers, so that hosted edges (many homes in one process, one connection each way) can
reuse the per-home part unchanged:

* :class:`edge.pipeline.HomePipeline` is one home without any broker: it decodes a local
  message, feeds the readings to the home's :class:`HomeMonitor`, writes every event to the
  outbox at once, stages telemetry, counts refused payloads, tracks devices and applies
  pushed configs. Raw accelerometer batches stay at the edge: each wearable's last
  ``WINDOW_BEFORE_S`` are kept (:class:`edge.accel.AccelHistory`) only to go up as the
  ``window`` of a fall it raises. Nothing a device or the hub sends makes it raise.
* :class:`EdgeAgent` owns the two MQTT sessions of one home and runs named tasks in an
  ``asyncio.TaskGroup``: ``local`` (device messages in, voice-prompt commands out),
  ``uplink`` (drain the outbox with QoS 1, status/will, config and commands in), ``tick``
  (wall clock -> ``monitor.advance`` so silence becomes events), ``staging`` (the readings
  of the last second into the outbox, durably), ``telemetry`` (staged readings sealed into
  one telemetry message per interval) and ``detector state`` (the monitor's state saved to
  ``detectors.json`` every minute and at a clean stop, and restored at start, so an open
  condition such as an SOS call survives a restart). A newly raised critical event also
  sends an alarm command on the home's ``local/command`` topic, where the hub's voice-prompt
  commands go too. A periodic task that fails is logged and runs again at its next turn.

The uplink can be down for hours: detection runs on the local side only, every event is in
the SQLite outbox before anything is published, and an item is acked only after the broker's
PUBACK (aiomqtt's ``publish`` with QoS 1 returns then). A publish that reached the broker but
whose ack was lost is sent again after a reconnect; the hub deduplicates on ``(edge, seq)``.

Outbox writes happen on the event loop's thread (one fsync each, ~ms): an event is durable
before the next message is looked at, and nothing is left half-written in a worker thread
when the agent is cancelled. The drain acks a whole window of PUBACKs in one transaction
(``Outbox.ack_many``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import aiomqtt

from analytics.events import Event
from contracts.home import HomeConfig
from contracts.topics import DEFAULT_PREFIX, ZIGBEE2MQTT_BASE
from devices.codec import ClockLimits
from transport.reconnect import BrokerUrl, keep_connected

from .accel import WINDOW_BEFORE_S, WINDOW_JOIN_S, WINDOW_MAX_S, AccelHistory
from .config_store import load_preferred, write_atomically
from .outbox import Outbox, OutboxError, OutboxItem
from .pipeline import (
    DEFAULT_CLOCK,
    MAX_TELEMETRY_BATCH,
    ConfigState,
    HomePipeline,
    PipelineCounts,
    Topics,
    alarm_command,
    worth_logging,
)

# The per-home parts live in pipeline.py and accel.py; they stay importable from here.
__all__ = [
    "DEFAULT_CLOCK",
    "DETECTORS_FILE",
    "DRAIN_WINDOW",
    "MAX_QUEUED_COMMANDS",
    "MAX_TELEMETRY_BATCH",
    "OUTBOX_FILE",
    "STAGE_EVERY_S",
    "WINDOW_BEFORE_S",
    "WINDOW_JOIN_S",
    "WINDOW_MAX_S",
    "AccelHistory",
    "ConfigState",
    "EdgeAgent",
    "HomePipeline",
    "PipelineCounts",
    "Topics",
    "alarm_command",
    "every",
    "write_atomically",
]

log = logging.getLogger("edge.agent")

OUTBOX_FILE = "outbox.db"
DETECTORS_FILE = "detectors.json"  # the detectors' state, so a restart resumes open conditions
MAX_QUEUED_COMMANDS = 100
DRAIN_WINDOW = 100  # outbox items published concurrently before their acks are awaited
STAGE_EVERY_S = 1.0  # readings reach the disk at most this long after they arrived
OUTBOX_RETRY_S = 1.0  # after the outbox refused a read or an ack (a full disk)

T = TypeVar("T")


async def _mqtt(call: Awaitable[T]) -> T:
    """Await an aiomqtt call without losing a cancel (SIGTERM) that came as it completed.

    aiomqtt waits with ``asyncio.wait_for``, which on Python 3.11 returns the result and drops
    a cancel that lands just as the PUBACK/SUBACK arrives; the task would then run on and the
    agent never stop. A task with a cancel pending is stopped here instead.
    """
    result = await call
    _stop_if_cancelled()
    return result


def _stop_if_cancelled() -> None:
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def every(seconds: float, action: Callable[[], object], *, who: str) -> None:
    """Call ``action`` every ``seconds`` (awaiting it if it returns an awaitable), for ever.

    An exception in one call is logged and the next call comes as planned: a periodic task
    of the edge (tick, staging, saving the detectors) must never take the others down.
    """
    failures = 0
    while True:
        await asyncio.sleep(seconds)
        try:
            result = action()
            if asyncio.iscoroutine(result):
                await result
        except Exception:
            failures += 1
            if worth_logging(failures):
                log.exception(
                    "%s failed (%d times so far); trying again in %g s", who, failures, seconds
                )


class EdgeAgent:
    """One home's edge: its local broker, its uplink broker and a durable outbox between."""

    def __init__(
        self,
        config: HomeConfig,
        *,
        local: str,
        uplink: str,
        data_dir: Path,
        prefix: str = DEFAULT_PREFIX,
        zigbee_base: str = ZIGBEE2MQTT_BASE,
        telemetry_every_s: float = 60,
        clock: ClockLimits = DEFAULT_CLOCK,
        heartbeat_every_s: float = 60,
        tick_every_s: float = 5,
        reconnect_first_s: float = 0.5,
        reconnect_max_s: float = 30,
        edge_id: str | None = None,
        state_every_s: float = 60,
        stage_every_s: float = STAGE_EVERY_S,
    ):
        self.local_url = BrokerUrl.parse(local)
        self.uplink_url = BrokerUrl.parse(uplink)
        self.data_dir = Path(data_dir)
        config = load_preferred(config, self.data_dir)
        self.edge_id = edge_id or config.home
        self.outbox = Outbox(self.data_dir / OUTBOX_FILE, self.edge_id)
        self.pipeline = HomePipeline(
            config,
            self.outbox,
            data_dir=self.data_dir,
            prefix=prefix,
            zigbee_base=zigbee_base,
            clock=clock,
        )
        self.topics = self.pipeline.topics
        self.detectors_file = self.data_dir / DETECTORS_FILE
        self.pipeline.restore_detectors(self.detectors_file)
        self.state_every_s = state_every_s
        self.telemetry_every_s = telemetry_every_s
        self.stage_every_s = min(stage_every_s, telemetry_every_s)
        self.heartbeat_every_s = heartbeat_every_s
        self.tick_every_s = tick_every_s
        self.reconnect_first_s = reconnect_first_s
        self.reconnect_max_s = reconnect_max_s
        # Observable state (tests, the status, a future supervisor).
        self.local_connected = asyncio.Event()
        self.uplink_connected = asyncio.Event()
        self.uplink_connects = 0
        self.commands_forwarded = 0
        self.commands_dropped = 0
        self.alarms = 0
        self._wake_drain = asyncio.Event()
        self._commands: deque[bytes] = deque(maxlen=MAX_QUEUED_COMMANDS)
        self._command_ready = asyncio.Event()
        self._closed = False

    @property
    def home(self) -> str:
        return self.pipeline.home

    @property
    def config(self) -> HomeConfig:
        return self.pipeline.config

    # -- the whole agent ------------------------------------------------------------------

    async def run(self) -> None:
        """Run until cancelled (SIGTERM in `eldercare edge`); then shut down cleanly."""
        home = self.home
        periodic = {
            "tick": (self.tick_every_s, self._tick),
            "staging": (self.stage_every_s, self.pipeline.stage_telemetry),
            "telemetry": (self.telemetry_every_s, self._flush_telemetry),
            "detector state": (self.state_every_s, self._save_detectors),
        }
        try:
            # Readings staged by a process that was killed go up now, not a minute later.
            self._flush_telemetry()
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self._local_loop(), name=f"edge {home} local")
                tasks.create_task(self._uplink_loop(), name=f"edge {home} uplink")
                for name, (seconds, action) in periodic.items():
                    who = f"edge {home} {name}"
                    tasks.create_task(every(seconds, action, who=who), name=who)
        finally:
            self.close()

    def close(self) -> None:
        """Save the detectors' state, flush the telemetry batch into the outbox and close
        it; idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self._save_detectors()
            if self.pipeline.flush_telemetry():
                log.info("home %s: telemetry kept in the outbox for next time", self.home)
        finally:
            self.outbox.close()

    def _tick(self) -> None:
        self._after_events(self.pipeline.tick())

    def _save_detectors(self) -> None:
        self.pipeline.save_detectors(self.detectors_file)

    def _after_events(self, events: list[Event]) -> None:
        """New events are in the outbox: wake the drain, sound the alarm for critical ones."""
        if not events:
            return
        self._wake_drain.set()
        for event in events:
            if (alarm := alarm_command(event)) is not None:
                self.alarms += 1
                self._queue_local(alarm)

    def _flush_telemetry(self) -> None:
        if self.pipeline.flush_telemetry():
            self._wake_drain.set()

    async def _reconnecting(self, name: str, session: Callable[[], Awaitable[None]]) -> None:
        await keep_connected(
            session,
            who=f"home {self.home}: {name} broker",
            first_s=self.reconnect_first_s,
            max_s=self.reconnect_max_s,
        )

    # -- local broker ---------------------------------------------------------------------

    async def _local_loop(self) -> None:
        await self._reconnecting("local", self._local_session)

    async def _local_session(self) -> None:
        # A persistent session: the broker keeps QoS 1 device messages while we restart.
        client = aiomqtt.Client(
            **self.local_url.client_kwargs(),
            identifier=f"eldercare-edge-{self.edge_id}-local",
            clean_session=False,
        )
        async with client:
            for topic in self.topics.local_subscriptions:
                await _mqtt(client.subscribe(topic, qos=1))
            log.info("home %s: listening on %s", self.home, self.local_url)
            self.local_connected.set()
            try:
                async with asyncio.TaskGroup() as tasks:
                    tasks.create_task(self._forward_commands(client), name="commands")
                    async for message in client.messages:
                        self._on_local(message)
            finally:
                self.local_connected.clear()

    def _on_local(self, message: aiomqtt.Message) -> None:
        payload = message.payload if isinstance(message.payload, bytes | bytearray) else b""
        received_at = datetime.now(UTC)  # the edge is I/O: the wall clock is allowed here
        # handle_local raises nothing; the alarm is ours and must not cost the next message.
        events = self.pipeline.handle_local(str(message.topic), bytes(payload), received_at)
        try:
            self._after_events(events)
        except Exception:
            log.exception("home %s: cannot sound the alarm for %d events", self.home, len(events))

    async def _forward_commands(self, client: aiomqtt.Client) -> None:
        while True:
            while self._commands:
                await _mqtt(client.publish(self.topics.local_command, self._commands[0], qos=1))
                self._commands.popleft()
                self.commands_forwarded += 1
            self._command_ready.clear()
            await self._command_ready.wait()

    # -- uplink broker --------------------------------------------------------------------

    async def _uplink_loop(self) -> None:
        await self._reconnecting("uplink", self._uplink_session)

    async def _uplink_session(self) -> None:
        offline = json.dumps({"state": "offline", "home": self.home, "edge": self.edge_id})
        client = aiomqtt.Client(
            **self.uplink_url.client_kwargs(),
            identifier=f"eldercare-edge-{self.edge_id}",
            clean_session=False,  # commands sent while we were away are kept for us
            will=aiomqtt.Will(self.topics.status, offline, qos=1, retain=True),
        )
        async with client:
            # The setup is inside the try: a stop while "online" awaits its PUBACK must still
            # say offline (a clean disconnect never fires the will).
            try:
                await _mqtt(client.subscribe(self.topics.config, qos=1))
                await _mqtt(client.subscribe(self.topics.command, qos=1))
                await self._publish_status(client, "online")
                self.uplink_connects += 1
                self.uplink_connected.set()
                log.info("home %s: uplink to %s", self.home, self.uplink_url)
                async with asyncio.TaskGroup() as tasks:
                    tasks.create_task(self._drain(client), name="drain")
                    tasks.create_task(self._heartbeat(client), name="heartbeat")
                    async for message in client.messages:
                        await self._on_uplink(client, message)
            except asyncio.CancelledError:
                await self._say_offline(client, offline)
                raise
            finally:
                self.uplink_connected.clear()

    async def _say_offline(self, client: aiomqtt.Client, offline: str) -> None:
        # A clean stop says so at once; the will only fires for an unclean disconnect.
        with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
            async with asyncio.timeout(2):
                await client.publish(self.topics.status, offline, qos=1, retain=True)

    async def _publish_status(self, client: aiomqtt.Client, state: str) -> None:
        document = self.pipeline.status(state)
        document["commands"] = {
            "forwarded": self.commands_forwarded,
            "dropped": self.commands_dropped,
            "queued": len(self._commands),
            "alarms": self.alarms,
        }
        document["local_connected"] = self.local_connected.is_set()
        payload = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        await _mqtt(client.publish(self.topics.status, payload, qos=1, retain=True))

    async def _heartbeat(self, client: aiomqtt.Client) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_every_s)
            await self._publish_status(client, "online")

    async def _drain(self, client: aiomqtt.Client) -> None:
        while True:
            self._wake_drain.clear()
            try:
                items = self.outbox.pending(limit=DRAIN_WINDOW)
            except OutboxError as exc:
                log.error("home %s: %s; trying again in %g s", self.home, exc, OUTBOX_RETRY_S)
                await asyncio.sleep(OUTBOX_RETRY_S)
                continue
            if not items:
                await self._wake_drain.wait()
                continue
            # QoS 1 publishes on one connection keep their order. The window is acked in one
            # transaction (one fsync); on an error or a cancel, the seqs whose PUBACK did
            # come are still acked, the others are sent again after the reconnect.
            acked: list[int] = []
            try:
                async with asyncio.TaskGroup() as sends:
                    for item in items:
                        sends.create_task(self._send(client, item, acked))
            finally:
                forgotten = self._forget(acked)
            if not forgotten:  # they go again (the hub drops the copies), after a pause
                await asyncio.sleep(OUTBOX_RETRY_S)

    def _forget(self, acked: list[int]) -> bool:
        """Remove the acknowledged items from the outbox; False if it refused (full disk)."""
        try:
            self.outbox.ack_many(acked)
        except OutboxError as exc:
            log.error("home %s: %d sent items stay in the outbox: %s", self.home, len(acked), exc)
            return False
        return True

    async def _send(self, client: aiomqtt.Client, item: OutboxItem, acked: list[int]) -> None:
        await client.publish(item.topic, item.payload, qos=1)
        acked.append(item.seq)  # the PUBACK came: acked even if a stop came with it
        _stop_if_cancelled()

    async def _on_uplink(self, client: aiomqtt.Client, message: aiomqtt.Message) -> None:
        payload = message.payload if isinstance(message.payload, bytes | bytearray) else b""
        topic = str(message.topic)
        if topic == self.topics.config:
            if not payload:  # a cleared retained config: nothing pushed, keep ours
                return
            self.pipeline.apply_config(bytes(payload))
            await self._publish_status(client, "online")
        elif topic == self.topics.command:
            self._queue_local(bytes(payload))

    def _queue_local(self, payload: bytes) -> None:
        """A command for the local broker (hub command or local alarm), sent in order."""
        if len(self._commands) == self._commands.maxlen:
            self.commands_dropped += 1  # the oldest goes: the newest is the one that matters
        self._commands.append(payload)
        self._command_ready.set()
        log.info("home %s: command %s", self.home, payload[:200].decode(errors="replace"))
