"""Night rounds: a caregiver or nurse records that she looked into a room; the floor view
shows each room's rounds of the night and the missed ones (hub/rounds.py)."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.accounts import Forbidden
from hub.rounds import record_round
from hub.schema import Institution, RoundVisit
from hub.views import local_time
from hub.ward_queries import visible_room

from ..deps import ClockDep, HubDep, ScopeDep, SessionDep
from ..params import MAX_INT64
from ..routing import LimitedJsonRoute
from ..ward_schemas import RoundCreate, RoundPublic

router = APIRouter(prefix="/rounds", tags=["rounds"], route_class=LimitedJsonRoute)


def _public(visit: RoundVisit, tz: ZoneInfo) -> RoundPublic:
    return RoundPublic(
        id=visit.id, room=visit.room_id, at=local_time(visit.at, tz), by=visit.by, note=visit.note
    )


def _zone(session: Session, institution_id: str) -> ZoneInfo:
    institution = session.get(Institution, institution_id)
    return ZoneInfo(institution.timezone if institution is not None else "UTC")


@router.post("", status_code=201)
async def post_round(
    body: RoundCreate, hub: HubDep, scope: ScopeDep, clock: ClockDep
) -> RoundPublic:
    """She looked into the room now (the homes' clock, as the floor view counts)."""

    def change(session: Session) -> RoundPublic:
        _room, unit = visible_room(session, scope, body.room)
        if not scope.acts_on_alerts:
            raise Forbidden(f"a {scope.role} account does not make rounds")
        visit = record_round(session, body.room, by=scope.name, at=clock(), note=body.note)
        return _public(visit, _zone(session, unit.institution_id))

    return await hub.act(change)


@router.get("")
def list_rounds(
    session: SessionDep,
    scope: ScopeDep,
    room: Annotated[int, Query(ge=1, le=MAX_INT64)],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[RoundPublic]:
    """The room's rounds, newest first."""
    _room, unit = visible_room(session, scope, room)
    tz = _zone(session, unit.institution_id)
    query = (
        select(RoundVisit)
        .where(RoundVisit.room_id == room)
        .order_by(RoundVisit.at.desc())
        .limit(limit)
    )
    return [_public(visit, tz) for visit in session.scalars(query)]
