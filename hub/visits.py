"""Visits (探访): a station's tiers, a resident's plan, the visits recorded, what is due.

A plan says how often (its tier's ``every_days``) and how (its tier's ``method``) someone
checks on the resident. A visit counts when she was **reached**; an attempt that did not
reach her is recorded too, and leaves the visit due. Days are the home's calendar days:

- the next visit is due ``every_days`` after the day of the last visit that reached her (the
  plan's first day if none did);
- it is **overdue** once its day has passed (hub/visit_watch.py raises ``visit_overdue``);
- after ``HOME_VISIT_AFTER_MISSES`` phone or video attempts without reaching her since she was
  last reached, the due visit becomes a **home visit** (上门), whatever the tier says.

Everything here works inside a caller's session and never commits.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import HubError
from .schema import Alert, Home, Visit, VisitPlan, VisitTier
from .views import local_time

Method = Literal["phone", "video", "home"]
METHODS: tuple[str, ...] = get_args(Method)
CHECKS = ("eating", "medication", "home_safe", "mood")
HOME_VISIT_AFTER_MISSES = 2
# Outcomes of an alert that mean someone went to see her (contracts.alert.Outcome).
VISIT_OUTCOMES = frozenset({"visited", "no_answer_visited"})
DAY_S = 86400.0
# The visitor of a visit whose visitor was not recorded (an alert closed as visited that
# nobody was assigned to): the column is required, and no name is better than a wrong one.
UNKNOWN_VISITOR = ""


class VisitError(HubError):
    """A visit, plan or tier that cannot be saved as asked (422), or does not exist (404)."""

    status = 422


class VisitNotFound(VisitError):
    status = 404


@dataclass(frozen=True)
class DueVisit:
    """A resident's next visit as the plan and the records make it."""

    home_id: str
    station_id: str
    resident_name: str
    tier: VisitTier
    plan: VisitPlan
    due_day: date
    method: str  # the tier's, or "home" after missed attempts
    misses: int  # attempts since she was last reached that did not reach her
    last_reached_at: float | None

    def state_on(self, today: date) -> str:
        """``due`` (today), ``overdue`` (a day passed) or ``planned`` (a later day)."""
        if self.due_day < today:
            return "overdue"
        return "due" if self.due_day == today else "planned"


def local_day(epoch: float, zone: ZoneInfo) -> date:
    return datetime.fromtimestamp(epoch, zone).date()


def due_visit(session: Session, plan: VisitPlan, tier: VisitTier, home: Home) -> DueVisit:
    """When the resident's next visit is due and how, from her plan and her visits."""
    zone = ZoneInfo(home.timezone)
    last = session.scalar(
        select(Visit.at)
        .where(Visit.home_id == home.id, Visit.reached.is_(True), Visit.at >= plan.since)
        .order_by(Visit.at.desc())
        .limit(1)
    )
    since = last if last is not None else plan.since
    misses = len(
        session.scalars(
            select(Visit.id).where(
                Visit.home_id == home.id,
                Visit.reached.is_(False),
                Visit.method.in_(("phone", "video")),
                # the visit that reached her is not a miss after itself
                (Visit.at > since) if last is not None else (Visit.at >= since),
            )
        ).all()
    )
    if last is None:
        due_day = local_day(plan.since, zone)
    else:
        due_day = local_day(last, zone) + timedelta(days=tier.every_days)
    method = tier.method
    if misses >= HOME_VISIT_AFTER_MISSES:
        # Not reached by phone twice: someone goes to the door, and today.
        method = "home"
        attempt = session.scalar(
            select(Visit.at).where(Visit.home_id == home.id).order_by(Visit.at.desc()).limit(1)
        )
        if attempt is not None:
            due_day = min(due_day, local_day(attempt, zone))
    return DueVisit(
        home.id, home.station_id, home.resident_name, tier, plan, due_day, method, misses, last
    )


def due_visits(
    session: Session, station_ids: Collection[str] | None = None
) -> list[tuple[DueVisit, Home]]:
    """Every active resident's next visit (of these stations; None: all), soonest first."""
    query = (
        select(VisitPlan, VisitTier, Home)
        .join(VisitTier, VisitTier.id == VisitPlan.tier_id)
        .join(Home, Home.id == VisitPlan.home_id)
        .where(Home.deactivated_at.is_(None))
    )
    if station_ids is not None:
        query = query.where(Home.station_id.in_(list(station_ids)))
    found = [(due_visit(session, p, t, h), h) for p, t, h in session.execute(query)]
    return sorted(found, key=lambda pair: (pair[0].due_day, pair[0].home_id))


def record_visit(
    session: Session,
    home: Home,
    *,
    at: float,
    visitor: str,
    recorded_by: str,
    method: str,
    reached: bool,
    checks: Mapping[str, str] | None = None,
    notes: str | None = None,
    follow_up: str | None = None,
    alert_id: int | None = None,
) -> Visit:
    if method not in METHODS:
        raise VisitError(f"unknown method {method!r}; one of {list(METHODS)}", home=home.id)
    unknown = sorted(set(checks or {}) - set(CHECKS))
    if unknown:
        raise VisitError(f"unknown checks {unknown}; known: {list(CHECKS)}", home=home.id)
    visit = Visit(
        home_id=home.id, station_id=home.station_id, at=at, visitor=visitor,
        recorded_by=recorded_by, method=method, reached=reached, checks=dict(checks or {}),
        notes=notes, follow_up=follow_up, alert_id=alert_id,
    )  # fmt: skip
    session.add(visit)
    session.flush()
    return visit


