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
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from eldercare.errors import describe_validation_error
from eldercare.metrics import METRICS
from eldercare.reading import Reading

from .errors import HubError

MAX_PAYLOAD = 4 * 1024 * 1024
HOSTED_LEVEL = "hosted"

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


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")

    edge: str = Field(min_length=1, max_length=64)
    seq: int = Field(ge=0)
    home: str = Field(min_length=1, max_length=64)


def _epoch(moment: datetime | float) -> float:
    return moment if isinstance(moment, float) else moment.timestamp()


class EventMessage(_Message):
    ts: AwareDatetime | float
    kind: str = Field(min_length=1, max_length=32)
    state: Literal["raised", "updated", "cleared"]
    severity: Literal["critical", "major", "minor", "warning"]
    started: AwareDatetime | float
    detector: str = Field(min_length=1, max_length=64)
    evidence: dict[str, Any] = Field(default_factory=dict)
    device: str | None = Field(default=None, max_length=64)

    @property
    def epoch(self) -> float:
        return _epoch(self.ts)

    @property
    def started_epoch(self) -> float:
        return _epoch(self.started)


class _TelemetryDocument(_Message):
    readings: list[Any]

    @field_validator("readings")
    @classmethod
    def _not_too_many(cls, readings: list[Any]) -> list[Any]:
        if len(readings) > 100_000:
            raise ValueError("more than 100000 readings in one batch")
        return readings


@dataclass(frozen=True)
class Telemetry:
    edge: str
    seq: int
    home: str
    readings: tuple[Reading, ...]
    refused: tuple[str, ...] = field(default=())  # why each refused reading was refused


class StatusMessage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")

    state: Literal["online", "offline"]
    home: str | None = None
    edge: str | None = None
    homes: list[str] = Field(default_factory=list)  # a hosted process's homes


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
    model = EventMessage if channel == "event" else _TelemetryDocument
    try:
        message = model.model_validate(document)
    except ValidationError as exc:
        raise UpstreamError(
            "invalid", describe_validation_error(exc), topic=topic, home=home
        ) from exc
    if message.home != home:
        raise UpstreamError(
            "home_mismatch", f"the message is about {message.home!r}", topic=topic, home=home
        )
    if isinstance(message, EventMessage):
        return message
    return _telemetry(message)


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


def _telemetry(message: _TelemetryDocument) -> Telemetry:
    readings: list[Reading] = []
    refused: list[str] = []
    for index, raw in enumerate(message.readings):
        if not isinstance(raw, dict):
            refused.append(f"readings.{index}: not an object")
            continue
        if raw.get("home", message.home) != message.home:
            refused.append(f"readings.{index}: about home {raw.get('home')!r}")
            continue
        if raw.get("metric") not in METRICS:
            refused.append(f"readings.{index}: unknown metric {raw.get('metric')!r}")
            continue
        try:
            readings.append(Reading.model_validate({**raw, "home": message.home}))
        except ValidationError as exc:
            refused.append(f"readings.{index}: {describe_validation_error(exc)}")
    return Telemetry(
        edge=message.edge,
        seq=message.seq,
        home=message.home,
        readings=tuple(readings),
        refused=tuple(refused),
    )
