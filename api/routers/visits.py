"""Visits (探访): what was recorded, today's due and overdue visits, and recording one.

A visit that reaches her resolves her open ``visit_overdue`` alert as visited
(hub/visit_watch.py); the alert's change goes out on the live feed like any other, and the
visit itself as a frame of type ``visit``.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy.orm import Session

from hub import queries, visits
from hub.feed import FeedMessage
from hub.schema import Visit
from hub.visit_watch import resolve_on_visit

from ..audit import audit_read
from ..care_schemas import VisitCreate, VisitPlanPublic, VisitPublic
from ..care_scope import staff_resident, visible_resident
from ..deps import ClockDep, HubDep, ScopeDep, SessionDep
from ..params import MAX_INT64, Day, Moment
from ..routing import LimitedJsonRoute
from .visit_plans import plan_public

router = APIRouter(prefix="/visits", tags=["visits"], route_class=LimitedJsonRoute)
VisitId = Annotated[int, Path(ge=1, le=MAX_INT64, description="the visit's id")]


@router.get("")
def list_visits(
    request: Request,
    session: SessionDep,
    scope: ScopeDep,
    resident: str | None = None,
    station: str | None = None,
    since: Annotated[Moment | None, Query(description="visited at or after")] = None,
    until: Annotated[Moment | None, Query(description="visited before")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[VisitPublic]:
    """Newest first; a family sees its resident's."""
    homes = {h.id: h for h in queries.visible_homes(session, scope, station)}
    if resident is not None:
        homes = {resident: homes[resident]} if resident in homes else {}
    found = visits.visits_of(
        session, homes,
        since=since.timestamp() if since else None,
        until=until.timestamp() if until else None,
        limit=limit,
    )  # fmt: skip
    audit_read(request, scope, {v.home_id for v in found})
    return [VisitPublic(**visits.visit_document(v, homes[v.home_id])) for v in found]


@router.get("/due")
def due_visits(
    request: Request,
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    station: str | None = None,
    day: Annotated[
        Day | None, Query(description="the day (default today), home's calendar")
    ] = None,
) -> list[VisitPlanPublic]:
    """Today's visits: due today or overdue (a day passed without reaching her), overdue
    first. A visit that reached her moves her next one to a later day, off this list."""
    now = clock()
    homes = {h.id: h for h in queries.visible_homes(session, scope, station)}
    shown = []
    for due, home in visits.due_visits(session, {h.station_id for h in homes.values()}):
        if home.id not in homes:
            continue
        today = day or datetime.fromtimestamp(now, ZoneInfo(home.timezone)).date()
        if due.state_on(today) != "planned":
            shown.append(plan_public(session, due.plan, home, now))
    audit_read(request, scope, (p.resident for p in shown))
    return sorted(shown, key=lambda p: (p.state != "overdue", p.due_day, p.resident))


@router.get("/{visit_id}")
def get_visit(
    request: Request, visit_id: VisitId, session: SessionDep, scope: ScopeDep
) -> VisitPublic:
    visit = session.get(Visit, visit_id)
    if visit is None:
        raise visits.VisitNotFound(f"no visit {visit_id}")
    try:
        home = visible_resident(session, scope, visit.home_id)
    except queries.NotFound:
        raise visits.VisitNotFound(f"no visit {visit_id}") from None
    audit_read(request, scope, [home.id])
    return VisitPublic(**visits.visit_document(visit, home))


@router.post("", status_code=201)
async def record_visit(
    body: VisitCreate, hub: HubDep, scope: ScopeDep, clock: ClockDep
) -> VisitPublic:
    """Record a visit or an attempt (``reached``: false) by the station's staff, now."""
    now = clock()

    def record(session: Session) -> list[Any]:
        home = staff_resident(session, scope, body.resident)
        visit = visits.record_visit(
            session, home, at=now, visitor=body.visitor or scope.name, recorded_by=scope.name,
            method=body.method, reached=body.reached, checks=body.checks, notes=body.notes,
            follow_up=body.follow_up,
        )  # fmt: skip
        closed = resolve_on_visit(session, hub.manager, visit, scope.name)
        # hub.act publishes the AlertUpdates of a list it is given; the visit goes first.
        return [VisitPublic(**visits.visit_document(visit, home)), *closed]

    recorded: VisitPublic = (await hub.act(record))[0]
    # Other consoles of the station take her off their "today" too; her family's page reloads.
    hub.feed.publish(
        FeedMessage(
            "visit", recorded.station, recorded.resident, recorded.model_dump(), time.time()
        )
    )
    return recorded
