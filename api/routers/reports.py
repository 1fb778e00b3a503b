"""Monthly figures per station, district and city (hub.reports), as JSON and CSV, and the
supervisors' overview of their stations now. Everyone but the family, each for the stations
they see: a district account its districts', a city account its cities', staff their own."""

from __future__ import annotations

import csv
import io
import time
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from sqlalchemy import func, select

from hub import districts, reports
from hub.accounts import Forbidden, Scope
from hub.schema import Alert, Device, District, Home

from ..area_schemas import MonthlyReport, StationOverview
from ..deps import ScopeDep, SessionDep
from ..routing import LimitedJsonRoute

router = APIRouter(prefix="/reports", tags=["reports"], route_class=LimitedJsonRoute)

Month = Annotated[
    str, Query(pattern=r"^20\d\d-(0[1-9]|1[0-2])$", description="YYYY-MM (2000-2099)")
]
Zone = Annotated[str, Query(max_length=64, description="the zone months are counted in")]


def _reader(scope: Scope) -> None:
    if scope.role == "family":
        raise Forbidden("reports are for stations and their supervisors")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise HTTPException(422, f"unknown time zone {name!r}") from None


def _monthly(session, scope: Scope, month: str, tz: str) -> MonthlyReport:  # type: ignore[no-untyped-def]
    _reader(scope)
    zone = _zone(tz)
    first = date.fromisoformat(f"{month}-01")
    start, end = reports.month_bounds(first, zone)
    now = time.time()
    areas = [
        reports.area_report(session, area, start, end, now)
        for area in districts.areas_for(session, scope)
    ]
    iso = lambda t: datetime.fromtimestamp(t, zone).isoformat(timespec="seconds")  # noqa: E731
    return MonthlyReport(month=month, timezone=tz, start=iso(start), end=iso(end), areas=areas)


@router.get("/monthly")
def monthly(
    session: SessionDep, scope: ScopeDep, month: Month, tz: Zone = "Asia/Shanghai"
) -> MonthlyReport:
    """The month's figures of every station, district and city the caller sees."""
    return _monthly(session, scope, month, tz)


@router.get("/monthly.csv", response_class=Response)
def monthly_csv(
    session: SessionDep, scope: ScopeDep, month: Month, tz: Zone = "Asia/Shanghai"
) -> Response:
    """The same as CSV, one figure a row (an empty value: no data)."""
    report = _monthly(session, scope, month, tz)
    out = io.StringIO()
    csv.writer(out).writerows(reports.csv_rows(month, report.areas))
    return Response(
        "\ufeff" + out.getvalue(),  # a BOM, so that spreadsheet programs read the Chinese names
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="report-{month}.csv"'},
    )


@router.get("/overview")
def overview(session: SessionDep, scope: ScopeDep) -> list[StationOverview]:
    """Each station the caller sees, now: homes, open alerts, devices offline (read-only)."""
    _reader(scope)
    out = []
    district_names = {
        row.id: row.name for row in session.execute(select(District.id, District.name))
    }
    for area in districts.areas_for(session, scope):
        if area.level != "station":
            continue
        homes = select(Home.id).where(Home.station_id == area.id, Home.deactivated_at.is_(None))
        # Her home's station now, not the one the alert was raised at (a resident who
        # moved takes her open alerts along, as the queue does).
        open_alerts = select(func.count()).where(
            Alert.resolved_at.is_(None), Alert.home_id.in_(homes)
        )
        offline = select(Device.home_id).where(Device.home_id.in_(homes), Device.offline)
        out.append(
            StationOverview(
                id=area.id,
                name=area.name,
                district=area.parent,
                district_name=district_names.get(area.parent or ""),
                homes=session.scalar(select(func.count()).select_from(homes.subquery())) or 0,
                open_alerts=session.scalar(open_alerts) or 0,
                unacknowledged=session.scalar(open_alerts.where(Alert.acknowledged.is_(False)))
                or 0,
                devices_offline=session.scalar(select(func.count()).select_from(offline.subquery()))
                or 0,
                homes_with_devices_offline=session.scalar(
                    select(func.count(func.distinct(Device.home_id))).where(
                        Device.home_id.in_(homes), Device.offline
                    )
                )
                or 0,
            )
        )
    return out
