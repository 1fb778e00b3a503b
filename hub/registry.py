"""The registry: stations and homes (with their resident, devices and contacts).

Saving a home config stores it, brings the home's device rows in line with it and queues it
for the home's edge, retained on ``<prefix>/<home>/config``, in the same transaction: the
edge gets exactly what the store says, even if the hub stops in between.
"""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.home import HomeConfig
from contracts.topics import DEFAULT_PREFIX

from .errors import HubError
from .schema import Device, Home, OutgoingMessage, Station


class RegistryError(HubError):
    """A registry change that cannot be made; ``status`` is the HTTP status it maps to."""

    status = 409


class NotFound(RegistryError):
    status = 404


def save_station(
    session: Session,
    station_id: str,
    *,
    name: str,
    address: str | None = None,
    phone: str | None = None,
    notify: list[str] | None = None,
) -> Station:
    station = session.get(Station, station_id)
    if station is None:
        station = Station(id=station_id, name=name, notify=[])
        session.add(station)
    station.name, station.address, station.phone = name, address, phone
    station.notify = list(notify or [])
    return station


def save_home(
    session: Session, config: HomeConfig, *, prefix: str = DEFAULT_PREFIX, now: float | None = None
) -> Home:
    """Create or replace a home from its config, and queue the config for its edge."""
    now = time.time() if now is None else now
    if session.get(Station, config.station) is None:
        raise NotFound(f"no station {config.station!r}; register the station first")
    document = config.model_dump(mode="json")
    home = session.get(Home, config.home)
    if home is None:
        home = Home(id=config.home, status="unknown")
        session.add(home)
    home.station_id = config.station
    home.config = document
    home.resident_name = config.resident.name
    home.timezone = config.timezone
    home.updated_at = now
    _sync_devices(session, config)
    session.add(
        OutgoingMessage(
            topic=f"{prefix}/{config.home}/config",
            payload=config.to_json().encode(),
            retain=True,
            created_at=now,
        )
    )
    return home


def _sync_devices(session: Session, config: HomeConfig) -> None:
    existing = {
        device.id: device
        for device in session.scalars(select(Device).where(Device.home_id == config.home))
    }
    for device in config.devices:
        row = existing.pop(device.id, None)
        if row is None:
            row = Device(home_id=config.home, id=device.id, offline=False)
            session.add(row)
        row.kind, row.role, row.source, row.model = (
            device.kind,
            device.role,
            device.source,
            device.model,
        )
    for gone in existing.values():
        session.delete(gone)


def get_home(session: Session, home_id: str) -> Home:
    home = session.get(Home, home_id)
    if home is None:
        raise NotFound(f"no home {home_id!r}", home=home_id)
    return home
