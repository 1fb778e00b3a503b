"""Units (a wing, a floor) of an institution, and the nurse station's floor view of one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from sqlalchemy.orm import Session

from hub.floor import floor_view
from hub.places import add_unit
from hub.ward_queries import visible_unit

from ..audit import audit_read
from ..deps import ClockDep, HubDep, ScopeDep, SessionDep
from ..params import MAX_INT64
from ..routing import LimitedJsonRoute
from ..ward_schemas import UnitCreate, UnitPublic

router = APIRouter(prefix="/units", tags=["units"], route_class=LimitedJsonRoute)
UnitId = Annotated[int, Path(ge=1, le=MAX_INT64, description="the unit's id")]


@router.post("", status_code=201)
async def post_unit(body: UnitCreate, hub: HubDep, scope: ScopeDep) -> UnitPublic:
    scope.require_admin()

    def change(session: Session) -> UnitPublic:
        unit = add_unit(
            session, body.institution, body.name, rounds_every_s=body.rounds_every_s,
            rounds_from=body.rounds_from, rounds_until=body.rounds_until,
        )  # fmt: skip
        return UnitPublic(
            id=unit.id, institution=unit.institution_id, name=unit.name,
            rounds_every_s=unit.rounds_every_s, rounds_from=unit.rounds_from,
            rounds_until=unit.rounds_until,
        )  # fmt: skip

    return await hub.act(change)


@router.get("/{unit_id}/floor")
def get_floor(
    request: Request, unit_id: UnitId, session: SessionDep, scope: ScopeDep, clock: ClockDep
) -> dict[str, Any]:
    """Rooms and beds with their state now, the unit's open alerts (``alerts``, with room
    and bed) and tonight's rounds per room (hub/floor.py). A caregiver of the institution
    sees the rooms of her shift only."""
    unit, rooms = visible_unit(session, scope, unit_id)
    floor = floor_view(session, unit, rooms=rooms, now=clock())
    residents = {b["resident"] for r in floor["rooms"] for b in r["beds"] if b["resident"]}
    audit_read(request, scope, residents)
    return floor
