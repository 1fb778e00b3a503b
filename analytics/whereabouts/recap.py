"""Her night and day as the whereabouts model saw them, for the family's morning summary:
when she went to rest and got up, her stays in the bathroom during the night, her outings,
and her usual times (learned from the nights before, as the edge's model learns them).

The same model the detectors run, replayed over the readings (a few days before the night,
so it has learned her nights); pure: no clock, no store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from contracts.home import HomeConfig
from contracts.reading import Reading

from ..context import HomeContext
from .model import Whereabouts
from .settings import Observation


@dataclass(frozen=True)
class Recap:
    """``night_known``: the readings saw the night that ended on ``day`` from its start (else
    nothing here says when she slept). Times are epoch seconds; usual times hours after
    midnight (bedtime: hours after noon, as the model keeps it)."""

    night_known: bool
    went_to_rest: float | None
    up_at: float | None
    bathroom: tuple[Observation, ...]  # every stay seen, oldest first
    outings: tuple[Observation, ...]
    usual_wake_h: float | None
    usual_bedtime_after_noon_h: float | None


def recap(config: HomeConfig, readings: Iterable[Reading], day: date, *, until: float) -> Recap:
    """Replay ``readings`` up to ``until``; the night that ended on ``day`` (local date)."""
    where = Whereabouts(HomeContext(config))
    seen: list[Observation] = []
    night: dict[str, float | bool | None] = {"known": False, "went": None, "up": None}
    settled = False

    def look() -> None:
        nonlocal settled
        period = where.day
        if period.period is None or settled:
            return
        ends_on = where.home.local(period.night_end).date()
        if ends_on == day:
            night["known"] = not period.partial
            went = period.went_to_rest
            if went is None and period.rest is not None:
                went = period.rest[0]
            night["went"], night["up"] = went, period.up_since
        elif ends_on > day:
            settled = True

    for reading in sorted(readings, key=lambda r: r.epoch):
        if reading.epoch > until:
            break
        for _, found in where.advance(reading.epoch):
            seen += found
            look()
        seen += where.observe(reading)
        look()
    for _, found in where.advance(until):
        seen += found
        look()
    known = bool(night["known"])
    went = night["went"] if known else None
    up = night["up"] if known else None
    return Recap(
        night_known=known,
        went_to_rest=float(went) if isinstance(went, float | int) else None,
        up_at=float(up) if isinstance(up, float | int) else None,
        bathroom=tuple(o for o in seen if o.kind == "bathroom"),
        outings=tuple(o for o in seen if o.kind == "outing"),
        usual_wake_h=where.day.usual_wake(),
        usual_bedtime_after_noon_h=where.day.usual_bedtime(),
    )
