"""Monthly figures per station, district and city, as the civil-affairs bureau reports them.

For the alerts *raised* in the month (the hub's wall clock, ``raised_at``):

* by kind and outcome (``open`` while unresolved);
* time to acknowledge over the acknowledged ones: from the raise to the case's *first*
  acknowledgement in its history, how long the station took to react when the case was
  raised. A case re-activated later (she fell again after she got up) is unacknowledged by
  the hub and acknowledged again, and ``acknowledged_at`` is then the second one: measured
  from the raise, that would count the hours between the two falls as the station's delay.
  The re-activation's own acknowledgement is in no figure (the figures are per case raised);
  the case's history has it. The median (the middle value, or the mean of the two middle
  ones) and the 90th percentile by nearest rank (the smallest time at least 90 % of them
  took no longer than); for critical alerts also the share acknowledged within five
  minutes, out of *every* critical alert raised (one never acknowledged counts as not
  within five minutes);
* homes with a device or the gateway offline for more than a day (a ``device_offline`` or
  ``home_offline`` case that overlapped the month and lasted over 24 hours in all, counted
  to its clear, its resolve, or the end of the month / now while it is still open).

Other parts of the hub add their own sections (visits, service orders) by their figures
function in :data:`SECTIONS`; a section without one says ``available: false`` (the page
shows "not available"), never zeros.

>>> median([30.0, 10.0, 20.0]), median([10.0, 20.0, 30.0, 40.0]), median([])
(20.0, 25.0, None)
>>> p90([float(n) for n in range(1, 11)]), p90([5.0]), p90([])
(9.0, 5.0, None)
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .districts import Area
from .schema import Alert, AlertChange
from .service_orders import monthly_order_figures
from .visits import monthly_visit_figures

OFFLINE_KINDS = ("device_offline", "home_offline")
OFFLINE_LONG_S = 86400.0
WITHIN_S = 300.0  # "within five minutes", for critical alerts
CRITICAL = "critical"

# When the case was first acknowledged, from its history. A case written without its
# history (the demo's seeded months) has only the column.
FIRST_ACKNOWLEDGED = func.coalesce(
    select(func.min(AlertChange.at))
    .where(AlertChange.alert_id == Alert.id, AlertChange.action == "acknowledged")
    .correlate(Alert)
    .scalar_subquery(),
    Alert.acknowledged_at,
)

Figures = Callable[[Session, Collection[str], float, float], dict[str, Any]]


@dataclass(frozen=True)
class Section:
    """A report section another module provides: ``figures(session, station_ids, start,
    end)``; None while that module is not part of this hub."""

    name: str
    figures: Figures | None


SECTIONS: list[Section] = [
    Section("visits", monthly_visit_figures),  # planned, done, reached, missed
    Section("orders", monthly_order_figures),  # by service type, by state
]


def median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def month_bounds(month: date, tz: ZoneInfo) -> tuple[float, float]:
    """The month of ``month`` (its first day) in the zone, as epoch seconds [start, end)."""
    first = datetime.combine(month.replace(day=1), time(0), tz)
    nxt = month.replace(year=month.year + (month.month == 12), month=month.month % 12 + 1, day=1)
    return first.timestamp(), datetime.combine(nxt, time(0), tz).timestamp()


def alert_figures(alerts: list[Alert]) -> dict[str, Any]:
    by_kind: dict[str, dict[str, int]] = {}
    by_outcome: dict[str, int] = {}
    for alert in alerts:
        outcome = alert.outcome if alert.resolved_at is not None and alert.outcome else "open"
        kinds = by_kind.setdefault(alert.kind, {})
        kinds[outcome] = kinds.get(outcome, 0) + 1
        by_outcome[outcome] = by_outcome.get(outcome, 0) + 1
    return {"total": len(alerts), "by_kind": by_kind, "by_outcome": by_outcome}


def acknowledge_figures(alerts: list[tuple[Alert, float | None]]) -> dict[str, Any]:
    """``alerts``: each with when it was first acknowledged (None: never)."""

    def took(rows: list[tuple[Alert, float | None]]) -> list[float]:
        return [max(at - a.raised_at, 0.0) for a, at in rows if at is not None]

    every = took(alerts)
    critical = [(a, at) for a, at in alerts if a.severity == CRITICAL]
    critical_took = took(critical)
    within = sum(1 for t in critical_took if t <= WITHIN_S)
    return {
        "acknowledged": len(every),
        "median_s": median(every),
        "p90_s": p90(every),
        "critical": {
            "raised": len(critical),
            "acknowledged": len(critical_took),
            "median_s": median(critical_took),
            "p90_s": p90(critical_took),
            "within_5min": within,
            "share_within_5min": within / len(critical) if critical else None,
        },
    }


def offline_homes(session: Session, stations: Collection[str], start: float, end: float,
                  now: float) -> list[str]:  # fmt: skip
    """Homes with an offline case that lasted over a day and overlapped the month."""
    rows = session.scalars(
        select(Alert).where(
            Alert.station_id.in_(stations),
            Alert.kind.in_(OFFLINE_KINDS),
            Alert.started < end,
        )
    ).all()
    homes = set()
    for alert in rows:
        ended = alert.cleared_at or alert.resolved_at or min(end, now)
        if ended >= start and ended - alert.started > OFFLINE_LONG_S:
            homes.add(alert.home_id)
    return sorted(homes)


def area_report(
    session: Session, area: Area, start: float, end: float, now: float,
    sections: list[Section] | None = None,
) -> dict[str, Any]:  # fmt: skip
    stations = list(area.stations)
    acknowledged = [
        (alert, at)
        for alert, at in session.execute(
            select(Alert, FIRST_ACKNOWLEDGED).where(
                Alert.station_id.in_(stations), Alert.raised_at >= start, Alert.raised_at < end
            )
        )
    ]
    alerts = [alert for alert, _ in acknowledged]
    offline = offline_homes(session, stations, start, end, now)
    extra: dict[str, Any] = {}
    for section in SECTIONS if sections is None else sections:
        if section.figures is None:
            extra[section.name] = {"available": False}
        else:
            # So far in a month still going: the visits of the weeks to come are not missed.
            figures = section.figures(session, stations, start, min(end, max(start, now)))
            extra[section.name] = {"available": True, "figures": figures}
    return {
        "level": area.level,
        "id": area.id,
        "name": area.name,
        "parent": area.parent,
        "stations": stations,
        "alerts": alert_figures(alerts),
        "acknowledge": acknowledge_figures(acknowledged),
        "offline_homes": {"count": len(offline), "homes": offline},
        "sections": extra,
    }


def csv_rows(month: str, reports: list[dict[str, Any]]) -> list[list[str]]:
    """The reports as long rows: level, id, name, month, figure, detail, value (a figure with
    no data is an empty value, not 0)."""
    rows = [["level", "id", "name", "month", "figure", "detail", "value"]]

    def add(report: dict[str, Any], figure: str, detail: str, value: Any) -> None:
        text = "" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))
        rows.append([report["level"], report["id"], report["name"], month, figure, detail, text])

    for r in reports:
        add(r, "alerts", "total", r["alerts"]["total"])
        for kind, outcomes in sorted(r["alerts"]["by_kind"].items()):
            for outcome, n in sorted(outcomes.items()):
                add(r, "alerts", f"{kind}/{outcome}", n)
        ack = r["acknowledge"]
        add(r, "acknowledge", "median_s", ack["median_s"])
        add(r, "acknowledge", "p90_s", ack["p90_s"])
        for key in ("raised", "median_s", "p90_s", "within_5min", "share_within_5min"):
            add(r, "acknowledge_critical", key, ack["critical"][key])
        add(r, "offline_homes", "over_a_day", r["offline_homes"]["count"])
        for name, section in r["sections"].items():
            if not section["available"]:
                add(r, name, "available", "no")
                continue
            for key, value in sorted(_flat(section["figures"]).items()):
                add(r, name, key, value)
    return rows


def _flat(figures: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in figures.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, f"{name}/"))
        else:
            out[name] = value
    return out
