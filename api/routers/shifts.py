"""Shifts: which caregiver is on duty for which rooms of an institution, and when. The
head nurse (or an admin) makes the rota; a caregiver sees her own shifts."""

from __future__ import annotations

import time
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.accounts import Forbidden, Scope
from hub.schema import Institution, Shift, User
from hub.shifts import rooms_of, save_shift
from hub.views import in_zone, local_time
from hub.ward_queries import visible_institution

from ..deps import HubDep, ScopeDep, SessionDep
from ..params import MAX_INT64
from ..routing import LimitedJsonRoute
from ..ward_schemas import ShiftCreate, ShiftPublic

router = APIRouter(prefix="/shifts", tags=["shifts"], route_class=LimitedJsonRoute)
ShiftId = Annotated[int, Path(ge=1, le=MAX_INT64, description="the shift's id")]


def public(session: Session, shift: Shift, now: float) -> ShiftPublic:
    institution = session.get(Institution, shift.institution_id)
    tz = ZoneInfo(institution.timezone if institution is not None else "UTC")
    user = session.get(User, shift.username)
    return ShiftPublic(
        id=shift.id,
        institution=shift.institution_id,
        caregiver=shift.username,
        caregiver_name=user.name if user is not None else None,
        starts_at=local_time(shift.starts_at, tz),
        ends_at=local_time(shift.ends_at, tz),
        rooms=sorted(rooms_of(shift)),
        on_duty=shift.starts_at <= now < shift.ends_at,
    )


@router.get("")
def list_shifts(
    session: SessionDep,
    scope: ScopeDep,
    institution: str | None = None,
    current: Annotated[bool, Query(description="only the shifts on now")] = False,
) -> list[ShiftPublic]:
    """The shifts of the institutions she sees, newest first (a caregiver: her own)."""
    now = time.time()
    query = select(Shift).order_by(Shift.starts_at.desc(), Shift.id.desc()).limit(500)
    if institution is not None:
        query = query.where(Shift.institution_id == institution)
    if current:
        query = query.where(Shift.starts_at <= now, Shift.ends_at > now)
    if scope.role == "caregiver":
        query = query.where(Shift.username == scope.username)
    shifts = [s for s in session.scalars(query) if scope.sees_station(s.institution_id)]
    return [public(session, shift, now) for shift in shifts]


def _may_plan(session: Session, scope: Scope, institution_id: str) -> ZoneInfo:
    """The institution's zone, once she may plan its shifts."""
    if scope.role not in ("admin", "head_nurse"):
        raise Forbidden("only a head nurse or an admin plans shifts")
    return ZoneInfo(visible_institution(session, scope, institution_id).timezone)


def _instants(body: ShiftCreate, zone: ZoneInfo) -> dict[str, float]:
    """A time without an offset is the institution's wall clock, as the head nurse means it."""
    return {
        "starts_at": in_zone(body.starts_at, zone).timestamp(),
        "ends_at": in_zone(body.ends_at, zone).timestamp(),
    }


@router.post("", status_code=201)
async def post_shift(body: ShiftCreate, hub: HubDep, scope: ScopeDep) -> ShiftPublic:
    def change(session: Session) -> ShiftPublic:
        zone = _may_plan(session, scope, body.institution)
        shift = save_shift(
            session, body.institution, username=body.caregiver,
            **_instants(body, zone), rooms=body.rooms,
        )  # fmt: skip
        return public(session, shift, time.time())

    return await hub.act(change)


@router.put("/{shift_id}")
async def put_shift(
    shift_id: ShiftId, body: ShiftCreate, hub: HubDep, scope: ScopeDep
) -> ShiftPublic:
    """Change a shift (end it early: ``ends_at`` now)."""

    def change(session: Session) -> ShiftPublic:
        zone = _may_plan(session, scope, body.institution)
        shift = save_shift(
            session, body.institution, username=body.caregiver,
            **_instants(body, zone), rooms=body.rooms, shift_id=shift_id,
        )  # fmt: skip
        return public(session, shift, time.time())

    return await hub.act(change)
