"""Alerts: the station's queue, one alert's story, and what dispatchers do with it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from contracts.alert import Severity
from hub.accounts import Scope
from hub.alerts import AlertNotFound, AlertUpdate
from hub.outbound import redact
from hub.registry import NotFound
from hub.schema import Alert, AlertChange, Delivery, EventRow, Home
from hub.views import alert_document, local_time

from ..deps import HubDep, ScopeDep, SessionDep, visible_home
from ..schemas import (
    AccelWindowPublic,
    AlertChangePublic,
    AlertDetail,
    AlertPublic,
    AssignBody,
    CommentBody,
    NotificationPublic,
    ResolveBody,
)

router = APIRouter(prefix="/alerts", tags=["alerts"])

StateFilter = Literal[
    "open", "active", "cleared", "acknowledged", "unacknowledged", "resolved", "all"
]
SEVERITY_ORDER = case(
    {"critical": 0, "major": 1, "minor": 2, "warning": 3}, value=Alert.severity, else_=4
)


@router.get("")
def list_alerts(
    session: SessionDep,
    scope: ScopeDep,
    station: str | None = None,
    resident: str | None = None,
    state: StateFilter = "open",
    severity: Annotated[list[Severity] | None, Query()] = None,
    kind: str | None = None,
    since: Annotated[datetime | None, Query(description="raised at or after")] = None,
    until: Annotated[datetime | None, Query(description="raised before")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[AlertPublic]:
    """Open alerts first, then by severity (critical first), then newest first."""
    query = select(Alert, Home).join(Home, Home.id == Alert.home_id)
    if scope.role == "family":
        query = query.where(Alert.home_id.in_(scope.residents))
    elif not scope.sees_everything:
        query = query.where(Alert.station_id.in_(scope.stations))
    if station is not None:
        query = query.where(Alert.station_id == station)
    if resident is not None:
        query = query.where(Alert.home_id == resident)
    if severity:
        query = query.where(Alert.severity.in_(severity))
    if kind is not None:
        query = query.where(Alert.kind == kind)
    if since is not None:
        query = query.where(Alert.raised_at >= since.timestamp())
    if until is not None:
        query = query.where(Alert.raised_at < until.timestamp())
    query = _state(query, state).order_by(
        Alert.resolved_at.is_not(None), SEVERITY_ORDER, Alert.raised_at.desc()
    )
    rows = session.execute(query.limit(limit).offset(offset))
    return [AlertPublic(**alert_document(alert, home)) for alert, home in rows]


def _state(query, state: StateFilter):  # type: ignore[no-untyped-def]
    unresolved = Alert.resolved_at.is_(None)
    conditions = {
        "open": [unresolved],
        "active": [unresolved, Alert.active.is_(True)],
        "cleared": [unresolved, Alert.active.is_(False)],
        "acknowledged": [unresolved, Alert.acknowledged.is_(True)],
        "unacknowledged": [unresolved, Alert.acknowledged.is_(False)],
        "resolved": [Alert.resolved_at.is_not(None)],
        "all": [],
    }[state]
    return query.where(*conditions)


@router.get("/{alert_id}")
def get_alert(alert_id: int, session: SessionDep, scope: ScopeDep) -> AlertDetail:
    return detail(session, scope, alert_id)


def visible_alert(session: Session, scope: Scope, alert_id: int) -> tuple[Alert, Home]:
    """The alert, if its resident is this user's to see; otherwise it does not exist."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertNotFound("no such alert", alert_id=alert_id)
    try:
        home = visible_home(session, scope, alert.home_id)
    except NotFound:
        raise AlertNotFound("no such alert", alert_id=alert_id) from None
    return alert, home


def detail(session: Session, scope: Scope, alert_id: int) -> AlertDetail:
    alert, home = visible_alert(session, scope, alert_id)
    changes = session.scalars(
        select(AlertChange).where(AlertChange.alert_id == alert_id).order_by(AlertChange.id)
    )
    zone = ZoneInfo(home.timezone)
    history = [
        AlertChangePublic(
            at=local_time(c.at, zone), actor=c.actor, action=c.action, detail=c.detail
        )
        for c in changes
    ]
    deliveries = session.scalars(
        select(Delivery).where(Delivery.alert_id == alert_id).order_by(Delivery.id)
    )
    notifications = [
        NotificationPublic(
            audience=d.audience,
            target=redact(d.target),
            title=d.title,
            state=d.state,
            attempts=d.attempts,
            created_at=local_time(d.created_at, zone),
            sent_at=local_time(d.sent_at, zone),
            last_error=d.last_error,
        )
        for d in deliveries
    ]
    return AlertDetail(**alert_document(alert, home), history=history, notifications=notifications)


@router.get("/{alert_id}/window")
def get_window(alert_id: int, session: SessionDep, scope: ScopeDep) -> AccelWindowPublic:
    """The accelerometer window the edge sent with the alert's newest wearable fall event."""
    alert, home = visible_alert(session, scope, alert_id)
    window = session.scalars(
        select(EventRow.window)
        .where(EventRow.alert_id == alert.id, EventRow.window.is_not(None))
        .order_by(EventRow.id.desc())
        .limit(1)
    ).first()
    if window is None:
        raise AlertNotFound("this alert has no accelerometer window", alert_id=alert_id)
    start = window["start"]
    if isinstance(start, int | float):
        start = local_time(start, ZoneInfo(home.timezone))
    return AccelWindowPublic(alert=alert.id, **{**window, "start": start})


def _public(update: AlertUpdate) -> AlertPublic:
    return AlertPublic(**update.alert)


def _allowed(session: Session, scope: Scope, alert_id: int) -> str:
    """Who acts, once they may: the alert must be theirs to see (else 404), and their role
    one that acts (else 403)."""
    visible_alert(session, scope, alert_id)
    scope.require_action()
    return scope.name


@router.post("/{alert_id}/acknowledge")
async def acknowledge(alert_id: int, hub: HubDep, scope: ScopeDep) -> AlertPublic:
    """Stops escalation; the home hears that help is coming."""
    return _public(
        await hub.act(lambda s: hub.manager.acknowledge(s, alert_id, _allowed(s, scope, alert_id)))
    )


@router.post("/{alert_id}/assign")
async def assign(alert_id: int, body: AssignBody, hub: HubDep, scope: ScopeDep) -> AlertPublic:
    return _public(
        await hub.act(
            lambda s: hub.manager.assign(s, alert_id, body.assignee, _allowed(s, scope, alert_id))
        )
    )


@router.post("/{alert_id}/comment")
async def comment(alert_id: int, body: CommentBody, hub: HubDep, scope: ScopeDep) -> AlertPublic:
    return _public(
        await hub.act(
            lambda s: hub.manager.comment(s, alert_id, body.text, _allowed(s, scope, alert_id))
        )
    )


@router.post("/{alert_id}/resolve")
async def resolve(alert_id: int, body: ResolveBody, hub: HubDep, scope: ScopeDep) -> AlertPublic:
    return _public(
        await hub.act(
            lambda s: hub.manager.resolve(
                s, alert_id, body.outcome, _allowed(s, scope, alert_id), body.note
            )
        )
    )
