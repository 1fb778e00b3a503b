"""Who may see and change what of the care operations (visits, service orders).

The rules of the rest of the API: outside someone's scope a station, resident, visit or
order does not exist (404); inside it, a role that may not do the thing gets 403.
Station-managed lists (visit tiers, service types, providers) are changed by an admin or a
dispatcher of the station; visits and the station's side of orders by its staff.
"""

from __future__ import annotations

from fastapi import HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import queries
from hub.accounts import Forbidden, Scope
from hub.schema import Home, Station


def station_ids(session: Session, scope: Scope, *, family: bool = False) -> set[str]:
    """The stations whose lists this user reads; a family's are its residents' stations
    (``family``), or none."""
    if scope.sees_everything:
        return set(session.scalars(select(Station.id)))
    if scope.role == "family":
        if not family:
            return set()
        homes = queries.visible_homes(session, scope)
        return {home.station_id for home in homes}
    return set(scope.stations)


def require_station_manager(scope: Scope, station_id: str) -> None:
    if not scope.sees_station(station_id):
        raise HTTPException(404, f"no station {station_id!r}")
    if scope.role not in ("admin", "dispatcher"):
        raise Forbidden(f"a {scope.role} account cannot change the station's lists")


def visible_resident(session: Session, scope: Scope, resident_id: str) -> Home:
    return queries.visible_home(session, scope, resident_id)


def staff_resident(session: Session, scope: Scope, resident_id: str) -> Home:
    """The resident, for an action only the station's staff take (404, then 403)."""
    home = queries.visible_home(session, scope, resident_id)
    scope.require_action()
    return home
