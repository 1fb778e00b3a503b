"""Announced absences (外出登记) of a resident: she is at her daughter's, or in hospital, from
one time until another (hub/absences.py). Her routine alerts are off meanwhile on the edge;
falls, SOS, vital signs and device alerts never are.

The family announces and ends them for its resident, the station's dispatchers for the
homes of their station, an admin for any; the station's other staff and district and city
accounts read them (403 on a change); outside someone's scope the resident does not exist
(404). Every change is stored and pushed to the home's edge with the config, goes out on the
live feed (type ``away``), and, as every read of her data, is recorded (api/audit.py: who,
which route), ``by`` naming who announced it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.home import AwayPeriod
from hub import absences, queries
from hub.accounts import Forbidden, Scope
from hub.feed import FeedMessage
from hub.schema import Home, User
from hub.service import Hub
from hub.views import local_time

from ..audit import audit_read
from ..deps import ClockDep, HubDep, ScopeDep, SessionDep
from ..routing import LimitedJsonRoute
from ..schemas import AwayCreate, AwayPublic

router = APIRouter(
    prefix="/residents/{resident_id}/away", tags=["absences"], route_class=LimitedJsonRoute
)
AwayId = Annotated[str, Path(pattern=r"^[0-9a-f]{12}$", description="the absence's id")]
# Who announces and ends absences; the station's other staff and areas' accounts read them.
ANNOUNCERS = frozenset({"admin", "dispatcher", "family"})


def away_public(
    period: AwayPeriod, zone: ZoneInfo, now: float, names: dict[str, str]
) -> AwayPublic:
    return AwayPublic(
        id=absences.period_id(period),
        start=local_time(period.start.timestamp(), zone),
        end=local_time(period.end.timestamp(), zone),
        note=period.note,
        by=period.by,
        by_name=names.get(period.by or ""),
        state=absences.state_of(period, now),
    )


def names_of(session: Session, periods: Iterable[AwayPeriod]) -> dict[str, str]:
    """The names of the accounts that announced these absences."""
    wanted = {p.by for p in periods if p.by}
    if not wanted:
        return {}
    rows = session.execute(select(User.username, User.name).where(User.username.in_(wanted)))
    return {username: name for username, name in rows}


def listed(session: Session, home: Home, now: float) -> list[AwayPublic]:
    periods = absences.periods_of(home.config)
    zone, names = ZoneInfo(home.timezone), names_of(session, periods)
    return [away_public(p, zone, now, names) for p in periods]


def current_public(session: Session, home: Home, now: float) -> AwayPublic | None:
    """The absence announced for now, if any (GET /residents: ``away``)."""
    return _shown(session, home, absences.current(home.config, now), now)


def upcoming_public(session: Session, home: Home, now: float) -> AwayPublic | None:
    """The soonest absence announced to start after now, if any (GET /residents:
    ``away_next``)."""
    return _shown(session, home, absences.upcoming(home.config, now), now)


def _shown(
    session: Session, home: Home, period: AwayPeriod | None, now: float
) -> AwayPublic | None:
    if period is None:
        return None
    return away_public(period, ZoneInfo(home.timezone), now, names_of(session, [period]))


def _announcer_of(session: Session, scope: Scope, resident_id: str) -> Home:
    """Her home, if this user may announce her absences: 404 outside their scope, 403 for a
    role that only reads them."""
    home = queries.visible_home(session, scope, resident_id)
    if scope.role not in ANNOUNCERS:
        raise Forbidden(f"a {scope.role} account does not announce absences")
    return home


async def _changed(
    hub: Hub, request: Request, scope: Scope, where: tuple[str, str], shown: list[AwayPublic]
) -> None:
    """After the commit: the open pages learn of it, and the change is recorded."""
    resident, station = where
    payload = {"resident": resident, "away": [a.model_dump() for a in shown]}
    message = FeedMessage("away", station, resident, payload, time.time())
    hub.feed.publish(message)
    if hub.relay is not None:  # the pages held by other workers
        hub.relay.send([message])
    await asyncio.to_thread(audit_read, request, scope, [resident])


@router.get("")
def list_absences(
    request: Request, resident_id: str, session: SessionDep, scope: ScopeDep, clock: ClockDep
) -> list[AwayPublic]:
    """Her announced absences, by start: those to come, the current one, and those that
    ended in the last 7 days (older ones are dropped when the list is next written)."""
    home = queries.visible_home(session, scope, resident_id)
    audit_read(request, scope, [home.id])
    return listed(session, home, clock())


@router.post("", status_code=201)
async def announce(
    request: Request,
    resident_id: str,
    body: AwayCreate,
    hub: HubDep,
    scope: ScopeDep,
    clock: ClockDep,
) -> AwayPublic:
    """Announce an absence (at most 92 days; one that would be over already is refused,
    422; with 20 current or coming absences, 409). Pushed to her home's edge."""
    now, prefix = clock(), hub.settings.prefix

    def add(session: Session) -> tuple[tuple[str, str], AwayPublic, list[AwayPublic]]:
        home = _announcer_of(session, scope, resident_id)
        period = absences.announce(
            session, home, body.start, body.end, note=body.note, by=scope.username, now=now,
            prefix=prefix,
        )  # fmt: skip
        zone, names = ZoneInfo(home.timezone), names_of(session, [period])
        made = away_public(period, zone, now, names)
        return (home.id, home.station_id), made, listed(session, home, now)

    where, made, shown = await hub.act(add)
    await _changed(hub, request, scope, where, shown)
    return made


@router.post("/{away_id}/end")
async def end_absence(
    request: Request,
    resident_id: str,
    away_id: AwayId,
    hub: HubDep,
    scope: ScopeDep,
    clock: ClockDep,
) -> list[AwayPublic]:
    """She is back: the absence ends now; one that has not begun is called off (dropped).
    One over already: 409. Her absences as they are now; pushed to her home's edge."""
    now, prefix = clock(), hub.settings.prefix

    def end(session: Session) -> tuple[tuple[str, str], list[AwayPublic]]:
        home = _announcer_of(session, scope, resident_id)
        absences.end_now(session, home, away_id, by=scope.username, now=now, prefix=prefix)
        return (home.id, home.station_id), listed(session, home, now)

    where, shown = await hub.act(end)
    await _changed(hub, request, scope, where, shown)
    return shown
