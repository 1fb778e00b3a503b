"""Homes: their config (resident, devices, contacts), the edge's status, device status.

Saving a config (``PUT /homes/{id}``) publishes it, retained, to ``<prefix>/<home>/config``,
where the home's edge applies it live.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException
from sqlalchemy.orm import Session

from contracts.home import HomeConfig
from hub import queries
from hub.registry import save_home
from hub.schema import Home
from hub.views import local_time

from ..deps import HubDep, NewId, ScopeDep, SessionDep
from ..schemas import DevicePublic, HomePublic

router = APIRouter(prefix="/homes", tags=["homes"])


def public(home: Home) -> HomePublic:
    return HomePublic(
        id=home.id,
        station=home.station_id,
        resident_name=home.resident_name,
        status=home.status,
        status_at=local_time(home.status_at, ZoneInfo(home.timezone)),
        config=home.config,
    )


@router.get("")
def list_homes(
    session: SessionDep, scope: ScopeDep, station: str | None = None
) -> list[HomePublic]:
    return [public(home) for home in queries.visible_homes(session, scope, station)]


@router.get("/{home_id}")
def get_home_public(home_id: str, session: SessionDep, scope: ScopeDep) -> HomePublic:
    return public(queries.visible_home(session, scope, home_id))


@router.put("/{home_id}")
async def put_home(home_id: NewId, config: HomeConfig, hub: HubDep, scope: ScopeDep) -> HomePublic:
    scope.require_admin()
    if config.home != home_id:
        raise HTTPException(422, f"the config is for home {config.home!r}, not {home_id!r}")
    prefix = hub.settings.prefix
    home = await hub.act(lambda session: save_home(session, config, prefix=prefix))
    return public(home)


@router.get("/{home_id}/devices")
def list_devices(home_id: str, session: SessionDep, scope: ScopeDep) -> list[DevicePublic]:
    return device_status(session, queries.visible_home(session, scope, home_id))


def device_status(session: Session, home: Home) -> list[DevicePublic]:
    """Devices with liveness: offline while the edge's device_offline alert is active."""
    tz = ZoneInfo(home.timezone)
    offline = queries.offline_devices(session, home.id)
    return [
        DevicePublic(
            id=device.id,
            kind=device.kind,
            role=device.role,
            source=device.source,
            model=device.model,
            last_seen=local_time(device.last_seen, tz),
            battery=device.battery,
            online=None if device.last_seen is None else device.id not in offline,
        )
        for device in queries.devices(session, home.id)
    ]
