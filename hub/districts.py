"""Cities, their districts, and the stations each district oversees (city -> district/county ->
street or community station, as the civil-affairs plan supervises them).

A ``district`` account oversees the stations of its districts, a ``city`` account those of
every district of its cities. Which stations those are is worked out each time a session is
looked up (:func:`scope_of`), so moving a station to another district changes who sees it at
once, with no account to edit.

>>> sorted(below({"d1": "c1", "d2": "c1", "d3": "c2"}, {"s1": "d1", "s2": "d2", "s3": "d3",
...        "s4": None}, "city", ["c1"]))
['s1', 's2']
>>> sorted(below({"d1": "c1"}, {"s1": "d1", "s2": None}, "district", ["d1", "nowhere"]))
['s1']
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .accounts import AREA_ROLES, Scope
from .errors import HubError
from .registry import NotFound
from .schema import City, District, Station, User


class AreaConflict(HubError):
    """A change that would leave a district or a station pointing nowhere (409)."""

    status = 409


@dataclass(frozen=True)
class Area:
    """A city or a district as the reports name it, with the stations below it."""

    level: str  # station | district | city
    id: str
    name: str
    parent: str | None
    stations: tuple[str, ...]


def below(
    district_city: Mapping[str, str],
    station_district: Mapping[str, str | None],
    role: str,
    areas: Collection[str],
) -> frozenset[str]:
    """The stations under ``areas`` (district ids for a district account, city ids for a
    city account); pure, for the doctest and :func:`stations_below`."""
    wanted = set(areas)
    if role == "city":
        wanted = {d for d, city in district_city.items() if city in wanted}
    elif role != "district":
        return frozenset()
    return frozenset(s for s, d in station_district.items() if d is not None and d in wanted)


def stations_below(session: Session, role: str, areas: Collection[str]) -> frozenset[str]:
    district_city = {d: c for d, c in session.execute(select(District.id, District.city_id))}
    station_district = {s: d for s, d in session.execute(select(Station.id, Station.district_id))}
    return below(district_city, station_district, role, areas)


def scope_of(session: Session, user: User, now: float | None = None) -> Scope:
    """The user's scope; a district or city account's stations are those below its areas,
    an institution's caregiver's residents those of her shift at ``now``."""
    below = None
    if user.role in AREA_ROLES:
        below = stations_below(session, user.role, user.areas or [])
    return Scope.of(user, session, now, below=below)


def save_city(session: Session, city_id: str, *, name: str) -> City:
    city = session.get(City, city_id)
    if city is None:
        city = City(id=city_id)
        session.add(city)
    city.name = name
    return city


def save_district(session: Session, district_id: str, *, name: str, city: str) -> District:
    if session.get(City, city) is None:
        raise NotFound(f"no city {city!r}; create the city first")
    district = session.get(District, district_id)
    if district is None:
        district = District(id=district_id)
        session.add(district)
    district.name, district.city_id = name, city
    return district


def place_station(session: Session, station_id: str, district_id: str | None) -> Station:
    """Put a station under a district (None: under none)."""
    station = session.get(Station, station_id)
    if station is None:
        raise NotFound(f"no station {station_id!r}")
    if district_id is not None and session.get(District, district_id) is None:
        raise NotFound(f"no district {district_id!r}; create the district first")
    station.district_id = district_id
    return station


def delete_district(session: Session, district_id: str) -> None:
    district = session.get(District, district_id)
    if district is None:
        raise NotFound(f"no district {district_id!r}")
    placed = session.scalars(select(Station.id).where(Station.district_id == district_id)).all()
    if placed:
        raise AreaConflict(f"district {district_id!r} still has stations: {sorted(placed)}")
    session.delete(district)


def delete_city(session: Session, city_id: str) -> None:
    city = session.get(City, city_id)
    if city is None:
        raise NotFound(f"no city {city_id!r}")
    held = session.scalars(select(District.id).where(District.city_id == city_id)).all()
    if held:
        raise AreaConflict(f"city {city_id!r} still has districts: {sorted(held)}")
    session.delete(city)


def visible_cities(session: Session, scope: Scope) -> list[City]:
    cities = session.scalars(select(City).order_by(City.id)).all()
    if scope.sees_everything:
        return list(cities)
    mine = {d.city_id for d in visible_districts(session, scope)}
    return [c for c in cities if c.id in mine]


def visible_districts(session: Session, scope: Scope) -> list[District]:
    """The admin: all. Anyone else: the districts of the stations they see (a city
    account sees its cities' districts, a district account its own; staff their stations')."""
    districts = session.scalars(select(District).order_by(District.id)).all()
    if scope.sees_everything:
        return list(districts)
    if scope.role == "city":
        return [d for d in districts if d.city_id in scope.areas]
    if scope.role == "district":
        return [d for d in districts if d.id in scope.areas]
    placed = session.scalars(
        select(Station.district_id).where(Station.id.in_(scope.stations or ()))
    ).all()
    return [d for d in districts if d.id in set(placed)]


def areas_for(session: Session, scope: Scope) -> list[Area]:
    """Every station, district and city the scope sees, each with the stations below it
    that the scope sees (a city's figures are those of its visible stations only)."""
    stations = session.scalars(select(Station).order_by(Station.id)).all()
    seen = [s for s in stations if scope.sees_station(s.id)]
    out = [Area("station", s.id, s.name, s.district_id, (s.id,)) for s in seen]
    districts = visible_districts(session, scope)
    for d in districts:
        ids = tuple(s.id for s in seen if s.district_id == d.id)
        out.append(Area("district", d.id, d.name, d.city_id, ids))
    for c in visible_cities(session, scope):
        ids = tuple(
            s.id for s in seen for d in districts if s.district_id == d.id and d.city_id == c.id
        )
        out.append(Area("city", c.id, c.name, None, ids))
    return out
