"""What both vitals detectors are: one metric's sustained episodes from a bracelet that is
worn, cleared on a recovery of its own (the rules are in the package's docstring)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Protocol

from ..condition import Condition
from ..context import HomeContext
from ..detector import Detector
from ..events import Event
from .bracelets import Bracelets
from .episodes import Episode, Recovery, Window, minutes


class RecoverySettings(Protocol):
    max_gap_s: float
    clear_s: float
    clear_readings: int


class VitalDetector(Detector):
    """A condition, the bracelets' worn state, the window of readings and the recovery,
    saved and restored together; subclasses decide what is abnormal and say it."""

    metric: ClassVar[str]  # the reading's metric and the evidence's key
    recovered: ClassVar[str]  # the clear's summary, with {value} and {minutes}
    settings: RecoverySettings

    def __init__(self, home: HomeContext, kind: str, flags: Iterable[int], window_s: float):
        super().__init__(home)
        self.condition = Condition(home.home, kind, self.name)
        self.bracelets = Bracelets()
        self.window = Window(window_s, flags)
        self.recovery = Recovery()

    def _recovering(self, ts: float, now: float, in_range: bool, device: str) -> list[Event] | None:
        """While an episode is open: the clear once readings have been back in range long
        enough, nothing while they are back for now (no update that says they are not),
        None when the episode goes on. Recovery is judged on the latest readings alone:
        the window still holds the episode's minutes, and waiting for them to age out would
        delay the clear."""
        if not self.condition.is_open:
            return None
        s = self.settings
        self.recovery.add(ts, in_range, s.max_gap_s)
        if self.recovery.lasted(s.clear_s, s.clear_readings):
            return self._clear(now, device)
        return [] if self.recovery.readings else None

    def _started(self, episode: Episode) -> float:
        """When the condition began: this episode's start, or the open condition's."""
        if self.condition.open is None:
            self.recovery.reset()
            return episode.start
        return self.condition.open.started

    def _clear(self, now: float, device: str) -> list[Event]:
        since = self.recovery.since or now
        median = self.window.median(since=since)
        lasted = minutes(now - since)
        event = self.condition.end(
            now,
            {
                "summary": self.recovered.format(value=median, minutes=lasted),
                self.metric: round(median, 1),
                "normal_for_min": lasted,
                "readings": self.recovery.readings,
                "device": device,
            },
        )
        # A new episode must be sustained on its own, not on the minutes of this one.
        self.window.drop_before(since)
        self.recovery.reset()
        return [event] if event else []

    def state_dict(self) -> dict[str, Any]:
        return {
            "condition": self.condition.state_dict(),
            "bracelets": self.bracelets.state_dict(),
            "window": self.window.state_dict(),
            "recovery": self.recovery.state_dict(),
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        self.condition.load_state(state["condition"])
        self.bracelets.load_state(state["bracelets"])
        self.window.load_state(state["window"])
        self.recovery.load_state(state["recovery"])
