"""Alerts: the station's queue, one alert's story, and what dispatchers do with it."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session

from contracts.alert import Severity
from hub import queries
from hub.accounts import Scope
from hub.alerts import REOPEN_WITHIN_S, AlertNotFound, AlertUpdate
from hub.feedback import STAFF_ONLY_ACTIONS
from hub.outbound import redact
from hub.queries import AlertOrder, AlertState
from hub.views import alert_document, as_seen_by, earlier_evidence, history_detail, local_time

from ..audit import audit_read
from ..deps import HubDep, ScopeDep, SessionDep
from ..params import AlertId, Moment, Offset
from ..routing import LimitedJsonRoute
from ..schemas import (
    AccelWindowPublic,
    AlertChangePublic,
    AlertDetail,
    AlertPublic,
    AssignBody,
    CommentBody,
    DeliverySummary,
    NotificationPublic,
    ReopenBody,
    ResolveBody,
)

router = APIRouter(prefix="/alerts", tags=["alerts"], route_class=LimitedJsonRoute)
# What the hub records of its own deliveries: for the station's staff.
DELIVERY_ACTIONS = frozenset({"no_channel", "channel_failing"})


@router.get("")
def list_alerts(
    request: Request,
    session: SessionDep,
    scope: ScopeDep,
    station: str | None = None,
    resident: str | None = None,
    state: AlertState = "open",
    severity: Annotated[list[Severity] | None, Query()] = None,
    kind: str | None = None,
    since: Annotated[Moment | None, Query(description="raised at or after")] = None,
    until: Annotated[Moment | None, Query(description="raised before")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Offset = 0,
    order: Annotated[
        AlertOrder,
        Query(
            description="need (the default): what needs a person first; newest: by when "
            "each began, newest first"
        ),
    ] = "need",
) -> list[AlertPublic]:
    """Open alerts first, what needs a person first: unacknowledged before acknowledged,
    then by severity, then active before cleared, then newest first;
    with ``order=newest`` by when each began, newest first (the family's past alerts)."""
    rows = queries.alerts_page(
        session,
        scope,
        station=station,
        resident=resident,
        state=state,
        severities=severity or (),
        kind=kind,
        since=since.timestamp() if since is not None else None,
        until=until.timestamp() if until is not None else None,
        limit=limit,
        offset=offset,
        order=order,
    )
    audit_read(request, scope, (home.id for _alert, home in rows))
    return [AlertPublic(**as_seen_by(alert_document(alert, home), scope)) for alert, home in rows]


@router.get("/{alert_id}")
def get_alert(
    request: Request, alert_id: AlertId, session: SessionDep, scope: ScopeDep
) -> AlertDetail:
    found = detail(session, scope, alert_id)
    audit_read(request, scope, [found.resident])
    return found


def detail(session: Session, scope: Scope, alert_id: int) -> AlertDetail:
    """The alert with its history; a family's history leaves out how the station tuned the
    home's limits after it (``adapted``, ``not_adapted``) and the state of the station's
    channels (``no_channel``, ``channel_failing``: targets, errors), and its notifications
    (and ``delivered``) are the family's own: not the station's pagers, their titles and
    errors, nor what its staff were sent."""
    alert, home = queries.visible_alert(session, scope, alert_id)
    zone = ZoneInfo(home.timezone)
    changes = queries.alert_history(session, alert_id)
    history = [
        AlertChangePublic(
            at=local_time(c.at, zone),
            actor=c.actor,
            action=c.action,
            detail=as_seen_by(history_detail(c, home), scope),  # a related event's evidence
        )
        for c in changes
        if scope.acts_on_alerts or c.action not in STAFF_ONLY_ACTIONS | DELIVERY_ACTIONS
    ]
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
        for d in queries.alert_deliveries(session, alert_id)
        # The station's channels are pager and phone URLs, and their errors: the staff's.
        if scope.acts_on_alerts or d.audience == "family"
    ]
    reopen_until = None
    if alert.resolved_at is not None and alert.resolved_by != "hub":
        reopen_until = local_time(alert.resolved_at + REOPEN_WITHIN_S, zone)
    return AlertDetail(
        **as_seen_by(alert_document(alert, home), scope),
        history=history,
        # The band's impact stays on the card once the radar's fall updated the alert.
        earlier_evidence=as_seen_by(earlier_evidence(alert, home, changes), scope),
        notifications=notifications,
        delivered=_delivered(notifications, history),
        has_window=queries.newest_window(session, alert.id) is not None,
        reopen_until=reopen_until,
    )


