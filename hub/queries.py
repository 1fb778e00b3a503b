"""What the API reads from the store: every query the routers need, scoped where it matters.

The routers only call these and shape the answers; the SQL lives here, next to the schema,
so a change of table is one place to look. Times in and out are epoch seconds (UTC).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import Row, Select, case, func, select
from sqlalchemy.orm import Session

import analytics
from contracts.home import HomeConfig
from contracts.reading import Reading

from .accounts import Scope
from .alerts import AlertNotFound
from .registry import NotFound, get_home
from .schema import Alert, AlertChange, Delivery, Device, EventRow, Home, ReadingRow, Station, User

AlertState = Literal[
    "open", "active", "cleared", "acknowledged", "unacknowledged", "resolved", "all"
]
AlertOrder = Literal["need", "newest"]
SEVERITY_ORDER = case(
    {"critical": 0, "major": 1, "minor": 2, "warning": 3}, value=Alert.severity, else_=4
)
# What needs a person first: what nobody has acknowledged, the most severe first (a critical
# fall that has cleared still needs a call before a minor overdue visit does); of one
# severity, what is still going on before what has cleared; then what someone is handling,
# in the same order.
NEED_ORDER = (Alert.acknowledged.is_(True), SEVERITY_ORDER, Alert.active.is_(False))


# -- scope -----------------------------------------------------------------------------------


def visible_home(session: Session, scope: Scope, home_id: str) -> Home:
    """The home, if this user may see it; otherwise it does not exist (404)."""
    home = get_home(session, home_id)
    if not scope.sees(home):
        raise NotFound(f"no home {home_id!r}", home=home_id)
    return home


def visible_alert(session: Session, scope: Scope, alert_id: int) -> tuple[Alert, Home]:
    """The alert, if its resident is this user's to see; otherwise it does not exist."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertNotFound("no such alert", alert_id=alert_id)
    try:
        home = visible_home(session, scope, alert.home_id)
    except NotFound:
        raise AlertNotFound("no such alert", alert_id=alert_id) from None
    return alert, home


def visible_homes(session: Session, scope: Scope, station: str | None = None) -> list[Home]:
    query = select(Home).order_by(Home.id)
    if station is not None:
        query = query.where(Home.station_id == station)
    return [home for home in session.scalars(query) if scope.sees(home)]


def visible_stations(session: Session, scope: Scope) -> list[Station]:
    stations = session.scalars(select(Station).order_by(Station.id))
    return [station for station in stations if scope.sees_station(station.id)]


def visible_station(session: Session, scope: Scope, station_id: str) -> Station | None:
    station = session.get(Station, station_id)
    return station if station is not None and scope.sees_station(station_id) else None


def users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.username)).all()


# -- alerts ----------------------------------------------------------------------------------


def alerts_page(
    session: Session,
    scope: Scope,
    *,
    station: str | None = None,
    resident: str | None = None,
    state: AlertState = "open",
    severities: Collection[str] = (),
    kind: str | None = None,
    since: float | None = None,
    until: float | None = None,
    limit: int = 200,
    offset: int = 0,
    order: AlertOrder = "need",
) -> list[tuple[Alert, Home]]:
    """Open alerts first, in the queue's order (``NEED_ORDER``): unacknowledged before
    acknowledged, then by severity (critical first), then active before cleared, then
    newest first. ``order="newest"``: by when each began (``started``), newest first,
    whatever its state (a family's past alerts).

    A station's alerts are those of its homes now, not those it had when they were raised
    (``Alert.station_id``): a resident who moves takes her alerts to the new station's
    queue, as :func:`visible_alert` and the notifications (hub.notices) go by her home."""
    query = select(Alert, Home).join(Home, Home.id == Alert.home_id)
    if scope.role == "family":
        query = query.where(Alert.home_id.in_(scope.residents))
    elif not scope.sees_everything:
        query = query.where(Home.station_id.in_(scope.stations))
    if scope.ward_stations:  # a caregiver of an institution: the rooms of her shift
        query = query.where(
            Home.station_id.not_in(scope.ward_stations) | Alert.home_id.in_(scope.duty_homes)
        )
    if not scope.sees_everything:  # a deactivated home's alerts are the registry's only
        query = query.where(Home.deactivated_at.is_(None))
    if station is not None:
        query = query.where(Home.station_id == station)
    if resident is not None:
        query = query.where(Alert.home_id == resident)
    if severities:
        query = query.where(Alert.severity.in_(severities))
    if kind is not None:
        query = query.where(Alert.kind == kind)
    if since is not None:
        query = query.where(Alert.raised_at >= since)
    if until is not None:
        query = query.where(Alert.raised_at < until)
    if order == "newest":
        query = _in_state(query, state).order_by(Alert.started.desc(), Alert.id.desc())
    else:
        query = _in_state(query, state).order_by(
            Alert.resolved_at.is_not(None), *NEED_ORDER, Alert.raised_at.desc()
        )
    return [(alert, home) for alert, home in session.execute(query.limit(limit).offset(offset))]


