"""What edges send the hub, parsed and checked: pure functions, no I/O.

Topics (ARCHITECTURE.md, prefix default ``eldercare/v1``):

* ``<prefix>/<home>/event``: one event ``{ts, home, kind, state, severity, started,
  detector, evidence, device?, edge, seq}``;
* ``<prefix>/<home>/telemetry``: ``{home, readings: [canonical reading, ...], edge, seq}``;
* ``<prefix>/<home>/status``: ``{state: online|offline, home, edge, ...}`` (retained, will);
* ``<prefix>/hosted/<process>/status``: a hosted-edge process, ``{state, homes: [...]}``;
  when it is offline, every home it lists is offline (:mod:`edge.hosted`).

A message that cannot be taken raises :class:`UpstreamError` with a ``problem`` code the
hub counts by, and nothing else, whatever the topic and the bytes: JSON is parsed with
limits (:func:`contracts.safe_json.loads`: size, depth, number length; NaN becomes null)
before any model sees it. A telemetry batch with some bad readings is taken without them:
the bad ones are counted (``Telemetry.refused``), the others are kept.

Times must be possible: not before 2000, not more than a day ahead of the hub's clock
(``now``). An event at an impossible time is refused (``bad_time``); a reading is refused
within its batch; a device's ``last_seen`` in a status is dropped (``Status.refused``).

Names hold no control characters (``edge``, an event's ``kind`` and ``detector``, a
reading's ``device``): a message with such an edge, kind or detector is refused
(``invalid``), a reading within its batch, and an event's ``device`` is dropped (the fall
stays, as without a usable ``window``).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import (
    ValidationError,
)

from contracts.errors import describe_validation_error
from contracts.metrics import METRICS
from contracts.safe_json import loads as safe_loads
from contracts.topics import HOSTED_LEVEL
from contracts.wire import MAX_SEQ, AccelWindow, EventMessage, StatusMessage, epoch_of

from .errors import HubError

MAX_PAYLOAD = 4 * 1024 * 1024
MAX_READINGS = 100_000
EARLIEST = 946_684_800.0  # 2000-01-01T00:00:00Z: no device of a home is older
MAX_AHEAD_S = 86_400.0  # a day ahead of the hub's clock: beyond any honest clock skew
# No part of a name, and PostgreSQL refuses NUL in text outright: stored, one such name made
# the whole message unstorable (every reading of its batch, or the fall it named a device of).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

Problem = Literal[
    "oversized",
    "bad_topic",
    "malformed_json",
    "invalid",
    "bad_time",
    "home_mismatch",
    "unknown_home",
]


class UpstreamError(HubError):
    """A message from an edge the hub cannot take in: what, where and why."""

    def __init__(self, problem: Problem, reason: str, *, topic: str, home: str | None = None):
        self.problem = problem
        super().__init__(reason, topic=topic, home=home)

    def _describe(self) -> str:
        return f"{self.problem}: {self.reason}"


@dataclass(frozen=True)
class _TelemetryDocument:
    edge: str
    seq: int
    home: str
    readings: list[Any]


def _telemetry_document(topic: str, home: str, document: Any) -> _TelemetryDocument:
    """Checked by hand rather than by a pydantic model: telemetry is most of the traffic."""

    def invalid(reason: str) -> UpstreamError:
        return UpstreamError("invalid", reason, topic=topic, home=home)

    if not isinstance(document, dict):
        raise invalid("a telemetry message must be a JSON object")
    edge, seq, readings = document.get("edge"), document.get("seq"), document.get("readings")
    try:
        edge = _name(edge, "edge")
    except ValueError as exc:
        raise invalid(str(exc)) from exc
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq <= MAX_SEQ:
        raise invalid(f"seq must be a whole number from 0 to {MAX_SEQ}, got {seq!r}")
    if not isinstance(readings, list) or len(readings) > MAX_READINGS:
        raise invalid(f"readings must be a list of at most {MAX_READINGS}")
    if document.get("home") != home:
        raise UpstreamError(
            "home_mismatch",
            f"the message is about {document.get('home')!r}",
            topic=topic,
            home=home,
        )
    return _TelemetryDocument(edge, seq, home, readings)


# One stored reading: (device, metric, event time as epoch seconds, number, text). Numbers
# and booleans (as 0/1) go in ``number``, enumerations ("open", "fall") in ``text``.
StoredReading = tuple[str, str, float, float | None, str | None]


@dataclass(frozen=True)
class Telemetry:
    edge: str
    seq: int
    home: str
    readings: tuple[StoredReading, ...]
    refused: tuple[str, ...] = field(default=())  # why each refused reading was refused


@dataclass(frozen=True)
class Status:
    home: str | None  # None for a hosted process
    hosted: str | None  # the hosted process id, for its process-level status
    state: Literal["online", "offline"]
    document: dict[str, Any]
    homes: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()  # devices' values dropped from the document, and why
    # Each device's ``last_seen`` that was believed, as epoch seconds (ISO text or a number
    # in the document: read once, here).
    last_seen: dict[str, float] = field(default_factory=dict)


Upstream = EventMessage | Telemetry | Status


def parse(topic: str, payload: bytes, *, prefix: str, now: float | None = None) -> Upstream:
    """One MQTT message from an edge -> what it says, or :class:`UpstreamError`; ``now`` is
    the hub's clock (epoch seconds) that times are checked against."""
    clock = time.time() if now is None else now
    try:
        return _parse(topic, payload, prefix, clock)
    except UpstreamError:
        raise
    except Exception as exc:  # a case the checks above missed must cost only this message
        raise UpstreamError(
            "invalid", f"cannot be read: {type(exc).__name__}: {str(exc)[:200]}", topic=topic
        ) from exc


