"""Residents (one per home, addressed by the home id), their contacts and their history."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.schema import Alert, Device, Home, ReadingRow
from hub.views import local_time

from ..deps import ScopeDep, SessionDep, visible_home
from ..schemas import (
    ContactPublic,
    HeartRateNow,
    HistoryPublic,
    HourPublic,
    ResidentPublic,
    TimelineEntry,
    TodayPublic,
)
from .homes import offline_devices

router = APIRouter(prefix="/residents", tags=["residents"])

HistoryMetric = Literal["heart_rate", "spo2", "skin_temp", "steps", "activity"]
# "activity" counts what shows someone moving about: doors, motion, presence.
ACTIVITY_METRICS = ("contact", "motion", "presence")
MAX_RANGE = timedelta(days=31)
LOW_BATTERY = 20.0
TIMELINE_LENGTH = 200


def public(session: Session, home: Home) -> ResidentPublic:
    resident = home.config["resident"]
    open_alerts = session.scalar(
        select(func.count(Alert.id)).where(Alert.home_id == home.id, Alert.resolved_at.is_(None))
    )
    low_battery = session.scalars(
        select(Device.id).where(Device.home_id == home.id, Device.battery <= LOW_BATTERY)
    )
    now_year = datetime.now(ZoneInfo(home.timezone)).year
    return ResidentPublic(
        id=home.id,
        name=resident["name"],
        birth_year=resident["birth_year"],
        age=now_year - resident["birth_year"],
        address=resident.get("address"),
        station=home.station_id,
        home_status=home.status,
        contacts=[ContactPublic(**contact) for contact in home.config.get("contacts", [])],
        open_alerts=open_alerts or 0,
        devices_offline=len(offline_devices(session, home.id)),
        low_battery=list(low_battery),
    )


@router.get("")
def list_residents(
    session: SessionDep, scope: ScopeDep, station: str | None = None
) -> list[ResidentPublic]:
    query = select(Home).order_by(Home.id)
    if station is not None:
        query = query.where(Home.station_id == station)
    return [public(session, home) for home in session.scalars(query) if scope.sees(home)]


@router.get("/{resident_id}")
def get_resident(resident_id: str, session: SessionDep, scope: ScopeDep) -> ResidentPublic:
    return public(session, visible_home(session, scope, resident_id))


@router.get("/{resident_id}/contacts")
def list_contacts(resident_id: str, session: SessionDep, scope: ScopeDep) -> list[ContactPublic]:
    return public(session, visible_home(session, scope, resident_id)).contacts


@router.get("/{resident_id}/history")
def history(
    resident_id: str,
    session: SessionDep,
    scope: ScopeDep,
    metric: HistoryMetric = "heart_rate",
    start: Annotated[datetime | None, Query(description="default: 24 hours before end")] = None,
    end: Annotated[datetime | None, Query(description="default: now")] = None,
) -> HistoryPublic:
    """Per hour: count, min, mean and max of a vital sign; steps as the hour's highest
    count; activity as the number of door, motion and presence changes."""
    home = visible_home(session, scope, resident_id)
    tz = ZoneInfo(home.timezone)
    end = _aware(end, tz) if end is not None else datetime.now(tz)
    start = _aware(start, tz) if start is not None else end - timedelta(hours=24)
    if start >= end:
        raise HTTPException(422, "start must be before end")
    if end - start > MAX_RANGE:
        raise HTTPException(422, f"at most {MAX_RANGE.days} days at a time")
    metrics = ACTIVITY_METRICS if metric == "activity" else (metric,)
    rows = session.execute(
        select(ReadingRow.ts, ReadingRow.number).where(
            ReadingRow.home_id == home.id,
            ReadingRow.metric.in_(metrics),
            ReadingRow.ts >= start.timestamp(),
            ReadingRow.ts < end.timestamp(),
        )
    )
    by_hour: dict[int, list[float]] = defaultdict(list)
    for ts, number in rows:
        by_hour[int(ts // 3600)].append(number if number is not None else 1.0)
    hours = []
    for hour in sorted(by_hour):
        values = by_hour[hour]
        start_of_hour = local_time(hour * 3600.0, tz) or ""
        if metric == "activity":
            hours.append(HourPublic(hour=start_of_hour, count=len(values)))
            continue
        hours.append(
            HourPublic(
                hour=start_of_hour,
                count=len(values),
                min=min(values),
                mean=round(sum(values) / len(values), 1),
                max=max(values),
            )
        )
    return HistoryPublic(
        resident=home.id,
        metric=metric,
        start=start.isoformat(timespec="seconds"),
        end=end.isoformat(timespec="seconds"),
        hours=hours,
    )


def _aware(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


@router.get("/{resident_id}/today")
def today(
    resident_id: str,
    session: SessionDep,
    scope: ScopeDep,
    day: Annotated[date | None, Query(alias="date", description="default: today")] = None,
) -> TodayPublic:
    """ "Is Mum OK today": when she got up, her last activity, steps, heart rate, and the
    day's doors, movement and alerts. Got up = the first activity after the night's end."""
    home = visible_home(session, scope, resident_id)
    tz = ZoneInfo(home.timezone)
    day = day or datetime.now(tz).date()
    start = datetime.combine(day, time(0), tz)
    end = start + timedelta(days=1)
    at = lambda epoch: local_time(epoch, tz) or ""  # noqa: E731
    roles = {d["id"]: d["role"] for d in home.config.get("devices", [])}
    night_end = time.fromisoformat(home.config.get("night", {}).get("end", "06:00:00"))
    got_up_from = datetime.combine(day, night_end, tz).timestamp()

    def readings(*metrics: str):  # type: ignore[no-untyped-def]
        return session.execute(
            select(ReadingRow.ts, ReadingRow.device, ReadingRow.metric, ReadingRow.number,
                   ReadingRow.text)
            .where(ReadingRow.home_id == home.id, ReadingRow.metric.in_(metrics),
                   ReadingRow.ts >= start.timestamp(), ReadingRow.ts < end.timestamp())
            .order_by(ReadingRow.ts)
        ).all()  # fmt: skip

    timeline: list[TimelineEntry] = []
    active: list[float] = []
    for ts, device, metric, number, text in readings(*ACTIVITY_METRICS):
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
    got_up = next((ts for ts in active if ts >= got_up_from), None)
    if got_up is not None:
        timeline.append(TimelineEntry(at=at(got_up), device=None, role=None, what="got_up"))
    for alert in session.scalars(
        select(Alert).where(
            Alert.home_id == home.id,
            Alert.started >= start.timestamp(),
            Alert.started < end.timestamp(),
        )
    ):
        timeline.append(
            TimelineEntry(
                at=at(alert.started), device=alert.device, role=None, what="alert", kind=alert.kind
            )
        )
    timeline.sort(key=lambda entry: entry.at)
    steps = readings("steps")
    heart = readings("heart_rate")
    return TodayPublic(
        date=day.isoformat(),
        got_up_at=at(got_up) if got_up is not None else None,
        last_activity=at(active[-1]) if active else None,
        steps=int(steps[-1].number) if steps else None,
        heart_rate=HeartRateNow(
            last=heart[-1].number if heart else None, at=at(heart[-1].ts) if heart else None
        ),
        timeline=timeline[-TIMELINE_LENGTH:],
    )
