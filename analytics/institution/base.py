"""What the institutional detectors share: the bed's track, an out-of-bed episode that
survives a moment's sitting back down, and the wording of their evidence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field
from pydantic.dataclasses import dataclass as settings_dataclass

from contracts.home import HomeConfig
from contracts.reading import Reading

from ..condition import Condition
from ..context import HomeContext
from ..detector import Detector
from ..events import Event
from .bed import BedState, BedTrack

MINUTE = 60.0


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class OutOfBedSettings:
    """``thresholds.out_of_bed``: when two stretches out of bed are one."""

    # Back in bed for less than this (sat on the edge, lay down a moment): the next
    # stretch out of bed continues the same exit, its clock is not restarted.
    settle_s: float = Field(default=60, ge=0)


class InstitutionDetector(Detector):
    """A detector of a bed in an institution (``HomeConfig.place`` set), one condition,
    fed the bed sensor's readings; subclasses decide with ``decide(now)``."""

    kind: ClassVar[str]

    def __init__(self, home: HomeContext):
        super().__init__(home)
        self.bed = BedTrack(home)
        self.out_settings = home.settings("out_of_bed", OutOfBedSettings)
        self.condition = Condition(home.home, self.kind, self.name)
        self.exit_start: float | None = None  # the current (or last) exit from bed
        self.returned: float | None = None  # back in bed since
        self.now: float | None = None

    @classmethod
    def applies_to(cls, config: HomeConfig) -> bool:
        return config.place is not None

    # ---------------------------------------------------------------- readings and time

    def feed(self, reading: Reading) -> list[Event]:
        ts = reading.epoch
        events = self.advance(ts)
        if self.bed.observe(reading):
            events += self._bed_changed(max(ts, self.now or ts))
        return events + self.observe(reading)

    def observe(self, reading: Reading) -> list[Event]:
        """Any other reading the detector cares about (a door, a radar)."""
        return []

    def advance(self, now: float) -> list[Event]:
        if self.now is not None and now <= self.now:
            return []
        self.now = now
        return self.decide(now)

    def _bed_changed(self, now: float) -> list[Event]:
        state = self.bed.state(now)
        if state.known == "out_of_bed" and state.since is not None:
            settled = self.returned is None or state.since - self.returned >= self._settle()
            if self.exit_start is None or settled:
                self.exit_start = state.since
            self.returned = None
        elif state.known == "in_bed":
            self.returned = state.since
            if self.condition.is_open:
                return self._emit(self.condition.end(now, self.back_in_bed(now)))
        return self.decide(now)

    def _settle(self) -> float:
        return self.out_settings.settle_s

    def decide(self, now: float) -> list[Event]:
        return []

    # ---------------------------------------------------------------- questions

    def out_since(self, now: float) -> float | None:
        """When the current exit from bed began, if the bed believably says she is out."""
        state = self.bed.state(now)
        if state.known != "out_of_bed" or self.exit_start is None or self.returned is not None:
            return None
        return self.exit_start

    def night_at(self, ts: float) -> bool:
        return self.home.is_night(ts)

    # ---------------------------------------------------------------- evidence

    def _emit(self, event: Event | None) -> list[Event]:
        return [event] if event is not None else []

    def local(self, ts: float) -> str:
        """'00:12': how a time reads in evidence (the event's ``started`` has the epoch)."""
        return self.home.local(ts).strftime("%H:%M")

    def where(self) -> dict[str, Any]:
        place = self.home.config.place
        if place is None:
            return {}
        return {"unit": place.unit, "room": place.room, "bed": place.bed}

    def bed_evidence(self, state: BedState) -> dict[str, Any]:
        evidence: dict[str, Any] = {"bed_state": state.known}
        if state.why:
            evidence["bed_unknown"] = state.why
        return evidence

    def back_in_bed(self, now: float) -> dict[str, Any]:
        summary = f"back in bed at {self.local(now)}"
        return {"summary": summary, "bed_state": "in_bed", **self.where()}

    def state_dict(self) -> dict[str, Any]:
        return {
            "condition": self.condition.state_dict(),
            "bed": self.bed.state_dict(),
            "exit_start": self.exit_start,
            "returned": self.returned,
            "now": self.now,
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        self.condition.load_state(state["condition"])
        self.bed.load_state(state["bed"])
        self.exit_start = state["exit_start"]
        self.returned = state["returned"]
        self.now = state["now"]