def check_time(epoch: float, now: float, what: str) -> float:
    """``epoch`` if it is a possible time for something a home reports, else ValueError."""
    if not EARLIEST <= epoch <= now + MAX_AHEAD_S:
        raise ValueError(
            f"{what} {_shown(epoch)} is impossible: before 2000 or more than a day ahead "
            f"of the hub's clock ({_shown(now)})"
        )
    return epoch


def _shown(epoch: float) -> str:
    try:
        return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):
        return repr(epoch)


def _parse(topic: str, payload: bytes, prefix: str, now: float) -> Upstream:
    levels = topic.removeprefix(prefix + "/").split("/") if topic.startswith(prefix + "/") else []
    if len(payload) > MAX_PAYLOAD:
        raise UpstreamError("oversized", f"{len(payload)} bytes", topic=topic)
    if len(levels) == 3 and levels[0] == HOSTED_LEVEL and levels[2] == "status":
        return _hosted_status(topic, levels[1], _json(topic, payload, None))
    if len(levels) != 2 or levels[1] not in ("event", "telemetry", "status"):
        raise UpstreamError("bad_topic", "not an edge topic the hub reads", topic=topic)
    home, channel = levels
    document = _json(topic, payload, home)
    if channel == "status":
        return _status(topic, home, document, now)
    if channel == "telemetry":
        return _telemetry(_telemetry_document(topic, home, document), now)
    return _event(topic, home, document, now)


def _event(topic: str, home: str, document: Any, now: float) -> EventMessage:
    try:
        message = EventMessage.model_validate(_without_bad_window(document, now))
    except ValidationError as exc:
        raise UpstreamError(
            "invalid", describe_validation_error(exc), topic=topic, home=home
        ) from exc
    if message.home != home:
        raise UpstreamError(
            "home_mismatch", f"the message is about {message.home!r}", topic=topic, home=home
        )
    try:
        check_time(message.epoch, now, "ts")
        check_time(message.started_epoch, now, "started")
    except ValueError as exc:
        raise UpstreamError("bad_time", str(exc), topic=topic, home=home) from exc
    try:
        for what in ("edge", "kind", "detector"):
            _name(getattr(message, what), what)
    except ValueError as exc:
        raise UpstreamError("invalid", str(exc), topic=topic, home=home) from exc
    if message.device is not None and _controlled(message.device):
        message = message.model_copy(update={"device": None})  # the fall stays
    return message


def _without_bad_window(document: Any, now: float) -> Any:
    """An event whose accelerometer window is unusable is still an event: the window goes,
    the fall stays."""
    if isinstance(document, dict) and "window" in document:
        try:
            window = AccelWindow.model_validate(document["window"])
            check_time(epoch_of(window.start), now, "window.start")
        except (ValidationError, ValueError, OverflowError):
            return {key: value for key, value in document.items() if key != "window"}
    return document


def _json(topic: str, payload: bytes, home: str | None) -> Any:
    try:
        return safe_loads(payload, max_bytes=MAX_PAYLOAD)
    except ValueError as exc:  # JsonLimitError: not JSON, or beyond the limits
        raise UpstreamError("malformed_json", str(exc), topic=topic, home=home) from exc


def _status(topic: str, home: str, document: Any, now: float) -> Status:
    try:
        status = StatusMessage.model_validate(document)
    except ValidationError as exc:
        raise UpstreamError(
            "invalid", describe_validation_error(exc), topic=topic, home=home
        ) from exc
    if status.home not in (None, home):
        raise UpstreamError(
            "home_mismatch", f"the status is about {status.home!r}", topic=topic, home=home
        )
    kept, refused, last_seen = _device_reports(document, now)
    return Status(
        home=home,
        hosted=None,
        state=status.state,
        document=kept,
        refused=tuple(refused),
        last_seen=last_seen,
    )


