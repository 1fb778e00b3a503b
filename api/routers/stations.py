"""Stations: the community eldercare stations and where their alerts are pushed."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from hub import queries
from hub.errors import DeliveryError
from hub.outbound import check_target, redact
from hub.registry import save_station
from hub.schema import Station

from ..deps import HubDep, NewId, ScopeDep, SessionDep
from ..routing import LimitedJsonRoute
from ..schemas import StationCreate, StationPublic

router = APIRouter(prefix="/stations", tags=["stations"], route_class=LimitedJsonRoute)


def public(station: Station) -> StationPublic:
    return StationPublic(
        id=station.id,
        name=station.name,
        address=station.address,
        phone=station.phone,
        notify=[redact(target) for target in station.notify],
    )


@router.get("")
def list_stations(session: SessionDep, scope: ScopeDep) -> list[StationPublic]:
    return [public(station) for station in queries.visible_stations(session, scope)]


@router.get("/{station_id}")
def get_station(station_id: str, session: SessionDep, scope: ScopeDep) -> StationPublic:
    station = queries.visible_station(session, scope, station_id)
    if station is None:
        raise HTTPException(404, f"no station {station_id!r}")
    return public(station)


@router.put("/{station_id}")
async def put_station(
    station_id: NewId, body: StationCreate, hub: HubDep, scope: ScopeDep
) -> StationPublic:
    scope.require_admin()
    for target in body.notify:
        try:
            check_target(target)
        except DeliveryError as exc:
            raise HTTPException(422, f"notify: {exc}") from exc
    station = await hub.act(
        lambda session: save_station(
            session,
            station_id,
            name=body.name,
            address=body.address,
            phone=body.phone,
            notify=body.notify,
        )
    )
    return public(station)
