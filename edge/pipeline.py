"""One home without any broker: decode -> detect -> durable outbox.

:class:`HomePipeline` decodes a local message, feeds the readings to the home's
:class:`HomeMonitor`, writes every event to the outbox at once, stages telemetry, counts
refused payloads, tracks devices and applies pushed configs. Raw accelerometer batches stay
at the edge: each wearable's latest samples are kept (:mod:`edge.accel`) only to go up as
the ``window`` of a fall it raises. The edge runtime (:mod:`edge.runtime`) runs one per
home, for the single-home agent and hosted edges alike. It is synchronous; the only I/O is
the outbox (SQLite), the last-good config file and the detectors' state.

Nothing a home's devices or the hub send can stop it. A message that cannot be handled is
refused and counted by its problem (``refused`` in the status); an exception nobody foresaw
(a bug, in the codec or in a detector) is counted too (``internal_errors``,
``detector_errors``) and logged with its traceback, and the next message is handled as if
nothing happened. Each detector is guarded on its own (:mod:`edge.detector_guard`): a
broken one costs only its own events, a broken whereabouts model only the activity
detectors'. :meth:`HomePipeline.handle_local`,
:meth:`HomePipeline.tick` and :meth:`HomePipeline.apply_config` raise nothing.

What is not yet on disk is bounded in time and size:

* an event is in the outbox before ``handle_local`` returns; if the outbox cannot take it
  (a full disk), it is kept in memory, counted (``outbox_errors``), and stored before any
  later event as soon as the outbox takes writes again (each tick tries);
* readings are staged durably by :meth:`HomePipeline.stage_telemetry`, which the runtime calls
  every second, and sealed into telemetry items by :meth:`HomePipeline.flush_telemetry` at
  the telemetry interval: a killed edge loses at most the last second of readings. While the
  outbox refuses writes, at most :data:`MAX_UNSTAGED_READINGS` wait in memory; older ones
  are dropped and counted (``dropped_readings``).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analytics.detector import Detector
from analytics.errors import AnalyticsError
from analytics.events import SEVERITY_RANK, Event
from analytics.falls import FallEventDetector
from analytics.monitor import HomeMonitor
from contracts import safe_json
from contracts.errors import HomeConfigError
from contracts.home import HomeConfig
from contracts.reading import Reading
from contracts.topics import DEFAULT_PREFIX, ZIGBEE2MQTT_BASE, HomeTopics
from devices.codec import ClockLimits, decode
from devices.errors import PayloadError

from .accel import FallWindows
from .config_store import parse_pushed, save_last_good, shortened, write_atomically
from .detector_guard import guarded_monitor
from .outbox import Kind, Outbox, OutboxError
from .settings import DEFAULT_CLOCK

log = logging.getLogger("edge.agent")

MAX_TELEMETRY_BATCH = 2000  # readings per telemetry item; a full batch is sealed at once
MAX_UNSTAGED_READINGS = 10 * MAX_TELEMETRY_BATCH  # in memory while the outbox refuses writes
LOGGED_ERRORS = 5  # tracebacks of one kind logged in full; then one in every ERRORS_LOG_EVERY
ERRORS_LOG_EVERY = 1000

Entry = tuple[Kind, str, dict[str, Any]]


def now_iso(tz=UTC) -> str:
    return datetime.now(tz).isoformat(timespec="milliseconds")


def alarm_command(event: Event) -> bytes | None:
    """The local command that sounds an alarm in the flat for a newly raised critical event.

    No device in the catalog can sound, so the command goes to ``<prefix>/<home>/local/command``
    (where the hub's voice-prompt commands go too) for whatever speaker listens there.
    """
    if event.state != "raised" or SEVERITY_RANK[event.severity] < SEVERITY_RANK["critical"]:
        return None
    document = {"action": "alarm", "kind": event.kind, "severity": event.severity}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def worth_logging(count: int) -> bool:
    """The first few of a kind of error, then one in every ERRORS_LOG_EVERY: a burst of
    poison must not fill the disk with tracebacks."""
    return count <= LOGGED_ERRORS or count % ERRORS_LOG_EVERY == 0


@dataclass
class ConfigState:
    """What happened to the configs pushed by the hub, for the status: the last outcome,
    and how many were refused since the start."""

    state: str = "initial"  # initial | applied | refused
    reason: str | None = None
    at: str | None = None
    refused: int = 0

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {"state": self.state}
        if self.reason is not None:
            document["reason"] = self.reason
        if self.at is not None:
            document["at"] = self.at
        if self.refused:
            document["refused"] = self.refused
        return document


@dataclass
class PipelineCounts:
    messages: int = 0
    readings: int = 0
    events: int = 0
    telemetry_batches: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    detector_errors: int = 0
    internal_errors: int = 0  # exceptions nobody foresaw, outside the detectors
    outbox_errors: int = 0  # writes the outbox refused (a full disk); nothing lost yet
    dropped_readings: int = 0  # readings given up while the outbox refused writes


class HomePipeline:
    """One home: decode -> detect -> outbox, plus its telemetry and device table."""

    def __init__(
        self,
        config: HomeConfig,
        outbox: Outbox,
        *,
        data_dir: Path,
        prefix: str = DEFAULT_PREFIX,
        zigbee_base: str = ZIGBEE2MQTT_BASE,
        clock: ClockLimits = DEFAULT_CLOCK,
        detectors: Sequence[type[Detector]] | None = None,
    ):
        """``detectors``: the detector classes to run (default: all of analytics')."""
        self.config = config
        self.outbox = outbox
        self.data_dir = Path(data_dir)
        self.prefix = prefix
        # "{home}" lets homes sharing one broker have one Zigbee2MQTT base topic each.
        self.zigbee_base = zigbee_base.format(home=config.home)
        self.clock = clock
        self.topics = HomeTopics(prefix, config.home)
        self.counts = PipelineCounts()
        self._detectors = detectors
        self.monitor = self._monitor(config)
        self.config_state = ConfigState()
        self.saved_config: HomeConfig | None = None  # what this process last saved
        self.devices: dict[str, dict[str, Any]] = {}
        self._seen_at: dict[str, float] = {}  # device -> its last_seen, epoch seconds
        self._batch: list[dict[str, Any]] = []  # readings not staged yet
        self._unstored: list[Entry] = []  # events the outbox could not take yet
        self._staging_failed = False  # the last attempt to stage readings failed
        self.fall_windows = FallWindows(config)  # each wearable's latest accelerometer
        self._warned: set[str] = set()

    @property
    def home(self) -> str:
        return self.config.home

    # -- local side -----------------------------------------------------------------------

    def handle_local(self, topic: str, payload: bytes, received_at: datetime) -> list[Event]:
        """Decode one local message and detect; events are in the outbox when this returns.

        Never raises: a refused payload or value is counted by its problem, an unexpected
        error by ``internal_errors`` (and logged with its traceback).
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
        except Exception:  # e.g. a received_at without a time zone: ours, not the device's
            self._internal_error(f"decoding a message on {shortened(topic)}")
            return []
        events: list[Event] = []
        try:
            for refused in decoded.rejected:
                self._refuse(refused)
            for reading in decoded.readings:
                events.extend(self._feed(reading))
            # A full batch goes at once, unless the outbox refuses writes: then the timer's
            # next try, not every message, pays for the attempt.
            if len(self._batch) >= MAX_TELEMETRY_BATCH and not self._staging_failed:
                self.flush_telemetry()
        except Exception:
            self._internal_error(f"handling a message on {shortened(topic)}")
        finally:  # whatever happened, the events detected so far are kept
            self._store_events(events)
        return events

    def _feed(self, reading: Reading) -> list[Event]:
        self.counts.readings += 1
        self._track(reading)
        if reading.is_batch:  # raw accelerometer batches stay at the edge
            self.fall_windows.add(reading)
        else:
            self._batch.append(reading.model_dump(mode="json", exclude_none=True))
        try:
            return self.monitor.feed(reading)
        except Exception:  # the monitor's own bug: the detectors are guarded one by one
            self._detector_failed("monitor", f"fed {reading.metric}")
            return []

    def _refuse(self, error: PayloadError) -> None:
        self.counts.refused[error.problem] += 1
        if error.problem == "undecodable":  # a codec bug: its traceback is what helps
            if worth_logging(self.counts.refused[error.problem]):
                log.error("home %s: refused %s", self.home, error, exc_info=error.__cause__)
        elif error.problem not in self._warned:  # a burst must not flood the log
            self._warned.add(error.problem)
            log.warning(
                "home %s: refused %s (further ones counted in the status)", self.home, error
            )
        else:
            log.debug("home %s: refused %s", self.home, error)

    def _monitor(self, config: HomeConfig, state: dict[str, Any] | None = None) -> HomeMonitor:
        failed = self._detector_failed
        return guarded_monitor(config, failed, detectors=self._detectors, state=state)

    def _detector_failed(self, detector: str, doing: str) -> None:
        """In an except block: one detector failed; the others go on."""
        self.counts.detector_errors += 1
        if worth_logging(self.counts.detector_errors):
            log.exception("home %s: detector %s failed %s (counted)", self.home, detector, doing)

    def _internal_error(self, doing: str) -> None:
        self.counts.internal_errors += 1
        if worth_logging(self.counts.internal_errors):
            log.exception("home %s: unexpected error %s (counted)", self.home, doing)

    def _track(self, reading: Reading) -> None:
        device = self.devices.setdefault(reading.device, {})
        ts = reading.epoch
        # Epochs, not the text: a local time's offset changes with DST and a pushed time zone.
        if ts > self._seen_at.get(reading.device, -math.inf):
            self._seen_at[reading.device] = ts
            seen = reading.ts.astimezone(self.config.tz)
            device["last_seen"] = seen.isoformat(timespec="seconds")
        if reading.metric == "battery":
            device["battery"] = reading.value

    def tick(self, now: float | None = None) -> list[Event]:
        """Wall clock has reached ``now``: timers fire (no activity, device offline, ...).

        Events an earlier full disk kept in memory are stored first. Never raises.
        """
        try:
            events = self.monitor.advance(time.time() if now is None else now)
        except Exception:
            self._detector_failed("monitor", "advancing the clock")
            events = []
        self._store_events(events)
        return events

    # -- into the outbox ------------------------------------------------------------------

    def _store_events(self, events: list[Event]) -> None:
        """Into the outbox, after any kept back by an earlier failure; never raises."""
        entries: list[Entry] = []
        for event in events:
            try:
                entries.append(("event", self.topics.event, self._document(event)))
            except Exception:
                self._internal_error(f"writing the {event.kind} event")
                continue
            log.info(
                "home %s: %s %s (%s) %s",
                self.home,
                event.kind,
                event.state,
                event.severity,
                event.device or "",
            )
        self.counts.events += len(entries)
        if entries or self._unstored:
            self._put_events(entries)

    def _put_events(self, entries: list[Entry]) -> None:
        self._unstored.extend(entries)
        try:
            self.outbox.put_many(self._unstored)
        except OutboxError as exc:
            self._outbox_failed(f"{len(self._unstored)} events kept in memory", exc)
            return
        except Exception:  # an entry the outbox cannot take (a bug): the others still go
            self._internal_error("storing events")
            kept = []
            for entry in self._unstored:
                try:
                    self.outbox.put_many([entry])
                except OutboxError:
                    kept.append(entry)
                except Exception:
                    self._internal_error(f"storing an event {shortened(str(entry[2]))}")
            self._unstored = kept
            return
        if self.counts.outbox_errors and self._unstored:
            log.warning("home %s: the outbox takes writes again", self.home)
        self._unstored = []

    def _outbox_failed(self, what: str, exc: OutboxError) -> None:
        self.counts.outbox_errors += 1
        if worth_logging(self.counts.outbox_errors):
            log.error("home %s: %s: %s", self.home, what, exc)

    def _document(self, event: Event) -> dict[str, Any]:
        """The event as it goes up; a raised wearable fall carries its accelerometer window.

        The window lets the dispatcher and a later review see the impact that raised the
        alarm, however long the fall waited to be confirmed (:mod:`edge.accel`); raw
        accelerometer data never leaves the home otherwise. It is a key of its own, not
        evidence, so that the hub can store it apart and keep alert lists small. The document
        is plain JSON whatever a detector put in its evidence (a NaN is ``null``), so that
        the outbox always takes it.
        """
        document = event.to_dict(self.config.tz)
        try:
            if (window := self.fall_windows.window(event, self.config.tz)) is not None:
                document["window"] = window
        except Exception:  # the fall goes up without its window
            self._internal_error("building a fall's window")
        return json.loads(safe_json.dumps(document))

    def stage_telemetry(self) -> int:
        """Keep the readings received since the last call durably (one transaction);
        returns how many. Never raises: while the outbox refuses, they wait in memory."""
        if not self._batch:
            return 0
        batch = self._batch
        try:
            self.outbox.stage(batch)
        except Exception as exc:
            if not isinstance(exc, OutboxError):
                self._internal_error("staging readings")
                batch = []  # readings the outbox cannot take: waiting would not help
            else:
                self._outbox_failed(f"{len(batch)} readings kept in memory", exc)
            excess = len(batch) - MAX_UNSTAGED_READINGS
            if excess > 0:
                self.counts.dropped_readings += excess
                batch = batch[excess:]
            self._batch = batch
            self._staging_failed = True
            return 0
        self._batch = []
        self._staging_failed = False
        return len(batch)

    def flush_telemetry(self) -> int:
        """Stage what is left and seal every staged reading into telemetry items (of at most
        MAX_TELEMETRY_BATCH readings); returns the items made. Never raises."""
        self.stage_telemetry()
        try:
            items = self.outbox.seal_telemetry(
                self.topics.telemetry, self.home, max_readings=MAX_TELEMETRY_BATCH
            )
        except OutboxError as exc:
            self._outbox_failed("cannot seal telemetry", exc)
            return 0
        except Exception:
            self._internal_error("sealing telemetry")
            return 0
        self.counts.telemetry_batches += len(items)
        return len(items)

    @property
    def unstored_events(self) -> int:
        return len(self._unstored)

    def store_unstored(self) -> int:
        """Try again to store the events the outbox refused (as each tick does); returns how
        many it still refuses. Never raises."""
        if self._unstored:
            self._put_events([])
        return len(self._unstored)

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
            write_atomically(Path(path), data)
        except (OSError, TypeError, ValueError) as exc:
            log.error("home %s: cannot save the detectors' state to %s: %s", self.home, path, exc)
            return False
        except Exception:  # a detector's state_dict failing
            self._internal_error("saving the detectors' state")
            return False
        return True

    def restore_detectors(self, path: Path) -> bool:
        """Resume the detectors from a state saved by :meth:`save_detectors`.

        True if restored. A missing file is a first start (False, silently); an unreadable
        file or another home's state is logged as a warning and the detectors start fresh. A
        detector (or the whereabouts model) that cannot take its own saved state starts fresh
        alone, counted in ``detector_errors`` (:func:`edge.detector_guard.guarded_monitor`).
        """
        path = Path(path)
        try:
            state = json.loads(path.read_bytes())
        except FileNotFoundError:
            return False
        except (OSError, ValueError, RecursionError) as exc:
            log.warning("home %s: cannot read %s, detectors start fresh: %s", self.home, path, exc)
            return False
        try:
            if not isinstance(state, dict):
                raise AnalyticsError(f"not a saved state: a JSON {type(state).__name__}")
            monitor = self._monitor(self.config, state)
        except Exception as exc:  # AnalyticsError, or a detector tripping on an old state
            log.warning("home %s: %s: detectors start fresh: %s", self.home, path, exc)
            return False
        self.monitor = monitor
        log.info("home %s: detectors resumed from %s", self.home, path)
        return True

    # -- hub side -------------------------------------------------------------------------

    def apply_config(self, payload: bytes) -> bool:
        """A config pushed by the hub: apply and save it, or refuse it and keep the old one.

        Never raises, whatever the bytes. The outcome is in ``config_state`` (the status
        carries it to the hub).
        """
        try:
            config = self._validated(payload)
            if config != self.config:  # a retained config comes again at every reconnect
                # Built aside and swapped: a failure leaves the old config and detectors.
                monitor = self._monitor(config, self.monitor.state_dict())
                self.fall_windows.configure(config)
                self.monitor, self.config = monitor, config
        except Exception as exc:
            reason = exc.reason if isinstance(exc, HomeConfigError) else f"{exc!r}"
            if not isinstance(exc, HomeConfigError):
                log.exception("home %s: cannot apply the pushed config", self.home)
            self.config_state = ConfigState(
                "refused", shortened(reason), now_iso(self.config.tz), self.config_state.refused + 1
            )
            log.warning("home %s: refused the pushed config: %s", self.home, reason)
            return False
        if config != self.saved_config:  # once per start and change, not per reconnect
            try:
                save_last_good(config, self.data_dir)
                self.saved_config = config
            except OSError as exc:  # applied all the same; the next start uses the old file
                log.error("home %s: cannot save the config: %s", self.home, exc)
        self.config_state = ConfigState(
            "applied", None, now_iso(config.tz), self.config_state.refused
        )
        log.info("home %s: applied the pushed config", self.home)
        return True

    def _validated(self, payload: bytes) -> HomeConfig:
        config = parse_pushed(payload, source=self.topics.config)
        if config.home != self.home:
            raise HomeConfigError(
                f"the config is for home {config.home!r}, this edge runs {self.home!r}",
                home=config.home,
            )
        try:  # the detectors must accept it (thresholds) before the old one is dropped
            HomeMonitor(config, detectors=self._detectors)
        except Exception as exc:
            raise HomeConfigError(f"the detectors refuse it: {exc}", home=config.home) from exc
        return config

    def status(self, state: str) -> dict[str, Any]:
        """The home's status document; never raises (an unreadable outbox says so)."""
        try:
            depth = self.outbox.depth()
            outbox: dict[str, Any] = {
                "events": depth.events,
                "telemetry": depth.telemetry,
                "status": depth.status,
                "staged_readings": depth.staged,
                "dropped_telemetry": depth.dropped_telemetry,
                "last_seq": self.outbox.last_seq,
            }
        except OutboxError as exc:
            outbox = {"error": shortened(exc.reason)}
        outbox["unstored_events"] = len(self._unstored)
        outbox["unstaged_readings"] = len(self._batch)
        return {
            "state": state,
            "home": self.home,
            "edge": self.outbox.edge,
            "ts": now_iso(self.config.tz),
            "config": self.config_state.to_dict(),
            "outbox": outbox,
            "counts": {
                "messages": self.counts.messages,
                "readings": self.counts.readings,
                "events": self.counts.events,
                "detector_errors": self.counts.detector_errors,
                "internal_errors": self.counts.internal_errors,
                "outbox_errors": self.counts.outbox_errors,
                "dropped_readings": self.counts.dropped_readings,
            },
            "refused": dict(self.counts.refused),
            "detectors": self._detector_counts(),
            "devices": {device: dict(info) for device, info in sorted(self.devices.items())},
        }

    def _detector_counts(self) -> dict[str, Any]:
        """What the detectors skipped or mended in their input: kept with their state, so
        counted since the state began, across restarts (``counts`` are this process's)."""
        for detector in self.monitor.detectors:
            if detector.name == FallEventDetector.name:
                return {
                    "fall": {
                        "late_batches": detector.late_batches,
                        "clock_jumps": detector.clock_jumps,
                    }
                }
        return {}
