"""What edges send the hub, parsed and checked: pure functions, no I/O.

Topics (ARCHITECTURE.md, prefix default ``eldercare/v1``):

* ``<prefix>/<home>/event``: one event ``{ts, home, kind, state, severity, started,
  detector, evidence, device?, edge, seq}``;
* ``<prefix>/<home>/telemetry``: ``{home, readings: [canonical reading, ...], edge, seq}``;
* ``<prefix>/<home>/status``: ``{state: online|offline, home, edge, ...}`` (retained, will);
* ``<prefix>/hosted/<process>/status``: a hosted-edge process, ``{state, homes: [...]}``;
  when it is offline, every home it lists is offline (:mod:`edge.hosted`).

A message that cannot be taken raises :class:`UpstreamError` with a ``problem`` code the
hub counts by. A telemetry batch with some bad readings is taken without them: the bad ones
are counted (``Telemetry.refused``), the others are kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import (
    ValidationError,
)

from contracts.errors import describe_validation_error
from contracts.metrics import METRICS
from contracts.topics import HOSTED_LEVEL
from contracts.wire import AccelWindow, EventMessage, StatusMessage

from .errors import HubError

MAX_PAYLOAD = 4 * 1024 * 1024
MAX_READINGS = 100_000

Problem = Literal[
    "oversized", "bad_topic", "malformed_json", "invalid", "home_mismatch", "unknown_home"
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
    if not isinstance(edge, str) or not 0 < len(edge) <= 64:
        raise invalid(f"edge must be a name, got {edge!r}")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise invalid(f"seq must be a whole number >= 0, got {seq!r}")
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


Upstream = EventMessage | Telemetry | Status


def parse(topic: str, payload: bytes, *, prefix: str) -> Upstream:
    """One MQTT message from an edge -> what it says, or :class:`UpstreamError`."""
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
        return _status(topic, home, document)
    if channel == "telemetry":
        return _telemetry(_telemetry_document(topic, home, document))
    try:
        message = EventMessage.model_validate(_without_bad_window(document))
    except ValidationError as exc:
        raise UpstreamError(
            "invalid", describe_validation_error(exc), topic=topic, home=home
        ) from exc
    if message.home != home:
        raise UpstreamError(
            "home_mismatch", f"the message is about {message.home!r}", topic=topic, home=home
        )
    return message


def _without_bad_window(document: Any) -> Any:
    """An event whose accelerometer window is unusable is still an event: the window goes,
    the fall stays."""
    if isinstance(document, dict) and "window" in document:
        try:
            AccelWindow.model_validate(document["window"])
        except ValidationError:
            return {key: value for key, value in document.items() if key != "window"}
    return document


def _json(topic: str, payload: bytes, home: str | None) -> Any:
    try:
        return json.loads(payload)
    except (UnicodeDecodeError, ValueError) as exc:
        raise UpstreamError("malformed_json", str(exc), topic=topic, home=home) from exc


def _status(topic: str, home: str, document: Any) -> Status:
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
    return Status(home=home, hosted=None, state=status.state, document=dict(document))


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


def _telemetry(message: _TelemetryDocument) -> Telemetry:
    """Check each reading as :class:`contracts.reading.Reading` would, without building one:
    this is the hub's hottest loop (one call per reading, every reading of every home)."""
    readings: list[StoredReading] = []
    refused: list[str] = []
    for index, raw in enumerate(message.readings):
        try:
            stored = _stored(raw, message.home)
        except (TypeError, ValueError) as exc:
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


def _stored(raw: Any, home: str) -> StoredReading | None:
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
    device = raw.get("device")
    if not isinstance(device, str) or not 0 < len(device) <= 64:
        raise ValueError(f"device must be a name, got {device!r}")
    if metric == "accel":
        return None  # raw samples stay at the edge; their summaries are other metrics
    value = spec.check(raw.get("value"))
    ts = _event_time(raw.get("ts"))
    if isinstance(value, str):
        return device, metric, ts, None, value
    return device, metric, ts, float(value), None  # type: ignore[arg-type]


def _event_time(ts: Any) -> float:
    if isinstance(ts, int | float) and not isinstance(ts, bool):
        return float(ts)
    if isinstance(ts, str):
        moment = datetime.fromisoformat(ts)
        if moment.tzinfo is None:
            raise ValueError(f"ts {ts!r} has no UTC offset")
        return moment.timestamp()
    raise ValueError(f"ts must be epoch seconds or ISO 8601, got {ts!r}")
