"""What detectors say: events with a kind, a severity, a life cycle and the evidence."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from contracts.alert import SEVERITY_RANK, EventState, Severity

__all__ = ["SEVERITY_RANK", "Event", "EventState", "Severity"]


@dataclass(frozen=True)
class Event:
    """One change of a condition: raised, updated (new evidence or severity) or cleared.

    ``ts`` is the event time of this change; ``started`` is when the condition began, which
    is what a dispatcher reads as "fell at 07:31" even if the event was decided later.
    """

    ts: float
    home: str
    kind: str
    state: EventState
    severity: Severity
    started: float
    detector: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    device: str | None = None

    def to_dict(self, tz: tzinfo = UTC) -> dict[str, Any]:
        as_local = lambda epoch: datetime.fromtimestamp(epoch, tz).isoformat(  # noqa: E731
            timespec="milliseconds"
        )
        document: dict[str, Any] = {
            "ts": as_local(self.ts),
            "home": self.home,
            "kind": self.kind,
            "state": self.state,
            "severity": self.severity,
            "started": as_local(self.started),
            "detector": self.detector,
            "evidence": dict(self.evidence),
        }
        if self.device is not None:
            document["device"] = self.device
        return document

    def to_json(self, tz: tzinfo = UTC) -> str:
        return json.dumps(self.to_dict(tz), ensure_ascii=False, separators=(",", ":"))
