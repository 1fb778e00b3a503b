"""Residents (one per home, addressed by the home id), their contacts and their history."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Annotated, Any, Literal, TypeGuard
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request
from sqlalchemy.orm import Session

from hub import audit, queries
from hub.schema import Home
from hub.schema import Station as StationRow
from hub.telemetry_history import hourly, readings
from hub.views import in_zone, local_time
from hub.wellbeing import wellbeing

from ..audit import audit_read
from ..deps import ClockDep, HubDep, ScopeDep, SessionDep
from ..params import Day, Moment
from ..routing import LimitedJsonRoute
from ..schemas import (
    ContactPublic,
    DataReadPublic,
    HeartRateNow,
    HistoryPublic,
    HourPublic,
    ResidentPublic,
    StationContact,
    TimelineEntry,
    TodayPublic,
)
from .absences import current_public, upcoming_public

router = APIRouter(prefix="/residents", tags=["residents"], route_class=LimitedJsonRoute)

HistoryMetric = Literal["heart_rate", "spo2", "skin_temp", "steps", "activity"]
# "activity" counts what shows someone moving about: doors, motion, presence.
ACTIVITY_METRICS = ("contact", "motion", "presence")
MAX_RANGE = timedelta(days=31)
LOW_BATTERY = 20.0
TIMELINE_LENGTH = 200


def public(session: Session, home: Home, now: float) -> ResidentPublic:
    resident = home.config["resident"]
    now_year = datetime.fromtimestamp(now, ZoneInfo(home.timezone)).year
    return ResidentPublic(
        id=home.id,
        name=resident["name"],
        birth_year=resident["birth_year"],
        age=now_year - resident["birth_year"],
        address=resident.get("address"),
        station=home.station_id,
        timezone=home.timezone,
        home_status=home.status,
        contacts=[ContactPublic(**contact) for contact in home.config.get("contacts", [])],
        open_alerts=queries.open_alert_count(session, home.id),
        devices_offline=len(queries.offline_devices(session, home.id)),
        low_battery=queries.low_battery_devices(session, home.id, LOW_BATTERY),
        wellbeing=wellbeing(session, home, now),
        away=current_public(session, home, now),
        away_next=upcoming_public(session, home, now),
    )


@router.get("")
def list_residents(
    request: Request,
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    station: str | None = None,
) -> list[ResidentPublic]:
    now = clock()
    homes = queries.visible_homes(session, scope, station)
    audit_read(request, scope, (home.id for home in homes))
    return [public(session, home, now) for home in homes]


@router.get("/{resident_id}")
def get_resident(
    request: Request, resident_id: str, session: SessionDep, scope: ScopeDep, clock: ClockDep
) -> ResidentPublic:
    home = queries.visible_home(session, scope, resident_id)
    audit_read(request, scope, [home.id])
    return public(session, home, clock())


@router.get("/{resident_id}/contacts")
def list_contacts(
    request: Request, resident_id: str, session: SessionDep, scope: ScopeDep
) -> list[ContactPublic]:
    home = queries.visible_home(session, scope, resident_id)
    audit_read(request, scope, [home.id])
    return [ContactPublic(**contact) for contact in home.config.get("contacts", [])]


@router.get("/{resident_id}/station")
def resident_station(resident_id: str, session: SessionDep, scope: ScopeDep) -> StationContact:
    """The station caring for her: its name and phone, for whoever may see her (a family
    calls it from the family app). Its notification targets stay with the station's staff."""
    home = queries.visible_home(session, scope, resident_id)
    station = session.get(StationRow, home.station_id)
    if station is None:  # a foreign key: only a store edited by hand
        raise HTTPException(404, f"no station {home.station_id!r}")
    return StationContact(id=station.id, name=station.name, phone=station.phone)