def record_alert_visit(session: Session, alert: Alert, actor: str, note: str | None) -> None:
    """An alert resolved as visited: the visit it was, at the resolve, recorded by whoever
    resolved it (unless a visit was already recorded for this alert, e.g. by the visit form).

    The visitor is whom the alert was assigned to: the dispatcher who closes the case at the
    console did not go. With nobody assigned, who went is not known, and the visit names
    nobody (an empty ``visitor``; the family app then shows no 探访人) rather than the
    dispatcher."""
    if session.scalar(select(Visit.id).where(Visit.alert_id == alert.id).limit(1)) is not None:
        return
    home = session.get(Home, alert.home_id)
    assert home is not None  # a foreign key
    assert alert.resolved_at is not None
    # Both outcomes say someone went to her door and saw to her ("no answer" was the phone).
    record_visit(
        session, home, at=alert.resolved_at, visitor=alert.assignee or UNKNOWN_VISITOR,
        recorded_by=actor, method="home", reached=True, notes=note, alert_id=alert.id,
    )  # fmt: skip


def save_plan(
    session: Session,
    home: Home,
    *,
    tier_id: int,
    responsible: str,
    responsible_kind: str,
    actor: str,
    now: float,
) -> VisitPlan:
    tier = session.get(VisitTier, tier_id)
    if tier is None or tier.station_id != home.station_id or not tier.active:
        raise VisitError(f"no active visit tier {tier_id} at station {home.station_id}")
    plan = session.get(VisitPlan, home.id)
    if plan is None:
        plan = VisitPlan(home_id=home.id, since=now)
        session.add(plan)
    plan.tier_id, plan.responsible, plan.responsible_kind = tier_id, responsible, responsible_kind
    plan.updated_at, plan.updated_by = now, actor
    session.flush()
    return plan


def plans_of(session: Session, home_ids: Collection[str]) -> list[VisitPlan]:
    query = select(VisitPlan).where(VisitPlan.home_id.in_(list(home_ids)))
    return list(session.scalars(query.order_by(VisitPlan.home_id)))


def visits_of(
    session: Session,
    home_ids: Collection[str],
    *,
    since: float | None = None,
    until: float | None = None,
    limit: int = 200,
) -> list[Visit]:
    query = select(Visit).where(Visit.home_id.in_(list(home_ids)))
    if since is not None:
        query = query.where(Visit.at >= since)
    if until is not None:
        query = query.where(Visit.at < until)
    return list(session.scalars(query.order_by(Visit.at.desc(), Visit.id.desc()).limit(limit)))


def monthly_visit_figures(
    session: Session, station_ids: Collection[str], start: float, end: float
) -> dict[str, int]:
    """Visits of these stations' residents in ``[start, end)`` (epoch seconds):

    - ``planned``: the visits their plans called for (one per ``every_days`` of the window
      the plan covered, from the plan's first day);
    - ``done``: visits and attempts recorded; ``reached``: those that reached her;
    - ``missed``: per resident, planned visits that no reaching visit answered (never below
      zero: an extra visit does not make up for another resident's missed one).
    """
    stations = list(station_ids)
    figures = {"planned": 0, "done": 0, "reached": 0, "missed": 0}
    if not stations or end <= start:
        return figures
    reached_by_home: dict[str, int] = {}
    visits = session.scalars(
        select(Visit).where(Visit.station_id.in_(stations), Visit.at >= start, Visit.at < end)
    )
    for visit in visits:
        figures["done"] += 1
        if visit.reached:
            figures["reached"] += 1
            reached_by_home[visit.home_id] = reached_by_home.get(visit.home_id, 0) + 1
    plans = session.execute(
        select(VisitPlan.home_id, VisitPlan.since, VisitTier.every_days)
        .join(VisitTier, VisitTier.id == VisitPlan.tier_id)
        .where(VisitTier.station_id.in_(stations))
    )
    for home_id, since, every_days in plans:
        covered = (end - max(start, since)) / DAY_S
        planned = math.ceil(covered / max(every_days, 1)) if covered > 0 else 0
        figures["planned"] += planned
        figures["missed"] += max(planned - reached_by_home.get(home_id, 0), 0)
    return figures


def visit_document(visit: Visit, home: Home) -> dict[str, Any]:
    return {
        "id": visit.id,
        "resident": visit.home_id,
        "resident_name": home.resident_name,
        "station": visit.station_id,
        "at": local_time(visit.at, ZoneInfo(home.timezone)),
        "visitor": visit.visitor,
        "recorded_by": visit.recorded_by,
        "method": visit.method,
        "reached": visit.reached,
        "checks": dict(visit.checks or {}),
        "notes": visit.notes,
        "follow_up": visit.follow_up,
        "alert": visit.alert_id,
    }
