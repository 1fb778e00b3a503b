"""When she got up on a given day, as the whereabouts model decides it: one rule for the
detectors (``not_up``) and for what a page shows (the hub's "today").

The readings are replayed through the same model the home's detectors run (getting up is
the first sign of her outside the bedroom after her night, or the start of an early run of
activity that goes on; a trip to the toilet and back to bed is not it). Give it the
readings of the evening before on, or of a few days before for the model to learn her
night (from three nights) as the edge's has; it never reads a clock or a store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from contracts.home import HomeConfig
from contracts.reading import Reading

from ..context import HomeContext
from .model import Whereabouts


@dataclass(frozen=True)
class Morning:
    """Her morning on one day: when she got up (epoch seconds), and whether the readings
    can tell at all (``known`` is False when they begin after that night began: nothing
    says whether or when she got up, which a page must not show as "not up yet")."""

    up_at: float | None
    known: bool


def got_up(
    config: HomeConfig, readings: Iterable[Reading], day: date, *, until: float | None = None
) -> float | None:
    """When the resident got up on ``day`` (the local date her night ended), in epoch
    seconds; None if she had not by ``until`` (default: the last reading), or if the
    readings begin after that night (nothing says when she got up; :func:`morning` tells
    the two apart).

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> home = HomeConfig.model_validate({"home": "h1", "station": "s1",
    ...     "timezone": "Asia/Shanghai", "resident": {"name": "A", "birth_year": 1940},
    ...     "devices": [{"id": "pir_bed", "kind": "motion", "role": "bedroom",
    ...                  "source": "zigbee2mqtt:p1"},
    ...                 {"id": "pir_hall", "kind": "motion", "role": "living_room",
    ...                  "source": "zigbee2mqtt:p2"}]})
    >>> at = lambda d, h, m: datetime(2026, 3, d, h, m, tzinfo=ZoneInfo("Asia/Shanghai"))
    >>> pir = lambda device, moment: Reading(ts=moment, home="h1", device=device,
    ...                                      metric="motion", value=True)
    >>> stream = [pir("pir_hall", at(1, 21, 0)), pir("pir_bed", at(1, 22, 40)),
    ...           pir("pir_hall", at(2, 6, 20)), pir("pir_bed", at(2, 6, 25)),
    ...           pir("pir_hall", at(2, 8, 5))]  # the toilet and back to bed; up at 08:05
    >>> up = got_up(home, stream, at(2, 0, 0).date())
    >>> datetime.fromtimestamp(up, ZoneInfo("Asia/Shanghai")).strftime("%H:%M")
    '08:05'
    >>> morning(home, stream[2:], at(2, 0, 0).date())  # begun in her morning: not known
    Morning(up_at=None, known=False)
    >>> morning(home, [], at(2, 0, 0).date(), until=at(2, 0, 24).timestamp())  # in the night
    Morning(up_at=None, known=False)
    """
    return morning(config, readings, day, until=until).up_at


def morning(
    config: HomeConfig, readings: Iterable[Reading], day: date, *, until: float | None = None
) -> Morning:
    """When she got up on ``day``, and whether the readings can tell (see :func:`got_up`)."""
    where = Whereabouts(HomeContext(config))
    found: float | None = None
    # Known only once the night that ended on ``day`` was seen from its start: readings that
    # begin later (or none at all, while the clock alone runs into tonight) cannot tell.
    # The model takes monitoring that begins inside a night as that whole night (its
    # detectors must start somewhere); a page must not, so the first reading is kept.
    known = False
    settled = False  # the day's period is over: its time of getting up is final
    began: float | None = None

    def look() -> None:
        nonlocal found, known, settled
        period = where.day
        if period.period is None or settled:
            return
        ends_on = where.home.local(period.night_end).date()
        if ends_on == day:
            known = not period.partial and began is not None and began <= period.period
            found = period.up_since if known else None
        elif ends_on > day:
            settled = True

    for reading in sorted(readings, key=lambda r: r.epoch):
        ts = reading.epoch
        if until is not None and ts > until:
            break
        if began is None:
            began = ts
        for _ in where.advance(ts):
            look()
        where.observe(reading)
        look()
    if until is not None:
        if began is None:
            began = until
        for _ in where.advance(until):
            look()
    return Morning(found, known)
