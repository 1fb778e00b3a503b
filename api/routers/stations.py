"""Stations: the community eldercare stations and where their alerts are pushed."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlalchemy.orm import Session

from hub import channels, queries
from hub.errors import DeliveryError
from hub.outbound import check_target, redact
from hub.registry import NotFound, save_station
from hub.schema import Station

from ..deps import HubDep, NewId, ScopeDep, SessionDep
from ..errors import Unprocessable
from ..routing import LimitedJsonRoute
from ..schemas import StationCreate, StationPublic, StationUpdate

router = APIRouter(prefix="/stations", tags=["stations"], route_class=LimitedJsonRoute)


def public(
    station: Station, problems: list[channels.ChannelProblem] | None = None
) -> StationPublic:
    return StationPublic(
        id=station.id,
        name=station.name,
        address=station.address,
        phone=station.phone,
        notify=[redact(target) for target in station.notify],
        channel_problems=[p.as_dict() for p in problems or ()],
    )


@router.get("")
def list_stations(session: SessionDep, scope: ScopeDep, hub: HubDep) -> list[StationPublic]:
    targets = hub.settings.contact_targets
    return [
        public(station, channels.problems(session, targets, station.id))
        for station in queries.visible_stations(session, scope)
    ]


@router.get("/{station_id}")
def get_station(
    station_id: str, session: SessionDep, scope: ScopeDep, hub: HubDep
) -> StationPublic:
    station = queries.visible_station(session, scope, station_id)
    if station is None:
        raise HTTPException(404, f"no station {station_id!r}")
    return public(station, channels.problems(session, hub.settings.contact_targets, station_id))


def _checked(targets: list[str]) -> None:
    problems = []
    for index, target in enumerate(targets):
        try:
            check_target(target)
        except DeliveryError as exc:
            # Only the reason: the target itself may hold a secret, and loc says which.
            problems.append(
                {"loc": ["body", "notify", index], "msg": exc.reason, "type": "value_error"}
            )
    if problems:
        raise Unprocessable(problems)


@router.put("/{station_id}")
async def put_station(
    station_id: NewId, body: StationCreate, hub: HubDep, scope: ScopeDep
) -> StationPublic:
    scope.require_admin()
    _checked(body.notify)
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


@router.patch("/{station_id}")
async def patch_station(
    station_id: str, body: StationUpdate, hub: HubDep, scope: ScopeDep
) -> StationPublic:
    """Change some fields; without ``notify`` the targets (whose secrets the API never
    shows back) are kept, so a page can edit a station without knowing them."""
    scope.require_admin()
    if body.notify is not None:
        _checked(body.notify)

    def change(session: Session) -> Station:
        station = session.get(Station, station_id)
        if station is None:
            raise NotFound(f"no station {station_id!r}")
        changes = body.model_dump(exclude_unset=True)
        for field, value in changes.items():
            if value is None and field in ("name", "notify"):
                continue  # a station keeps a name; null targets mean "leave them"
            setattr(station, field, list(value) if field == "notify" else value)
        return station

    return public(await hub.act(change))
