"""The messages an edge sends the hub (ARCHITECTURE.md, "MQTT topics"), as models both sides
use: the edge builds them, the hub validates them.

* ``<prefix>/<home>/event``: :class:`EventMessage`, with the edge's ``edge`` and ``seq``;
* ``<prefix>/<home>/status``: :class:`StatusMessage` (retained, and the edge's will);
* ``<prefix>/<home>/telemetry``: ``{home, readings: [canonical reading, ...], edge, seq}``,
  checked by the hub by hand (it is most of the traffic; see ``hub.upstream``).

``seq`` is monotonic per edge and survives restarts; ``(edge, seq)`` is what the hub
deduplicates by.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from .alert import EventState, Severity

MAX_SEQ = 2**63 - 1  # a signed 64-bit column in every store
MAX_WINDOW_SAMPLES = 30_000  # 30 s at 1 kHz


def epoch_of(moment: datetime | float) -> float:
    return moment if isinstance(moment, float) else moment.timestamp()


class EdgeMessage(BaseModel):
    """What every message from an edge carries: who sent it, its place in that edge's
    sequence, and the home it is about."""

    model_config = ConfigDict(frozen=True, extra="allow")

    edge: str = Field(min_length=1, max_length=64)
    seq: int = Field(ge=0, le=MAX_SEQ)
    home: str = Field(min_length=1, max_length=64)


class AccelWindow(BaseModel):
    """A wearable's accelerometer samples around its fall: the last 20 s, impact included."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    device: str = Field(min_length=1, max_length=64)
    rate_hz: float = Field(ge=1, le=1000)
    start: AwareDatetime | float
    samples: list[tuple[float, float, float]] = Field(max_length=MAX_WINDOW_SAMPLES)


class EventMessage(EdgeMessage):
    """A detector's event: a condition raised, updated or cleared, with its evidence."""

    ts: AwareDatetime | float
    kind: str = Field(min_length=1, max_length=32)
    state: EventState
    severity: Severity
    started: AwareDatetime | float
    detector: str = Field(min_length=1, max_length=64)
    evidence: dict[str, Any] = Field(default_factory=dict)
    device: str | None = Field(default=None, max_length=64)

    window: AccelWindow | None = None

    @property
    def epoch(self) -> float:
        return epoch_of(self.ts)

    @property
    def started_epoch(self) -> float:
        return epoch_of(self.started)


class StatusMessage(BaseModel):
    """An edge's status: online (with its heartbeat document) or offline (its will)."""

    model_config = ConfigDict(frozen=True, extra="allow")

    state: Literal["online", "offline"]
    home: str | None = None
    edge: str | None = None
    homes: list[str] = Field(default_factory=list)  # a hosted process's homes
