"""The edge agent of one home: local broker -> decode -> detect -> durable outbox -> uplink.

Two layers, so that hosted edges (many homes in one process, one connection each way) can
reuse the per-home part unchanged:

* :class:`HomePipeline` is one home without any broker: it decodes a local message, feeds
  the readings to the home's :class:`HomeMonitor`, writes every event to the outbox at once,
  batches telemetry, counts refused payloads, tracks devices and applies pushed configs.
  Raw accelerometer batches stay at the edge: each wearable's last ``WINDOW_BEFORE_S`` are
  kept (:class:`AccelHistory`) only to go up as the ``window`` of a fall it raises.
  It is synchronous; the only I/O is the outbox (SQLite) and the last-good config file.
* :class:`EdgeAgent` owns the two MQTT sessions of one home and runs named tasks in an
  ``asyncio.TaskGroup``: ``local`` (device messages in, voice-prompt commands out),
  ``uplink`` (drain the outbox with QoS 1, status/will, config and commands in), ``tick``
  (wall clock -> ``monitor.advance`` so silence becomes events), ``telemetry`` and
  ``detector state`` (the monitor's state saved to ``detectors.json`` every minute and at a
  clean stop, and restored at start, so an open condition such as an SOS call survives a
  restart). A newly raised critical event also sends an alarm command on the home's
  ``local/command`` topic, where the hub's voice-prompt commands go too.

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
import os
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, TypeVar

import aiomqtt
import numpy as np

from analytics.errors import AnalyticsError
from analytics.events import SEVERITY_RANK, Event
from analytics.monitor import HomeMonitor
from contracts.errors import HomeConfigError
from contracts.home import HomeConfig
from contracts.reading import Reading
from devices.codec import DEFAULT_PREFIX, ZIGBEE2MQTT_BASE, ClockLimits, decode
from devices.errors import PayloadError
from transport.reconnect import BrokerUrl, keep_connected

from .config_store import load_preferred, save_last_good
from .outbox import Kind, Outbox, OutboxItem

log = logging.getLogger("edge.agent")

OUTBOX_FILE = "outbox.db"
DETECTORS_FILE = "detectors.json"  # the detectors' state, so a restart resumes open conditions
MAX_TELEMETRY_BATCH = 2000  # readings; a full batch is flushed before the timer fires
MAX_QUEUED_COMMANDS = 100
DEFAULT_CLOCK = ClockLimits()
DRAIN_WINDOW = 100  # outbox items published concurrently before their acks are awaited
WINDOW_BEFORE_S = 20.0  # accelerometer kept per wearable, event time, for a fall's window
WINDOW_MAX_S = 25.0  # hard bound on what is kept, in seconds of samples at the stream's rate
WINDOW_JOIN_S = 0.1  # clock jitter: a batch starting this close to the kept end continues it

Entry = tuple[Kind, str, dict[str, Any]]
T = TypeVar("T")


def _now_iso(tz=UTC) -> str:
    return datetime.now(tz).isoformat(timespec="milliseconds")


def _write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves either the old or the new file."""
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:  # the rename itself is durable only once the folder is synced
        os.fsync(directory)
    finally:
        os.close(directory)


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


def alarm_command(event: Event) -> bytes | None:
    """The local command that sounds an alarm in the flat for a newly raised critical event.

    No device in the catalog can sound, so the command goes to ``<prefix>/<home>/local/command``
    (where the hub's voice-prompt commands go too) for whatever speaker listens there.
    """
    if event.state != "raised" or SEVERITY_RANK[event.severity] < SEVERITY_RANK["critical"]:
        return None
    document = {"action": "alarm", "kind": event.kind, "severity": event.severity}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


