"""One open event per condition: raise once, update sparingly, clear when it ends.

Detectors decide *whether* a condition holds; this class turns that into the event life
cycle, so a heart rate that stays high for an hour is one event with a few updates, not
sixty alerts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from .events import SEVERITY_RANK, Event, Severity

# An open condition repeats its evidence at most this often unless its severity changes.
UPDATE_EVERY_S = 15 * 60


@dataclass(frozen=True)
class OpenCondition:
    severity: Severity
    started: float
    last_emitted: float
    device: str | None


class Condition:
    """The life cycle of one kind of event for one home (optionally one device)."""

    def __init__(self, home: str, kind: str, detector: str, update_every_s: float = UPDATE_EVERY_S):
        self.home = home
        self.kind = kind
        self.detector = detector
        self.update_every_s = update_every_s
        self.open: OpenCondition | None = None

    @property
    def is_open(self) -> bool:
        return self.open is not None

    def hold(
        self,
        ts: float,
        severity: Severity,
        evidence: Mapping[str, Any],
        *,
        started: float | None = None,
        device: str | None = None,
        force_update: bool = False,
    ) -> Event | None:
        """The condition holds at ``ts``: raise it, or update it when there is news."""
        if self.open is None:
            began = ts if started is None else started
            self.open = OpenCondition(severity, began, ts, device)
            return self._event(ts, "raised", severity, began, evidence, device)
        escalated = SEVERITY_RANK[severity] > SEVERITY_RANK[self.open.severity]
        due = ts - self.open.last_emitted >= self.update_every_s
        if not (escalated or due or force_update):
            return None
        severity = severity if escalated else self.open.severity
        # Another device's evidence (the radar after the band) is now the condition's: its
        # clear names that device too.
        device = self.open.device if device is None else device
        self.open = replace(self.open, severity=severity, last_emitted=ts, device=device)
        return self._event(ts, "updated", severity, self.open.started, evidence, device)

    def end(self, ts: float, evidence: Mapping[str, Any]) -> Event | None:
        """The condition is over at ``ts``; clears it if it was open."""
        if self.open is None:
            return None
        opened, self.open = self.open, None
        return self._event(ts, "cleared", opened.severity, opened.started, evidence, opened.device)

    def _event(
        self,
        ts: float,
        state: str,
        severity: Severity,
        started: float,
        evidence: Mapping[str, Any],
        device: str | None,
    ) -> Event:
        return Event(
            ts=ts,
            home=self.home,
            kind=self.kind,
            state=state,  # type: ignore[arg-type]
            severity=severity,
            started=started,
            detector=self.detector,
            evidence=dict(evidence),
            device=device,
        )

    def state_dict(self) -> dict[str, Any] | None:
        if self.open is None:
            return None
        return {
            "severity": self.open.severity,
            "started": self.open.started,
            "last_emitted": self.open.last_emitted,
            "device": self.open.device,
        }

    def load_state(self, state: Mapping[str, Any] | None) -> None:
        self.open = None if state is None else OpenCondition(**state)