def _device_reports(
    document: dict[str, Any], now: float
) -> tuple[dict[str, Any], list[str], dict[str, float]]:
    """The status document without the devices' values the hub cannot believe (a
    ``last_seen`` at an impossible time, a ``battery`` outside 0-100), why each was
    dropped, and the believed ``last_seen`` of each device in epoch seconds."""
    devices = document.get("devices")
    if not isinstance(devices, dict):
        return dict(document), [], {}
    refused: list[str] = []
    kept_devices: dict[str, Any] = {}
    last_seen: dict[str, float] = {}
    for device, report in devices.items():
        if not isinstance(report, dict):
            refused.append(f"devices.{device}: not an object")
            continue
        report = dict(report)
        if "last_seen" in report:
            try:
                seen = check_time(_status_time(report["last_seen"]), now, "last_seen")
            except (TypeError, ValueError, OverflowError) as exc:
                refused.append(f"devices.{device}.last_seen: {exc}")
                del report["last_seen"]
            else:
                last_seen[str(device)] = seen
        battery = report.get("battery")
        if battery is not None and not (
            isinstance(battery, int | float)
            and not isinstance(battery, bool)
            and 0 <= battery <= 100
        ):
            refused.append(f"devices.{device}.battery: {battery!r} is not 0-100")
            del report["battery"]
        kept_devices[str(device)] = report
    return {**document, "devices": kept_devices}, refused, last_seen


def _status_time(moment: Any) -> float:
    if isinstance(moment, int | float) and not isinstance(moment, bool):
        return float(moment)
    if not isinstance(moment, str):
        raise TypeError(f"not a time: {moment!r}")
    parsed = datetime.fromisoformat(moment)
    if parsed.tzinfo is None:
        raise ValueError(f"{moment!r} has no UTC offset")
    return parsed.timestamp()


def _hosted_status(topic: str, process: str, document: Any) -> Status:
    try:
        status = StatusMessage.model_validate(document)
    except ValidationError as exc:
        raise UpstreamError("invalid", describe_validation_error(exc), topic=topic) from exc
    return Status(
        home=None,
        hosted=process,
        state=status.state,
        document=dict(document),
        homes=tuple(status.homes),
    )


READING_KEYS = frozenset({"ts", "home", "device", "metric", "value", "rate_hz"})


def _telemetry(message: _TelemetryDocument, now: float) -> Telemetry:
    """Check each reading as :class:`contracts.reading.Reading` would, without building one:
    this is the hub's hottest loop (one call per reading, every reading of every home)."""
    readings: list[StoredReading] = []
    refused: list[str] = []
    for index, raw in enumerate(message.readings):
        try:
            stored = _stored(raw, message.home, now)
        except (TypeError, ValueError, OverflowError) as exc:
            refused.append(f"readings.{index}: {exc}")
            continue
        if stored is not None:
            readings.append(stored)
    return Telemetry(
        edge=message.edge,
        seq=message.seq,
        home=message.home,
        readings=tuple(readings),
        refused=tuple(refused),
    )


def _stored(raw: Any, home: str, now: float) -> StoredReading | None:
    """One reading as stored, None for one the hub does not keep (raw accelerometer)."""
    if not isinstance(raw, dict):
        raise TypeError("not an object")
    if not READING_KEYS.issuperset(raw):
        raise ValueError(f"unknown keys {sorted(set(raw) - READING_KEYS)}")
    if raw.get("home", home) != home:
        raise ValueError(f"about home {raw.get('home')!r}")
    metric = raw.get("metric")
    spec = METRICS.get(metric) if isinstance(metric, str) else None
    if spec is None:
        raise ValueError(f"unknown metric {metric!r}")
    device = _name(raw.get("device"), "device")
    if metric == "accel":
        return None  # raw samples stay at the edge; their summaries are other metrics
    value = spec.check(raw.get("value"))
    ts = check_time(_event_time(raw.get("ts")), now, "ts")
    if isinstance(value, str):
        return device, metric, ts, None, value
    return device, metric, ts, float(value), None  # type: ignore[arg-type]


def _name(value: Any, what: str) -> str:
    """``value`` if it is a name (1-64 characters, no control character), else ValueError."""
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise ValueError(f"{what} must be a name, got {value!r}")
    if _controlled(value):
        raise ValueError(f"{what} {value!r} holds a control character")
    return value


def _controlled(value: str) -> bool:
    # isprintable() first: every name of every reading passes here, and almost all are.
    return not value.isprintable() and _CONTROL.search(value) is not None


def _event_time(ts: Any) -> float:
    if isinstance(ts, int | float) and not isinstance(ts, bool):
        return float(ts)
    if isinstance(ts, str):
        moment = datetime.fromisoformat(ts)
        if moment.tzinfo is None:
            raise ValueError(f"ts {ts!r} has no UTC offset")
        return moment.timestamp()
    raise ValueError(f"ts must be epoch seconds or ISO 8601, got {ts!r}")
