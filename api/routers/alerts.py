"""Alerts: the station's queue, one alert's story, and what dispatchers do with it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from hub.alerts import AlertNotFound, AlertUpdate
from hub.schema import Alert, AlertChange, Home
from hub.views import alert_document, local_time

from ..deps import ActorDep, HubDep, SessionDep
from ..schemas import (
    AlertChangePublic,
    AlertDetail,
    AlertPublic,
    AssignBody,
    CommentBody,
    ResolveBody,
)

router = APIRouter(prefix="/alerts", tags=["alerts"])

StateFilter = Literal[
    "open", "active", "cleared", "acknowledged", "unacknowledged", "resolved", "all"
]
Severity = Literal["critical", "major", "minor", "warning"]
SEVERITY_ORDER = case(
    {"critical": 0, "major": 1, "minor": 2, "warning": 3}, value=Alert.severity, else_=4
)


@router.get("")
def list_alerts(
    session: SessionDep,
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
def get_alert(alert_id: int, session: SessionDep) -> AlertDetail:
    return detail(session, alert_id)


def detail(session: Session, alert_id: int) -> AlertDetail:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertNotFound("no such alert", alert_id=alert_id)
    home = session.get(Home, alert.home_id)
    assert home is not None
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
    return AlertDetail(**alert_document(alert, home), history=history)


def _public(update: AlertUpdate) -> AlertPublic:
    return AlertPublic(**update.alert)


@router.post("/{alert_id}/acknowledge")
async def acknowledge(alert_id: int, hub: HubDep, actor: ActorDep) -> AlertPublic:
    """Stops escalation; the home hears that help is coming."""
    return _public(await hub.act(lambda s: hub.manager.acknowledge(s, alert_id, actor)))


@router.post("/{alert_id}/assign")
async def assign(alert_id: int, body: AssignBody, hub: HubDep, actor: ActorDep) -> AlertPublic:
    return _public(await hub.act(lambda s: hub.manager.assign(s, alert_id, body.assignee, actor)))


@router.post("/{alert_id}/comment")
async def comment(alert_id: int, body: CommentBody, hub: HubDep, actor: ActorDep) -> AlertPublic:
    return _public(await hub.act(lambda s: hub.manager.comment(s, alert_id, body.text, actor)))


@router.post("/{alert_id}/resolve")
async def resolve(alert_id: int, body: ResolveBody, hub: HubDep, actor: ActorDep) -> AlertPublic:
    return _public(
        await hub.act(lambda s: hub.manager.resolve(s, alert_id, body.outcome, actor, body.note))
    )