def _in_state(query: Select[Any], state: AlertState) -> Select[Any]:
    unresolved = Alert.resolved_at.is_(None)
    conditions = {
        "open": [unresolved],
        "active": [unresolved, Alert.active.is_(True)],
        "cleared": [unresolved, Alert.active.is_(False)],
        "acknowledged": [unresolved, Alert.acknowledged.is_(True)],
        "unacknowledged": [unresolved, Alert.acknowledged.is_(False)],
        "resolved": [Alert.resolved_at.is_not(None)],
        "all": [],
    }[state]
    return query.where(*conditions)


def alert_history(session: Session, alert_id: int) -> Sequence[AlertChange]:
    query = select(AlertChange).where(AlertChange.alert_id == alert_id)
    return session.scalars(query.order_by(AlertChange.id)).all()


def alert_deliveries(session: Session, alert_id: int) -> Sequence[Delivery]:
    query = select(Delivery).where(Delivery.alert_id == alert_id).order_by(Delivery.id)
    return session.scalars(query).all()


def newest_window(session: Session, alert_id: int) -> dict[str, Any] | None:
    """The accelerometer window of the alert's newest event that carried one."""
    return session.scalars(
        select(EventRow.window)
        .where(EventRow.alert_id == alert_id, EventRow.window.is_not(None))
        .order_by(EventRow.id.desc())
        .limit(1)
    ).first()


def alerts_started(session: Session, home_id: str, start: float, end: float) -> Sequence[Alert]:
    """The home's alerts whose condition began in [start, end)."""
    return session.scalars(
        select(Alert).where(Alert.home_id == home_id, Alert.started >= start, Alert.started < end)
    ).all()


def open_alert_count(session: Session, home_id: str) -> int:
    count = session.scalar(
        select(func.count(Alert.id)).where(Alert.home_id == home_id, Alert.resolved_at.is_(None))
    )
    return count or 0


# -- devices and readings --------------------------------------------------------------------


def devices(session: Session, home_id: str) -> Sequence[Device]:
    query = select(Device).where(Device.home_id == home_id).order_by(Device.id)
    return session.scalars(query).all()


def offline_devices(session: Session, home_id: str) -> set[str | None]:
    """The devices of the home's active device_offline alert."""
    return set(
        session.scalars(
            select(Alert.device).where(
                Alert.home_id == home_id,
                Alert.kind == "device_offline",
                Alert.active.is_(True),
                Alert.resolved_at.is_(None),
            )
        )
    )


def low_battery_devices(session: Session, home_id: str, at_most: float) -> list[str]:
    query = select(Device.id).where(Device.home_id == home_id, Device.battery <= at_most)
    return list(session.scalars(query))


def readings(
    session: Session, home_id: str, metrics: Collection[str], start: float, end: float
) -> Sequence[Row[tuple[float, str, str, float | None, str | None]]]:
    """The home's readings of these metrics in [start, end), oldest first:
    ``(ts, device, metric, number, text)``."""
    return session.execute(
        select(ReadingRow.ts, ReadingRow.device, ReadingRow.metric, ReadingRow.number,
               ReadingRow.text)
        .where(ReadingRow.home_id == home_id, ReadingRow.metric.in_(metrics),
               ReadingRow.ts >= start, ReadingRow.ts < end)
        .order_by(ReadingRow.ts)
    ).all()  # fmt: skip


# -- the day: when she got up -----------------------------------------------------------------

# What the whereabouts model reads to tell where she is (wearables' steps and "worn" too).
WHEREABOUTS_METRICS = ("contact", "motion", "presence", "in_use", "steps", "worn")
BOOLEAN_METRICS = frozenset({"motion", "presence", "in_use", "worn"})
# Readings from this many days before: the model learns her night from three nights, as the
# edge's has (with fewer, the home config's night stands in for it).
GOT_UP_HISTORY_DAYS = 4


def morning(session: Session, home: Home, day: date, now: float) -> analytics.Morning:
    """When the resident got up on ``day``, as the edge's detectors decide it: the home's
    stored readings from a few days before replayed through analytics' whereabouts model
    (``analytics.morning``, the rule not_up runs on), and whether they can tell at all."""
    try:
        config = HomeConfig.model_validate(home.config)
    except ValidationError:
        # a config the hub no longer accepts: nothing to replay it with
        return analytics.Morning(up_at=None, known=False)
    noon = datetime.combine(day, time(12), ZoneInfo(home.timezone))
    start = (noon - timedelta(days=GOT_UP_HISTORY_DAYS)).timestamp()
    end = min(now, (noon + timedelta(days=1)).timestamp())
    if end <= start:
        return analytics.Morning(up_at=None, known=False)
    rows = readings(session, home.id, WHEREABOUTS_METRICS, start, end)
    return analytics.morning(config, as_readings(home.id, rows), day, until=end)


def as_readings(home: str, rows: Sequence[Row[Any]]) -> Iterator[Reading]:
    """Stored rows as canonical readings; a value no reading can hold (a NaN an older hub
    stored) is left out, as the hub refuses it today."""
    for ts, device, metric, number, text in rows:
        if metric == "contact":
            value: Any = text
        elif number is None or not math.isfinite(number):
            continue
        else:
            value = bool(number) if metric in BOOLEAN_METRICS else number
        try:
            yield Reading(ts=ts, home=home, device=device, metric=metric, value=value)
        except ValueError:
            continue
