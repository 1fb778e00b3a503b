"""Where she leaves the home from, learned where no front-door sensor sees her go.

Without a front-door sensor every outing is a silence at home, and it begins where she was
last seen on her way out: the hallway, the kitchen by the back door, the toilet by the
entrance. A place is one of her **exits** once, on ``min_days`` of the last ``days`` days,
a silence of at least ``min_gap_s`` began there while she was about (not settled in a bed
or chair) and ended with her coming back to the living part of the home (not with her
getting up from the bed, the chair or the bedroom: that was a rest, not an outing).
Learned from what happened, those that raised an alert too: an outing that alarmed is
still an outing once she is back.

A silence in the bathroom, in bed or in the chair is never an exit's, whatever happened
there: a collapse there must be found in minutes or hours, not after an outing's limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..context import HomeContext
from ..routine import GapBaseline
from ..whereabouts import Observation
from ..whereabouts.places import BATHROOM, SETTLED_ROLES

# Where a silence that ended there was a rest (she got up), not an outing (she came back).
RESTING_PLACES = (*SETTLED_ROLES, "bedroom")
NEVER_EXITS = (BATHROOM, *RESTING_PLACES, "unknown")


class Exits:
    """The places her outings begin at, by local day.

    >>> from analytics.whereabouts import Observation
    >>> from contracts.home import HomeConfig
    >>> home = HomeContext(HomeConfig.model_validate({"home": "h1", "station": "s1",
    ...     "timezone": "UTC", "resident": {"name": "A", "birth_year": 1940}}))
    >>> exits = Exits(home, days=14, min_gap_s=3 * 3600, min_days=2)
    >>> out = lambda day, back: Observation("gap", day * 86400 + 36000,
    ...     day * 86400 + 36000 + 5 * 3600, place="kitchen", returned=back)
    >>> exits.record(out(1, "kitchen"), 1)
    >>> exits.is_exit("kitchen")
    False
    >>> exits.record(out(2, "bed"), 2)  # she got up from bed: a rest, not an outing
    >>> exits.is_exit("kitchen")
    False
    >>> exits.record(out(3, "kitchen"), 3)
    >>> exits.is_exit("kitchen"), exits.is_exit("bathroom")
    (True, False)
    >>> exits.outings.usual(12, min_days=1, q=1.0)  # her outings that went on at noon
    (18000.0, 2)
    """

    def __init__(self, home: HomeContext, *, days: int, min_gap_s: float, min_days: int):
        self.days = days
        self.min_gap_s = min_gap_s
        self.min_days = min_days
        self.table: dict[str, list[int]] = {}  # place -> local date ordinals of outings
        self.newest: int | None = None
        # Her outings from any exit, by the hours they went on through: how long she
        # stays out does not depend on the door she took.
        self.outings = GapBaseline(home, days=days)

    def outing(self, gap: Observation) -> bool:
        """Whether a finished silence looks like an outing that began unseen."""
        return (
            gap.duration >= self.min_gap_s
            and gap.context == "about"
            and gap.place not in NEVER_EXITS
            and gap.returned not in RESTING_PLACES
            and gap.returned != "unknown"
        )

    def record(self, gap: Observation, day: int) -> None:
        """A finished silence that began on local day ``day``."""
        if not self.outing(gap):
            return
        self.outings.record(gap.start, gap.end)
        days = self.table.setdefault(gap.place, [])
        if day not in days:
            days.append(day)
            days.sort()
        self.newest = day if self.newest is None else max(self.newest, day)
        oldest = self.newest - self.days
        for place in list(self.table):
            self.table[place] = [d for d in self.table[place] if d > oldest]
            if not self.table[place]:
                del self.table[place]

    def is_exit(self, place: str) -> bool:
        return len(self.table.get(place, ())) >= self.min_days

    def days_seen(self, place: str) -> int:
        return len(self.table.get(place, ()))

    def state_dict(self) -> dict[str, Any]:
        return {
            "places": {p: list(d) for p, d in self.table.items()},
            "newest": self.newest,
            "outings": self.outings.state_dict(),
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        self.table = {str(p): [int(d) for d in days] for p, days in state["places"].items()}
        self.newest = state.get("newest")
        self.outings.load_state(state["outings"])
