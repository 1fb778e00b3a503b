"""Residents (one per home, addressed by the home id), their contacts and their history."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.registry import get_home
from hub.schema import Alert, Home, ReadingRow
from hub.views import local_time

from ..deps import SessionDep
from ..schemas import ContactPublic, HistoryPublic, HourPublic, ResidentPublic

router = APIRouter(prefix="/residents", tags=["residents"])

HistoryMetric = Literal["heart_rate", "spo2", "skin_temp", "steps", "activity"]
# "activity" counts what shows someone moving about: doors, motion, presence.
ACTIVITY_METRICS = ("contact", "motion", "presence")
MAX_RANGE = timedelta(days=31)


def public(session: Session, home: Home) -> ResidentPublic:
    resident = home.config["resident"]
    open_alerts = session.scalar(
        select(func.count(Alert.id)).where(Alert.home_id == home.id, Alert.resolved_at.is_(None))
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
    )


@router.get("")
def list_residents(session: SessionDep, station: str | None = None) -> list[ResidentPublic]:
    query = select(Home).order_by(Home.id)
    if station is not None:
        query = query.where(Home.station_id == station)
    return [public(session, home) for home in session.scalars(query)]


@router.get("/{resident_id}")
def get_resident(resident_id: str, session: SessionDep) -> ResidentPublic:
    return public(session, get_home(session, resident_id))


@router.get("/{resident_id}/contacts")
def list_contacts(resident_id: str, session: SessionDep) -> list[ContactPublic]:
    return public(session, get_home(session, resident_id)).contacts


@router.get("/{resident_id}/history")
def history(
    resident_id: str,
    session: SessionDep,
    metric: HistoryMetric = "heart_rate",
    start: Annotated[datetime | None, Query(description="default: 24 hours before end")] = None,
    end: Annotated[datetime | None, Query(description="default: now")] = None,
) -> HistoryPublic:
    """Per hour: count, min, mean and max of a vital sign; steps as the hour's highest
    count; activity as the number of door, motion and presence changes."""
    home = get_home(session, resident_id)
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
