"""Where and when she goes out, learned where no front-door sensor sees her go.

Without a front-door sensor every outing is a silence at home, and it begins where she was
last seen on her way out: the hallway, the kitchen by the back door, the toilet by the
entrance. A finished silence is taken for an **outing** when it lasted at least
``min_gap_s``, began while she was about (not settled in a bed or chair) outside the
bathroom, and ended with her coming back to the living part of the home (not with her
getting up from the bed, the chair or the bedroom: that was a rest). Learned from what
happened, those that raised an alert too: an outing that alarmed is still an outing once
she is back.

A place is one of her **exits** once outings began there on ``min_days`` of the last
``days`` days; a local hour is **a time she goes out** once outings (from any exit) began
within ``window`` hours of it on ``min_days`` days. How long she then stays out does not
depend on the door she took: the outings' lengths are pooled over her exits.

A silence in the bathroom, in bed or in the chair is never an exit's, whatever happened
there: a collapse there must be found in minutes or hours, not after an outing's limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..routine import nearest_rank
from ..whereabouts import Observation
from ..whereabouts.places import BATHROOM, SETTLED_ROLES

# Where a silence that ended there was a rest (she got up), not an outing (she came back).
RESTING_PLACES = (*SETTLED_ROLES, "bedroom")
NEVER_EXITS = (BATHROOM, *RESTING_PLACES, "unknown")


class Exits:
    """Her outings that began unseen: [local day, local hour it began, place, length].

    >>> from analytics.whereabouts import Observation
    >>> exits = Exits(days=14, min_gap_s=3 * 3600, min_days=2, window=2)
    >>> out = lambda hour, back, h=5: Observation("gap", hour * 3600,
    ...     (hour + h) * 3600, place="kitchen", returned=back)
    >>> exits.record(out(10, "kitchen"), day=1, hour=10)
    >>> exits.is_exit("kitchen"), exits.goes_out_at(11)
    (False, False)
    >>> exits.record(out(34, "bed"), day=2, hour=10)  # up from bed: a rest, not an outing
    >>> exits.record(out(59, "kitchen", 7), day=3, hour=11)
    >>> exits.is_exit("kitchen"), exits.is_exit("bathroom")
    (True, False)
    >>> exits.goes_out_at(12), exits.goes_out_at(15)
    (True, False)
    >>> exits.usual(12, q=1.0) / 3600  # her longest outing begun around noon
    7.0
    """

    def __init__(self, *, days: int, min_gap_s: float, min_days: int, window: int):
        self.days = days
        self.min_gap_s = min_gap_s
        self.min_days = min_days
        self.window = window
        self.outings: list[list[Any]] = []  # [day, hour, place, length], oldest first
        self.version = 0

    def is_outing(self, gap: Observation) -> bool:
        """Whether a finished silence looks like an outing that began unseen."""
        return (
            gap.duration >= self.min_gap_s
            and gap.context == "about"
            and gap.place not in NEVER_EXITS
            and gap.returned not in RESTING_PLACES
            and gap.returned != "unknown"
        )

    def record(self, gap: Observation, *, day: int, hour: int) -> None:
        """A finished silence that began on local ``day`` at local ``hour``."""
        if not self.is_outing(gap):
            return
        self.outings.append([day, hour, gap.place, gap.duration])
        newest = max(o[0] for o in self.outings)
        self.outings = [o for o in self.outings if o[0] > newest - self.days]
        self.version += 1

    def is_exit(self, place: str) -> bool:
        """Outings began at ``place`` on at least min_days days."""
        return len({o[0] for o in self.outings if o[2] == place}) >= self.min_days

    def _around(self, hour: int) -> list[list[Any]]:
        return [o for o in self.outings if _hours_apart(o[1], hour) <= self.window]

    def goes_out_at(self, hour: int) -> bool:
        """Outings began within ``window`` hours of ``hour`` on at least min_days days."""
        return len({o[0] for o in self._around(hour)}) >= self.min_days

    def usual(self, hour: int, q: float) -> float | None:
        """The q-quantile of the lengths of her outings begun around ``hour``."""
        lengths = sorted(o[3] for o in self._around(hour))
        return nearest_rank(lengths, q) if lengths else None

    def days_seen(self, hour: int) -> int:
        return len({o[0] for o in self._around(hour)})

    def state_dict(self) -> dict[str, Any]:
        return {"outings": [list(o) for o in self.outings]}

    def load_state(self, state: Mapping[str, Any]) -> None:
        self.outings = [
            [int(day), int(hour), str(place), float(length)]
            for day, hour, place, length in state["outings"]
        ]
        self.version += 1


def _hours_apart(a: int, b: int) -> int:
    return min((a - b) % 24, (b - a) % 24)
