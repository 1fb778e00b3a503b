"""Overdue visits become alerts: ``visit_overdue``, through the alert manager, so the
station's queue, escalation and notifications treat a resident nobody has reached like any
other alert. Recording a visit that reaches her resolves it as ``visited``. While an absence
is announced for her (外出登记, hub/absences.py) none is raised: her family has said where
she is, and nobody can visit her at home; still overdue once she is back, it is raised then.

Run from the hub's escalation loop, at most every ``every_s`` (the plans change by the day,
not by the second).
"""

from __future__ import annotations

import time as wall
from collections.abc import Callable
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from .absences import current
from .alerts import AlertManager, AlertUpdate
from .schema import Alert, Visit
from .visits import due_visits

VISIT_OVERDUE = "visit_overdue"


class VisitWatch:
    def __init__(
        self,
        manager: AlertManager,
        *,
        every_s: float = 60.0,
        clock: Callable[[], float] = wall.time,
    ):
        self.manager = manager
        self.every_s = every_s
        self.clock = clock
        self._last: float | None = None

    def due(self, session: Session) -> list[AlertUpdate]:
        """``overdue`` if its time has come since the last run; else nothing."""
        now = self.clock()
        if self._last is not None and now - self._last < self.every_s:
            return []
        self._last = now
        return overdue(session, self.manager, now)


def overdue(session: Session, manager: AlertManager, now: float) -> list[AlertUpdate]:
    """Raise ``visit_overdue`` for each resident whose visit's day has passed: one open
    alert per resident (the alert manager's rule), and at most one raised a day, so a case
    resolved without a visit (handled by phone, a false alarm) is not raised again at once."""
    updates = []
    for due, home in due_visits(session):
        zone = ZoneInfo(home.timezone)
        today = datetime.fromtimestamp(now, zone).date()
        if due.state_on(today) != "overdue" or current(home.config, now) is not None:
            continue
        midnight = datetime.combine(today, time(0), tzinfo=zone).timestamp()
        if _raised_since(session, home.id, midnight):
            continue  # one a day: a case closed without a visit comes back tomorrow, not now
        evidence = {
            "due_day": due.due_day.isoformat(),
            "method": due.method,
            "tier": due.tier.name_en,
            "tier_zh": due.tier.name_zh,
            "responsible": due.plan.responsible,
        }
        if due.misses:  # "not reached 0 times" would be noise
            evidence["misses"] = due.misses
        updates.extend(
            manager.raise_hub_alert(session, home, VISIT_OVERDUE, "minor", now, evidence)
        )
    return updates


def _raised_since(session: Session, home_id: str, since: float) -> bool:
    return (
        session.scalar(
            select(Alert.id)
            .where(Alert.home_id == home_id, Alert.kind == VISIT_OVERDUE, Alert.started >= since)
            .limit(1)
        )
        is not None
    )


def resolve_on_visit(
    session: Session, manager: AlertManager, visit: Visit, actor: str
) -> list[AlertUpdate]:
    """A visit that reached her closes her open ``visit_overdue`` alert, as visited (the
    visit is linked to it, so the resolve records no second visit)."""
    if not visit.reached:
        return []
    alert = session.scalars(
        select(Alert).where(
            Alert.home_id == visit.home_id,
            Alert.kind == VISIT_OVERDUE,
            Alert.resolved_at.is_(None),
        )
    ).first()
    if alert is None:
        return []
    visit.alert_id = alert.id
    session.flush()
    return [manager.resolve(session, alert.id, "visited", actor, visit.notes)]
