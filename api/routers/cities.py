"""Cities (市): the top of the supervision, city -> district -> station (hub.districts)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlalchemy import select

from hub import districts
from hub.schema import City, District

from ..area_schemas import CityCreate, CityPublic
from ..deps import HubDep, NewId, ScopeDep, SessionDep
from ..routing import LimitedJsonRoute

router = APIRouter(prefix="/cities", tags=["cities"], route_class=LimitedJsonRoute)


def public(city: City, district_ids: list[str]) -> CityPublic:
    return CityPublic(id=city.id, name=city.name, districts=district_ids)


@router.get("")
def list_cities(session: SessionDep, scope: ScopeDep) -> list[CityPublic]:
    """The cities the caller sees: all for the admin, their own for a city account, the
    cities of their districts or stations for everyone else."""
    seen = districts.visible_districts(session, scope)
    return [
        public(c, [d.id for d in seen if d.city_id == c.id])
        for c in districts.visible_cities(session, scope)
    ]


@router.put("/{city_id}")
async def put_city(city_id: NewId, body: CityCreate, hub: HubDep, scope: ScopeDep) -> CityPublic:
    scope.require_admin()

    def save(session):  # type: ignore[no-untyped-def]
        city = districts.save_city(session, city_id, name=body.name)
        ids = session.scalars(select(District.id).where(District.city_id == city_id)).all()
        return public(city, list(ids))

    return await hub.act(save)


@router.delete("/{city_id}", status_code=204)
async def delete_city(city_id: str, hub: HubDep, scope: ScopeDep) -> None:
    """Only a city without districts (409 otherwise)."""
    scope.require_admin()
    await hub.act(lambda session: districts.delete_city(session, city_id))


@router.get("/{city_id}")
def get_city(city_id: str, session: SessionDep, scope: ScopeDep) -> CityPublic:
    for city in list_cities(session, scope):
        if city.id == city_id:
            return city
    raise HTTPException(404, f"no city {city_id!r}")