def _delivered(
    notifications: list[NotificationPublic], history: list[AlertChangePublic]
) -> dict[str, DeliverySummary]:
    """Per audience: what was actually sent, failed or is still trying, and whether nobody
    configured a channel for it (the ``no_channel`` of the history)."""
    found: dict[str, DeliverySummary] = {}
    for n in notifications:
        audience = "station" if n.audience == "paging" else n.audience
        summary = found.setdefault(audience, DeliverySummary())
        if n.state == "sent":
            summary.sent += 1
        elif n.state == "failed":
            summary.failed += 1
        else:
            summary.pending += 1
    for change in history:
        if change.action == "no_channel":
            audience = str(change.detail.get("audience"))
            found.setdefault(audience, DeliverySummary()).no_channel = True
    return found


@router.get("/{alert_id}/window")
def get_window(
    request: Request, alert_id: AlertId, session: SessionDep, scope: ScopeDep
) -> AccelWindowPublic:
    """The accelerometer window the edge sent with the alert's newest wearable fall event."""
    alert, home = queries.visible_alert(session, scope, alert_id)
    audit_read(request, scope, [home.id])
    window = queries.newest_window(session, alert.id)
    if window is None:
        raise AlertNotFound("this alert has no accelerometer window", alert_id=alert_id)
    start = window.get("start")
    if isinstance(start, int | float) and not isinstance(start, bool):
        start = local_time(start, ZoneInfo(home.timezone))
    try:
        return AccelWindowPublic.model_validate({**window, "alert": alert.id, "start": start})
    except ValidationError:  # a window an older hub stored without checking it
        raise AlertNotFound(
            "this alert's accelerometer window is unreadable", alert_id=alert_id
        ) from None


def _public(update: AlertUpdate) -> AlertPublic:
    return AlertPublic(**update.alert)


def _allowed(session: Session, scope: Scope, alert_id: int) -> str:
    """Who acts, once they may: the alert must be theirs to see (else 404), and their role
    one that acts (else 403)."""
    queries.visible_alert(session, scope, alert_id)
    scope.require_action()
    return scope.name


@router.post("/{alert_id}/acknowledge")
async def acknowledge(alert_id: AlertId, hub: HubDep, scope: ScopeDep) -> AlertPublic:
    """Stops escalation; the home hears that help is coming."""
    return _public(
        await hub.act(lambda s: hub.manager.acknowledge(s, alert_id, _allowed(s, scope, alert_id)))
    )


@router.post("/{alert_id}/assign")
async def assign(alert_id: AlertId, body: AssignBody, hub: HubDep, scope: ScopeDep) -> AlertPublic:
    return _public(
        await hub.act(
            lambda s: hub.manager.assign(s, alert_id, body.assignee, _allowed(s, scope, alert_id))
        )
    )


@router.post("/{alert_id}/comment")
async def comment(
    alert_id: AlertId, body: CommentBody, hub: HubDep, scope: ScopeDep
) -> AlertPublic:
    return _public(
        await hub.act(
            lambda s: hub.manager.comment(s, alert_id, body.text, _allowed(s, scope, alert_id))
        )
    )


@router.post("/{alert_id}/resolve")
async def resolve(
    alert_id: AlertId, body: ResolveBody, hub: HubDep, scope: ScopeDep
) -> AlertPublic:
    return _public(
        await hub.act(
            lambda s: hub.manager.resolve(
                s, alert_id, body.outcome, _allowed(s, scope, alert_id), body.note
            )
        )
    )


@router.post("/{alert_id}/reopen")
async def reopen(
    alert_id: AlertId, hub: HubDep, scope: ScopeDep, body: ReopenBody | None = None
) -> AlertPublic:
    """Open a resolved case again, within a day of its resolve (recorded in its history)."""
    note = body.note if body is not None else None
    return _public(
        await hub.act(lambda s: hub.manager.reopen(s, alert_id, _allowed(s, scope, alert_id), note))
    )