class AccelHistory:
    """One wearable's latest accelerometer samples: a continuous stream at one rate, trimmed
    to the last ``WINDOW_BEFORE_S`` of event time and never more than ``WINDOW_MAX_S``.

    A batch that does not continue the stream (another rate, or a gap) starts it afresh, so
    that one start time and one rate place every sample; a batch repeating time already kept
    (a message sent again) is skipped. Samples are kept as float32 arrays, ~20 KB per
    wearable at 50 Hz, since a hosted process keeps one history per wearable of each home.
    """

    def __init__(self) -> None:
        self.rate_hz = 0.0
        self.batches: deque[tuple[float, np.ndarray]] = deque()  # (first sample's time, samples)
        self.samples = 0

    @property
    def start(self) -> float:
        return self.batches[0][0]

    @property
    def end(self) -> float:
        start, samples = self.batches[-1]
        return start + len(samples) / self.rate_hz

    def add(self, batch: Reading) -> None:
        start, rate = batch.epoch, float(batch.rate_hz or 0)
        if self.batches:
            if self.start - WINDOW_JOIN_S <= start < self.end - WINDOW_JOIN_S:
                return  # time already kept
            if rate != self.rate_hz or abs(start - self.end) > WINDOW_JOIN_S:
                self.batches.clear()
                self.samples = 0
        self.rate_hz = rate
        samples = np.asarray(batch.value, dtype=np.float32)
        self.batches.append((start, samples))
        self.samples += len(samples)
        keep_from, most = self.end - WINDOW_BEFORE_S, WINDOW_MAX_S * rate
        while len(self.batches) > 1:
            first_start, first = self.batches[0]
            if first_start + len(first) / rate > keep_from and self.samples <= most:
                break
            self.batches.popleft()
            self.samples -= len(first)

    def window(self, device: str, tz: tzinfo) -> dict[str, Any]:
        """The kept samples as an event's ``window``, rounded to 3 decimals (mg) to keep the
        message small."""
        samples = np.concatenate([samples for _, samples in self.batches]).astype(np.float64)
        return {
            "device": device,
            "rate_hz": self.rate_hz,
            "start": datetime.fromtimestamp(self.start, tz).isoformat(timespec="milliseconds"),
            "samples": np.round(samples, 3).tolist(),
        }


@dataclass(frozen=True)
class Topics:
    """The MQTT topics of one home (ARCHITECTURE.md)."""

    prefix: str
    home: str
    zigbee_base: str

    @property
    def event(self) -> str:
        return f"{self.prefix}/{self.home}/event"

    @property
    def telemetry(self) -> str:
        return f"{self.prefix}/{self.home}/telemetry"

    @property
    def status(self) -> str:
        return f"{self.prefix}/{self.home}/status"

    @property
    def config(self) -> str:
        return f"{self.prefix}/{self.home}/config"

    @property
    def command(self) -> str:
        return f"{self.prefix}/{self.home}/command"

    @property
    def local_command(self) -> str:
        return f"{self.prefix}/{self.home}/local/command"

    @property
    def local_subscriptions(self) -> tuple[str, ...]:
        return (f"{self.zigbee_base}/#", f"{self.prefix}/{self.home}/dev/+/up")


@dataclass
class ConfigState:
    """What happened to the last config pushed by the hub, for the status."""

    state: str = "initial"  # initial | applied | refused
    reason: str | None = None
    at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {"state": self.state}
        if self.reason is not None:
            document["reason"] = self.reason
        if self.at is not None:
            document["at"] = self.at
        return document


@dataclass
class PipelineCounts:
    messages: int = 0
    readings: int = 0
    events: int = 0
    telemetry_batches: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    detector_errors: int = 0