@router.get("/{resident_id}/reads")
def list_reads(
    resident_id: str,
    session: SessionDep,
    scope: ScopeDep,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[DataReadPublic]:
    """Who read this resident's data, newest first: user, role, when, through which route
    (admin only; one row per user and route per minute, kept retention_audit_days)."""
    scope.require_admin()
    home = queries.visible_home(session, scope, resident_id)
    zone = ZoneInfo(home.timezone)
    return [
        DataReadPublic(
            at=local_time(row.at, zone) or "",
            username=row.username,
            role=row.role,
            route=row.route,
        )
        for row in audit.reads_of(session, home.id, limit)
    ]


@router.get("/{resident_id}/history")
def history(
    request: Request,
    resident_id: str,
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    hub: HubDep,
    metric: HistoryMetric = "heart_rate",
    start: Annotated[Moment | None, Query(description="default: 24 hours before end")] = None,
    end: Annotated[Moment | None, Query(description="default: now")] = None,
) -> HistoryPublic:
    """Per hour: count, min, mean and max of a vital sign; steps as the hour's highest
    count; activity as the number of door, motion and presence changes."""
    home = queries.visible_home(session, scope, resident_id)
    audit_read(request, scope, [home.id])
    tz = ZoneInfo(home.timezone)
    end = in_zone(end, tz) if end is not None else datetime.fromtimestamp(clock(), tz)
    start = in_zone(start, tz) if start is not None else end - timedelta(hours=24)
    if start >= end:
        raise HTTPException(422, "start must be before end")
    if end - start > MAX_RANGE:
        raise HTTPException(422, f"at most {MAX_RANGE.days} days at a time")
    metrics = ACTIVITY_METRICS if metric == "activity" else (metric,)
    # From the SQL store's readings, or its hourly aggregates and InfluxDB (hub.telemetry_history)
    influx = hub.telemetry.api if hub.telemetry is not None else None
    found = hourly(session, influx, home.id, metrics, start.timestamp(), end.timestamp(),
                   numbers=metric != "activity")  # fmt: skip
    hours = []
    for hour in found.hours:
        start_of_hour = local_time(float(hour.start), tz) or ""
        if metric == "activity":
            hours.append(HourPublic(hour=start_of_hour, count=hour.count))
            continue
        mean = hour.mean
        hours.append(
            HourPublic(
                hour=start_of_hour,
                count=hour.count,
                min=hour.low,
                mean=round(mean, 1) if mean is not None else None,
                max=hour.high,
            )
        )
    return HistoryPublic(
        resident=home.id,
        metric=metric,
        start=start.isoformat(timespec="seconds"),
        end=end.isoformat(timespec="seconds"),
        hours=hours,
    )


@router.get("/{resident_id}/today")
def today(
    request: Request,
    resident_id: str,
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    hub: HubDep,
    day: Annotated[Day | None, Query(alias="date", description="default: today")] = None,
) -> TodayPublic:
    """ "Is Mum OK today": when she got up, her last activity, steps, heart rate, and the
    day's doors, movement and alerts. When she got up is decided as the home's not_up
    detector decides it (the whereabouts model, hub.queries.morning)."""
    home = queries.visible_home(session, scope, resident_id)
    audit_read(request, scope, [home.id])
    tz = ZoneInfo(home.timezone)
    now = datetime.fromtimestamp(clock(), tz)
    day = day or now.date()
    start = datetime.combine(day, time(0), tz).timestamp()
    end = (datetime.combine(day, time(0), tz) + timedelta(days=1)).timestamp()
    at = lambda epoch: local_time(epoch, tz) or ""  # noqa: E731

    timeline, active = _activity(
        queries.readings(session, home.id, ACTIVITY_METRICS, start, end), home, at
    )
    morning = queries.morning(session, home, day, now.timestamp())
    got_up = morning.up_at
    if got_up is not None:
        timeline.append(TimelineEntry(at=at(got_up), device=None, role=None, what="got_up"))
    for alert in queries.alerts_started(session, home.id, start, end):
        timeline.append(
            TimelineEntry(
                at=at(alert.started), device=alert.device, role=None, what="alert", kind=alert.kind
            )
        )
    timeline.sort(key=lambda entry: entry.at)
    steps = _measured(queries.readings(session, home.id, ("steps",), start, end))
    influx = hub.telemetry.api if hub.telemetry is not None else None  # heart rates there
    heart = _measured(readings(session, influx, home.id, ("heart_rate",), start, end))
    return TodayPublic(
        date=day.isoformat(),
        got_up_at=at(got_up) if got_up is not None else None,
        got_up_known=morning.known,
        last_activity=at(active[-1]) if active else None,
        steps=int(steps[-1].number) if steps else None,
        heart_rate=HeartRateNow(
            last=heart[-1].number if heart else None, at=at(heart[-1].ts) if heart else None
        ),
        timeline=timeline[-TIMELINE_LENGTH:],
        now=now.isoformat(timespec="seconds"),
    )


def _activity(rows: Sequence[Any], home: Home, at: Any) -> tuple[list[TimelineEntry], list[float]]:
    """The day's doors, movement and presence as timeline entries, and when she was active."""
    roles = {d["id"]: d["role"] for d in home.config.get("devices", [])}
    timeline: list[TimelineEntry] = []
    active: list[float] = []
    for ts, device, metric, number, text in rows:
        if metric == "contact":
            what = "door_open" if text == "open" else "door_closed"
        elif metric == "motion":
            if not number:
                continue  # "no motion" is a sensor resetting, not news
            what = "motion"
        else:
            what = "presence" if number else "absent"
        if what != "absent":
            active.append(ts)
        timeline.append(TimelineEntry(at=at(ts), device=device, role=roles.get(device), what=what))
    return timeline, active


def _finite(number: float | None) -> TypeGuard[float]:
    return number is not None and math.isfinite(number)


def _measured(rows: Sequence[Any]) -> list[Any]:
    """The readings with a real number: a NaN (stored as NULL) or an infinity is no data."""
    return [row for row in rows if _finite(row.number)]
