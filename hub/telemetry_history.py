"""A resident's readings per hour, from whichever store holds them.

* Without InfluxDB every reading is in the SQL store: the hours are summed from them.
* With InfluxDB the SQL store has hourly aggregates (:mod:`hub.reading_hours`): the hours
  wholly inside the range come from them; the hours the range cuts (a chart of "the last 24
  hours" starts mid-hour) are summed from InfluxDB's points of the part inside, so both
  stores give the same figures. InfluxDB not answering: those hours are taken whole from
  the aggregates, and the answer says so (``partial_hours_whole``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy.orm import Session

from . import queries
from .influx import InfluxApi, InfluxError
from .reading_hours import HOUR_S, KEPT_IN_SQL, hours

log = logging.getLogger("hub.telemetry")


@dataclass(frozen=True)
class Hour:
    start: int  # epoch seconds, UTC hour start
    count: int
    low: float | None
    high: float | None
    total: float | None

    @property
    def mean(self) -> float | None:
        return None if self.total is None or not self.count else self.total / self.count


@dataclass
class Hours:
    hours: list[Hour]
    source: str  # "sql" | "aggregates" | "aggregates+influxdb"
    partial_hours_whole: bool = False  # InfluxDB did not answer for the hours the range cuts


def hourly(
    session: Session,
    influx: InfluxApi | None,
    home: str,
    metrics: Sequence[str],
    start: float,
    end: float,
    *,
    numbers: bool = True,
) -> Hours:
    """The home's readings of ``metrics`` in [start, end) per hour, oldest first.

    ``numbers``: count and sum only finite numbers (vital signs); otherwise count every
    reading (doors, motion) and leave the figures out."""
    if influx is None:
        rows = queries.readings(session, home, metrics, start, end)
        points = [(ts, number, text) for ts, _device, _metric, number, text in rows]
        return Hours(_summed(points, numbers), "sql")
    first_whole = math.ceil(start / HOUR_S) * HOUR_S
    last_whole = math.floor(end / HOUR_S) * HOUR_S  # the hours in [first_whole, last_whole)
    whole = {
        hour: Hour(hour, count, low, high, total)
        for hour, count, low, high, total in hours(session, home, metrics, start, end)
    }
    edges = [(a, b) for a, b in _cut(start, end, first_whole, last_whole) if a < b]
    result = Hours([], "aggregates+influxdb" if edges else "aggregates")
    try:
        for a, b in edges:
            points = [(ts, n, t) for ts, _d, _m, n, t in influx.points(home, metrics, a, b)]
            hour = int(a // HOUR_S) * HOUR_S
            whole.pop(hour, None)
            for summed in _summed(points, numbers):
                whole[summed.start] = summed
    except InfluxError as exc:
        log.warning("history of %s: InfluxDB did not answer (%s); whole hours", home, exc)
        result.partial_hours_whole = True
        whole = {
            hour: Hour(hour, count, low, high, total)
            for hour, count, low, high, total in hours(session, home, metrics, start, end)
        }
    if not numbers:
        whole = {h: Hour(h, v.count, None, None, None) for h, v in whole.items()}
    result.hours = [whole[hour] for hour in sorted(whole) if whole[hour].count]
    return result


def _cut(start: float, end: float, first_whole: int, last_whole: int) -> list[tuple[float, float]]:
    """The parts of [start, end) outside its whole hours: at most two, within one hour each."""
    if first_whole >= last_whole:  # no whole hour: one or two cut hours
        middle = int(start // HOUR_S) * HOUR_S + HOUR_S
        return [(start, min(end, middle)), (middle, end)] if middle < end else [(start, end)]
    return [(start, float(first_whole)), (float(last_whole), end)]


def _summed(points: Sequence[tuple[float, float | None, str | None]], numbers: bool) -> list[Hour]:
    by_hour: dict[int, list[float]] = {}
    for ts, number, _text in points:
        hour = int(ts // HOUR_S) * HOUR_S
        if not numbers:
            by_hour.setdefault(hour, []).append(1.0)
        elif number is not None and math.isfinite(number):  # a NaN an older hub stored
            by_hour.setdefault(hour, []).append(number)
    if not numbers:
        return [Hour(h, len(v), None, None, None) for h, v in sorted(by_hour.items())]
    return [Hour(h, len(v), min(v), max(v), sum(v)) for h, v in sorted(by_hour.items())]


class ReadingPoint(NamedTuple):
    ts: float
    device: str
    metric: str
    number: float | None
    text: str | None


def readings(
    session: Session,
    influx: InfluxApi | None,
    home: str,
    metrics: Sequence[str],
    start: float,
    end: float,
) -> list[ReadingPoint]:
    """The home's readings of ``metrics`` in [start, end), oldest first, from whichever store
    holds them: the SQL store without InfluxDB, and with it for the metrics it keeps
    (:data:`hub.reading_hours.KEPT_IN_SQL`); InfluxDB for the others (none while it does
    not answer: logged)."""
    in_sql = [m for m in metrics if influx is None or m in KEPT_IN_SQL]
    found = [ReadingPoint(*row) for row in queries.readings(session, home, in_sql, start, end)]
    elsewhere = [m for m in metrics if m not in in_sql]
    if elsewhere and influx is not None:
        try:
            found += [ReadingPoint(*p) for p in influx.points(home, elsewhere, start, end)]
        except InfluxError as exc:
            log.warning("readings of %s: InfluxDB did not answer (%s)", home, exc)
    return sorted(found, key=lambda point: point.ts)
