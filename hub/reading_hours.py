"""Hourly aggregates of readings in the SQL store, for when the readings go to InfluxDB.

With InfluxDB configured (:mod:`hub.influx_settings`), ingest writes every reading there and,
in its own transaction, adds each batch to ``reading_hours`` (count, lowest, highest and sum
per home, metric and UTC hour): a few rows per home and hour instead of every reading. The
readings the pages replay one by one (doors, motion, presence, steps, worn: the "today"
timeline and when she got up, hub.queries.morning) stay in ``readings`` too, at the rate
their sensors change, with the readings' retention.

Upserts are the database's own (``INSERT .. ON CONFLICT DO UPDATE``, SQLite and
PostgreSQL): two batches of one hour add up, whichever commits first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .queries import WHEREABOUTS_METRICS
from .schema import ReadingHour

HOUR_S = 3600
# Kept row by row in the SQL store besides InfluxDB: what the pages replay reading by reading.
KEPT_IN_SQL = frozenset(WHEREABOUTS_METRICS)

Row = tuple[str, str, str, float, float | None, str | None]


def summed(rows: Iterable[Row]) -> list[dict[str, Any]]:
    """A batch of readings as hourly aggregates.

    >>> summed([("h1", "b", "heart_rate", 7200.5, 70.0, None),
    ...         ("h1", "b", "heart_rate", 7300.0, 80.0, None),
    ...         ("h1", "d", "contact", 7300.0, None, "open")])  # doctest: +NORMALIZE_WHITESPACE
    [{'home_id': 'h1', 'metric': 'heart_rate', 'hour': 7200, 'count': 2, 'low': 70.0,
      'high': 80.0, 'total': 150.0},
     {'home_id': 'h1', 'metric': 'contact', 'hour': 7200, 'count': 1, 'low': None,
      'high': None, 'total': None}]
    """
    hours: dict[tuple[str, str, int], dict[str, Any]] = {}
    for home, _device, metric, ts, number, _text in rows:
        key = (home, metric, int(ts // HOUR_S) * HOUR_S)
        hour = hours.get(key)
        if hour is None:
            hour = hours[key] = {
                "home_id": home, "metric": metric, "hour": key[2], "count": 0,
                "low": None, "high": None, "total": None,
            }  # fmt: skip
        hour["count"] += 1
        if number is not None:
            hour["low"] = number if hour["low"] is None else min(hour["low"], number)
            hour["high"] = number if hour["high"] is None else max(hour["high"], number)
            hour["total"] = number if hour["total"] is None else hour["total"] + number
    return list(hours.values())


_UPSERT = (
    "INSERT INTO reading_hours (home_id, metric, hour, count, low, high, total) "
    "VALUES ({m}, {m}, {m}, {m}, {m}, {m}, {m}) "
    "ON CONFLICT (home_id, metric, hour) DO UPDATE SET "
    "count = reading_hours.count + excluded.count, "
    "low = {lowest}, high = {highest}, "
    "total = coalesce(reading_hours.total + excluded.total, reading_hours.total, excluded.total)"
)
_BOTH = "coalesce(reading_hours.{c}, excluded.{c}), coalesce(excluded.{c}, reading_hours.{c})"
UPSERTS = {
    # PostgreSQL's least/greatest leave NULLs out; SQLite's min(x, NULL) is NULL.
    "postgresql": _UPSERT.format(
        m="%s",
        lowest="least(reading_hours.low, excluded.low)",
        highest="greatest(reading_hours.high, excluded.high)",
    ),
    "sqlite": _UPSERT.format(
        m="?", lowest=f"min({_BOTH.format(c='low')})", highest=f"max({_BOTH.format(c='high')})"
    ),
}


def add_hours(session: Session, rows: Sequence[Row]) -> int:
    """Add a batch of readings to their hours; the number of hour rows written.

    One driver-level executemany of the database's own upsert, as ingest inserts readings
    (hub.ingest._insert_many): SQLAlchemy's per-row parameter handling would cost more than
    the upserts."""
    hours = summed(rows)
    if not hours:
        return 0
    connection = session.connection()
    statement = UPSERTS[connection.dialect.name]
    # In key order: two hub workers adding to the same hours lock their rows in one order,
    # so they wait for each other instead of deadlocking (hub.arbiter).
    upserts = sorted(tuple(hour.values()) for hour in hours)
    connection.exec_driver_sql(statement, upserts)
    return len(hours)


def hours(
    session: Session, home_id: str, metrics: Sequence[str], start: float, end: float
) -> list[tuple[int, int, float | None, float | None, float | None]]:
    """The home's hours of these metrics that start in [start, end) (whole hours: a range
    that starts mid-hour counts that hour whole), oldest first, the metrics summed:
    ``(hour, count, low, high, total)``."""
    first = int(start // HOUR_S) * HOUR_S
    query = (
        select(
            ReadingHour.hour,
            func.sum(ReadingHour.count),
            func.min(ReadingHour.low),
            func.max(ReadingHour.high),
            func.sum(ReadingHour.total),
        )
        .where(
            ReadingHour.home_id == home_id,
            ReadingHour.metric.in_(metrics),
            ReadingHour.hour >= first,
            ReadingHour.hour < end,
        )
        .group_by(ReadingHour.hour)
        .order_by(ReadingHour.hour)
    )
    return [(int(h), int(c), lo, hi, t) for h, c, lo, hi, t in session.execute(query)]