class HomePipeline:
    """One home: decode -> detect -> outbox, plus its telemetry batch and device table."""

    def __init__(
        self,
        config: HomeConfig,
        outbox: Outbox,
        *,
        data_dir: Path,
        prefix: str = DEFAULT_PREFIX,
        zigbee_base: str = ZIGBEE2MQTT_BASE,
        clock: ClockLimits = DEFAULT_CLOCK,
    ):
        self.config = config
        self.outbox = outbox
        self.data_dir = Path(data_dir)
        self.prefix = prefix
        # "{home}" lets homes sharing one broker have one Zigbee2MQTT base topic each.
        self.zigbee_base = zigbee_base.format(home=config.home)
        self.clock = clock
        self.topics = Topics(prefix, config.home, self.zigbee_base)
        self.monitor = HomeMonitor(config)
        self.counts = PipelineCounts()
        self.config_state = ConfigState()
        self.saved_config: HomeConfig | None = None  # what this process last saved
        self.devices: dict[str, dict[str, Any]] = {}
        self._batch: list[dict[str, Any]] = []
        self._accel: dict[str, AccelHistory] = {}  # per wearable, for the window of a fall
        self._warned: set[str] = set()

    @property
    def home(self) -> str:
        return self.config.home

    # -- local side -----------------------------------------------------------------------

    def handle_local(self, topic: str, payload: bytes, received_at: datetime) -> list[Event]:
        """Decode one local message and detect; events are in the outbox when this returns.

        Never raises for bad input: a refused payload or value is counted by its problem.
        """
        self.counts.messages += 1
        try:
            decoded = decode(
                topic,
                payload,
                self.config,
                received_at=received_at,
                prefix=self.prefix,
                zigbee_base=self.zigbee_base,
                clock=self.clock,
            )
        except PayloadError as exc:
            self._refuse(exc)
            return []
        for refused in decoded.rejected:
            self._refuse(refused)
        events: list[Event] = []
        for reading in decoded.readings:
            events.extend(self._feed(reading))
        self._store_events(events)
        if len(self._batch) >= MAX_TELEMETRY_BATCH:
            self.flush_telemetry()
        return events

    def _feed(self, reading: Reading) -> list[Event]:
        self.counts.readings += 1
        self._track(reading)
        if reading.is_batch:  # raw accelerometer batches stay at the edge
            history = self._accel.get(reading.device)
            if history is None:
                history = self._accel[reading.device] = AccelHistory()
            history.add(reading)
        else:
            self._batch.append(reading.model_dump(mode="json", exclude_none=True))
        try:
            return self.monitor.feed(reading)
        except Exception:  # a detector bug must not stop the home's other detectors
            self.counts.detector_errors += 1
            log.exception("home %s: detector failed on %s", self.home, reading.to_json())
            return []

    def _refuse(self, error: PayloadError) -> None:
        self.counts.refused[error.problem] += 1
        if error.problem not in self._warned:  # a burst must not flood the log
            self._warned.add(error.problem)
            log.warning(
                "home %s: refused %s (further ones counted in the status)", self.home, error
            )
        else:
            log.debug("home %s: refused %s", self.home, error)

    def _track(self, reading: Reading) -> None:
        device = self.devices.setdefault(reading.device, {})
        seen = reading.ts.astimezone(self.config.tz).isoformat(timespec="seconds")
        if device.get("last_seen", "") < seen:  # same zone and format: text order is time order
            device["last_seen"] = seen
        if reading.metric == "battery":
            device["battery"] = reading.value

    def tick(self, now: float | None = None) -> list[Event]:
        """Wall clock has reached ``now``: timers fire (no activity, device offline, ...)."""
        try:
            events = self.monitor.advance(time.time() if now is None else now)
        except Exception:
            self.counts.detector_errors += 1
            log.exception("home %s: detector failed while advancing the clock", self.home)
            return []
        self._store_events(events)
        return events

    def _store_events(self, events: list[Event]) -> None:
        if not events:
            return
        self.outbox.put_many([("event", self.topics.event, self._document(e)) for e in events])
        self.counts.events += len(events)
        for event in events:
            log.info(
                "home %s: %s %s (%s) %s",
                self.home,
                event.kind,
                event.state,
                event.severity,
                event.device or "",
            )

    def _document(self, event: Event) -> dict[str, Any]:
        """The event as it goes up; a raised wearable fall carries its accelerometer window.

        The window lets the dispatcher and a later review see the impact that raised the
        alarm; raw accelerometer data never leaves the home otherwise. It is a key of its own,
        not evidence, so that the hub can store it apart and keep alert lists small. (A fall
        raised after a confirmation wait, ``fall.confirm_s``, longer than ~15 s no longer has
        the impact in it.)
        """
        document = event.to_dict(self.config.tz)
        history = self._accel.get(event.device) if event.device else None
        if event.kind == "fall" and event.state == "raised" and history is not None:
            document["window"] = history.window(event.device, self.config.tz)
        return document

    def flush_telemetry(self) -> int:
        """Move the telemetry batch into the outbox as one item; returns the readings moved."""
        if not self._batch:
            return 0
        batch, self._batch = self._batch, []
        self.outbox.put("telemetry", self.topics.telemetry, {"home": self.home, "readings": batch})
        self.counts.telemetry_batches += 1
        return len(batch)

    @property
    def batched_readings(self) -> int:
        return len(self._batch)

    # -- detector state -------------------------------------------------------------------

    def save_detectors(self, path: Path) -> bool:
        """Write the detectors' state to ``path`` as JSON, atomically; False if it failed.

        A failure is logged, never raised: the detectors go on, only a restart would
        start them afresh.
        """
        try:
            data = json.dumps(
                self.monitor.state_dict(), ensure_ascii=False, separators=(",", ":")
            ).encode()
            _write_atomically(Path(path), data)
        except (OSError, TypeError, ValueError) as exc:
            log.error("home %s: cannot save the detectors' state to %s: %s", self.home, path, exc)
            return False
        return True

    def restore_detectors(self, path: Path) -> bool:
        """Resume the detectors from a state saved by :meth:`save_detectors`.

        True if restored. A missing file is a first start (False, silently); an unreadable
        file or a state the detectors refuse (another home, another version) is logged as a
        warning and the detectors start fresh.
        """
        path = Path(path)
        try:
            state = json.loads(path.read_bytes())
        except FileNotFoundError:
            return False
        except (OSError, ValueError) as exc:
            log.warning("home %s: cannot read %s, detectors start fresh: %s", self.home, path, exc)
            return False
        try:
            if not isinstance(state, dict):
                raise AnalyticsError(f"not a saved state: a JSON {type(state).__name__}")
            monitor = HomeMonitor(self.config, state=state)
        except Exception as exc:  # AnalyticsError, or a detector tripping on an old state
            log.warning("home %s: %s: detectors start fresh: %s", self.home, path, exc)
            return False
        self.monitor = monitor
        log.info("home %s: detectors resumed from %s", self.home, path)
        return True

    # -- hub side -------------------------------------------------------------------------

    def apply_config(self, payload: bytes) -> bool:
        """A config pushed by the hub: apply and save it, or refuse it and keep the old one.

        The outcome is in ``config_state`` (the status carries it to the hub).
        """
        try:
            config = self._validated(payload)
        except HomeConfigError as exc:
            self.config_state = ConfigState("refused", exc.reason, _now_iso(self.config.tz))
            log.warning("home %s: refused the pushed config: %s", self.home, exc.reason)
            return False
        if config != self.config:  # a retained config comes again at every reconnect
            self.monitor.update_config(config)
            self.config = config
        if config != self.saved_config:  # once per start and change, not per reconnect
            try:
                save_last_good(config, self.data_dir)
                self.saved_config = config
            except OSError as exc:  # applied all the same; the next start uses the old file
                log.error("home %s: cannot save the config: %s", self.home, exc)
        self.config_state = ConfigState("applied", None, _now_iso(config.tz))
        log.info("home %s: applied the pushed config", self.home)
        return True

    def _validated(self, payload: bytes) -> HomeConfig:
        config = HomeConfig.parse(payload, source=self.topics.config)
        if config.home != self.home:
            raise HomeConfigError(
                f"the config is for home {config.home!r}, this edge runs {self.home!r}",
                home=config.home,
            )
        try:  # the detectors must accept it (thresholds) before the old one is dropped
            HomeMonitor(config)
        except Exception as exc:
            raise HomeConfigError(f"the detectors refuse it: {exc}", home=config.home) from exc
        return config

    def status(self, state: str) -> dict[str, Any]:
        depth = self.outbox.depth()
        return {
            "state": state,
            "home": self.home,
            "edge": self.outbox.edge,
            "ts": _now_iso(self.config.tz),
            "config": self.config_state.to_dict(),
            "outbox": {
                "events": depth.events,
                "telemetry": depth.telemetry,
                "status": depth.status,
                "dropped_telemetry": depth.dropped_telemetry,
                "last_seq": self.outbox.last_seq,
            },
            "counts": {
                "messages": self.counts.messages,
                "readings": self.counts.readings,
                "events": self.counts.events,
                "detector_errors": self.counts.detector_errors,
            },
            "refused": dict(self.counts.refused),
            "devices": {device: dict(info) for device, info in sorted(self.devices.items())},
        }


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
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self._local_loop(), name=f"edge {home} local")
                tasks.create_task(self._uplink_loop(), name=f"edge {home} uplink")
                tasks.create_task(
                    self._every(self.tick_every_s, self._tick), name=f"edge {home} tick"
                )
                tasks.create_task(
                    self._every(self.telemetry_every_s, self._flush_telemetry),
                    name=f"edge {home} telemetry",
                )
                tasks.create_task(
                    self._every(self.state_every_s, self._save_detectors),
                    name=f"edge {home} detector state",
                )
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
            moved = self.pipeline.flush_telemetry()
            if moved:
                log.info("home %s: %d readings kept in the outbox for next time", self.home, moved)
        finally:
            self.outbox.close()

    async def _every(self, seconds: float, action) -> None:
        while True:
            await asyncio.sleep(seconds)
            action()

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
        self._after_events(
            self.pipeline.handle_local(str(message.topic), bytes(payload), received_at)
        )

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
            items = self.outbox.pending(limit=DRAIN_WINDOW)
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
                self.outbox.ack_many(acked)

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
