"""Rooms of a unit."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from hub.places import add_room

from ..deps import HubDep, ScopeDep
from ..routing import LimitedJsonRoute
from ..ward_schemas import RoomCreate, RoomPublic

router = APIRouter(prefix="/rooms", tags=["rooms"], route_class=LimitedJsonRoute)


@router.post("", status_code=201)
async def post_room(body: RoomCreate, hub: HubDep, scope: ScopeDep) -> RoomPublic:
    scope.require_admin()

    def change(session: Session) -> RoomPublic:
        room = add_room(session, body.unit, body.name)
        return RoomPublic(id=room.id, unit=room.unit_id, name=room.name)

    return await hub.act(change)
