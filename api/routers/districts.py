"""Districts and counties (区/县) of a city, and which stations report to each."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlalchemy.orm import Session

from hub import districts
from hub.accounts import Scope
from hub.registry import NotFound
from hub.schema import District, Station

from ..area_schemas import DistrictCreate, DistrictPublic, DistrictUpdate
from ..deps import HubDep, NewId, ScopeDep, SessionDep
from ..routing import LimitedJsonRoute

router = APIRouter(prefix="/districts", tags=["districts"], route_class=LimitedJsonRoute)


def public(session: Session, district: District, scope: Scope) -> DistrictPublic:
    below = districts.stations_below(session, "district", [district.id])
    seen = sorted(s for s in below if scope.sees_station(s))
    return DistrictPublic(id=district.id, name=district.name, city=district.city_id, stations=seen)


@router.get("")
def list_districts(session: SessionDep, scope: ScopeDep) -> list[DistrictPublic]:
    return [public(session, d, scope) for d in districts.visible_districts(session, scope)]


@router.get("/{district_id}")
def get_district(district_id: str, session: SessionDep, scope: ScopeDep) -> DistrictPublic:
    for district in districts.visible_districts(session, scope):
        if district.id == district_id:
            return public(session, district, scope)
    raise HTTPException(404, f"no district {district_id!r}")


@router.put("/{district_id}")
async def put_district(
    district_id: NewId, body: DistrictCreate, hub: HubDep, scope: ScopeDep
) -> DistrictPublic:
    """Create or replace; the city must exist (404)."""
    scope.require_admin()

    def save(session: Session) -> DistrictPublic:
        district = districts.save_district(session, district_id, name=body.name, city=body.city)
        return public(session, district, scope)

    return await hub.act(save)


@router.patch("/{district_id}")
async def patch_district(
    district_id: str, body: DistrictUpdate, hub: HubDep, scope: ScopeDep
) -> DistrictPublic:
    scope.require_admin()

    def change(session: Session) -> DistrictPublic:
        district = session.get(District, district_id)
        if district is None:
            raise NotFound(f"no district {district_id!r}")
        district = districts.save_district(
            session,
            district_id,
            name=body.name or district.name,
            city=body.city or district.city_id,
        )
        return public(session, district, scope)

    return await hub.act(change)


@router.delete("/{district_id}", status_code=204)
async def delete_district(district_id: str, hub: HubDep, scope: ScopeDep) -> None:
    """Only a district without stations (409 otherwise)."""
    scope.require_admin()
    await hub.act(lambda session: districts.delete_district(session, district_id))


@router.put("/{district_id}/stations/{station_id}")
async def place_station(
    district_id: str, station_id: str, hub: HubDep, scope: ScopeDep
) -> DistrictPublic:
    """The station reports to this district from now on (it leaves its former one)."""
    scope.require_admin()

    def place(session: Session) -> DistrictPublic:
        districts.place_station(session, station_id, district_id)
        district = session.get(District, district_id)
        assert district is not None  # place_station checked it
        return public(session, district, scope)

    return await hub.act(place)


@router.delete("/{district_id}/stations/{station_id}", status_code=204)
async def remove_station(district_id: str, station_id: str, hub: HubDep, scope: ScopeDep) -> None:
    scope.require_admin()

    def remove(session: Session) -> None:
        station = session.get(Station, station_id)
        if station is None or station.district_id != district_id:
            raise NotFound(f"station {station_id!r} is not in district {district_id!r}")
        station.district_id = None

    await hub.act(remove)
