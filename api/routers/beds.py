"""Beds, who sleeps in each, and the history of who slept where.

Assigning a bed rewrites the resident's home config (its ``place``, and its station the
institution) and queues it for the edge, so that the bed of the assignment and the place of
the config are always the same (hub/places.py)."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Request
from sqlalchemy.orm import Session

from hub.places import add_bed, assignments, get_bed
from hub.registry import move_into_bed
from hub.schema import Institution
from hub.views import local_time
from hub.ward_queries import visible_bed

from ..audit import audit_read
from ..deps import HubDep, ScopeDep, SessionDep
from ..params import MAX_INT64
from ..routing import LimitedJsonRoute
from ..ward_schemas import AssignmentPublic, BedCreate, BedPublic, BedResidentUpdate

router = APIRouter(prefix="/beds", tags=["beds"], route_class=LimitedJsonRoute)
BedId = Annotated[int, Path(ge=1, le=MAX_INT64, description="the bed's id")]


@router.post("", status_code=201)
async def post_bed(body: BedCreate, hub: HubDep, scope: ScopeDep) -> BedPublic:
    scope.require_admin()

    def change(session: Session) -> BedPublic:
        bed = add_bed(session, body.room, body.name)
        return BedPublic(id=bed.id, room=bed.room_id, name=bed.name, resident=None)

    return await hub.act(change)


@router.put("/{bed_id}/resident")
async def put_resident(
    bed_id: BedId, body: BedResidentUpdate, hub: HubDep, scope: ScopeDep
) -> BedPublic:
    """She moves into this bed (from her old one, if any), or (null) the bed is freed."""
    scope.require_admin()
    prefix = hub.settings.prefix

    def change(session: Session) -> BedPublic:
        bed = get_bed(session, bed_id)
        move_into_bed(session, bed, body.resident, prefix=prefix, actor=scope.name)
        session.flush()
        return BedPublic(id=bed.id, room=bed.room_id, name=bed.name, resident=bed.home_id)

    return await hub.act(change)


@router.get("/{bed_id}/history")
def bed_history(
    request: Request, bed_id: BedId, session: SessionDep, scope: ScopeDep
) -> list[AssignmentPublic]:
    """Who slept in this bed, from when to when, and who assigned her."""
    bed, _room, unit = visible_bed(session, scope, bed_id)
    institution = session.get(Institution, unit.institution_id)
    tz = ZoneInfo(institution.timezone if institution is not None else "UTC")
    rows = assignments(session, bed_id=bed.id)
    audit_read(request, scope, {row.home_id for row in rows})
    return [
        AssignmentPublic(bed=row.bed_id, resident=row.home_id, since=local_time(row.since, tz),
                         until=local_time(row.until, tz), by=row.by)
        for row in rows
    ]  # fmt: skip
