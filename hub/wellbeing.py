"""Is she fine? What the hub can honestly say about a resident right now, with its evidence.

One rule for every page (the console's overview, the family app): "fine" is a claim, and a
claim needs recent evidence of her: activity at home today, the home's gateway online and
every device reporting. Otherwise the hub says what it does know, first match wins:

=============  ====================================================  ======================
state          when                                                  since
=============  ====================================================  ======================
in_hospital    her newest case was resolved as ``hospital`` and       the resolve
               nothing has moved at home since (activity ends it)
no_data        no device of the home has ever reported               -
offline        the gateway is offline, or a device is offline or     the earliest silence
               has never reported
away           an absence is announced for now (hub/absences.py):    its start
               never "fine" nor "quiet" while she is said away
quiet          everything reports, but nothing moved today           -
fine           activity today, gateway online, every device          -
               reporting
=============  ====================================================  ======================

An announced absence does not hide what is wrong with the home: a gateway or a device offline
is still said (``offline``), the absence beside it (``until``, and the resident's ``away``).

Open alerts are told by the pages beside this (they are the station's cases, not the hub's
reading of the sensors). Pure of the wall clock: ``now`` is given, so the demo's simulated
day and the tests decide what "today" is.

Beside the state, the evidence of today's cases: ``alerts_today`` (hers that began since the
home's midnight, open or closed) and ``alerts_today_open``. The family app says "all is well
today" only for ``fine`` with no alert today; a day with an SOS the station has closed since
is "today N alerts, all closed" (api/static/js/wellbeing.js, familyBanner).

>>> facts = HomeFacts(gateway="unknown", gateway_since=None, devices=(
...     DeviceFact("band", "bracelet", "wrist", last_seen=None, offline=False),),
...     last_activity=None, hospital_since=None)
>>> assess(facts, midnight=0.0).state
'no_data'
>>> assess(facts._replace(last_activity=10.0, gateway="online", devices=(
...     DeviceFact("band", "bracelet", "wrist", last_seen=9.0, offline=False),)),
...     midnight=0.0).state
'fine'
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .absences import current
from .schema import Alert, Device, Home, ReadingRow
from .views import local_time

WellbeingState = Literal["in_hospital", "no_data", "offline", "away", "quiet", "fine"]
# What shows someone moving about at home: doors, motion, presence, appliances, her steps.
ACTIVITY_METRICS = ("contact", "motion", "presence", "in_use", "steps")
# What only happens at home: her wrist band walks to the hospital with her.
HOME_METRICS = ("contact", "motion", "presence", "in_use")


class DeviceFact(NamedTuple):
    id: str
    kind: str
    role: str
    last_seen: float | None
    offline: bool  # its device_offline alert is open


class HomeFacts(NamedTuple):
    gateway: str  # the edge's status: online | offline | unknown (never heard from)
    gateway_since: float | None
    devices: tuple[DeviceFact, ...]
    last_activity: float | None
    hospital_since: float | None  # the resolve of her newest case, if it was "hospital"
    last_home_activity: float | None = None
    away: tuple[float, float] | None = None  # the absence announced for now: start, end


class Wellbeing(NamedTuple):
    state: WellbeingState
    since: float | None
    silent: tuple[DeviceFact, ...]  # the devices not reporting (offline or never)


def assess(facts: HomeFacts, *, midnight: float) -> Wellbeing:
    """The rule of the module docstring; ``midnight`` starts the home's today."""
    silent = tuple(d for d in facts.devices if d.last_seen is None or d.offline)
    back = facts.last_home_activity
    if facts.hospital_since is not None and (back is None or back <= facts.hospital_since):
        return Wellbeing("in_hospital", facts.hospital_since, silent)
    if all(d.last_seen is None for d in facts.devices) and facts.last_activity is None:
        return Wellbeing("no_data", None, silent)
    if facts.gateway == "offline":
        return Wellbeing("offline", facts.gateway_since, silent)
    if silent or facts.gateway != "online":
        seen = [d.last_seen for d in silent if d.last_seen is not None]
        return Wellbeing("offline", min(seen) if seen else None, silent)
    if facts.away is not None:
        return Wellbeing("away", facts.away[0], silent)
    if facts.last_activity is None or facts.last_activity < midnight:
        return Wellbeing("quiet", None, silent)
    return Wellbeing("fine", None, silent)


def home_facts(session: Session, home: Home, now: float) -> HomeFacts:
    rows = session.scalars(select(Device).where(Device.home_id == home.id).order_by(Device.id))
    devices = tuple(DeviceFact(d.id, d.kind, d.role, d.last_seen, bool(d.offline)) for d in rows)
    last_activity = _last_activity(session, home.id, ACTIVITY_METRICS)
    newest = session.scalars(
        select(Alert)
        .where(Alert.home_id == home.id, Alert.resolved_at.is_not(None))
        .order_by(Alert.resolved_at.desc())
        .limit(1)
    ).first()
    hospital = newest.resolved_at if newest is not None and newest.outcome == "hospital" else None
    away = current(home.config, now)
    return HomeFacts(
        gateway=home.status or "unknown",
        gateway_since=home.status_at,
        devices=devices,
        last_activity=last_activity,
        hospital_since=hospital,
        last_home_activity=_last_activity(session, home.id, HOME_METRICS),
        away=None if away is None else (away.start.timestamp(), away.end.timestamp()),
    )


def _last_activity(session: Session, home_id: str, metrics: tuple[str, ...]) -> float | None:
    """The newest reading that shows her moving: a door either way; motion, presence, an
    appliance or steps only when something moved (a sensor resetting is no sign of her)."""
    return session.scalar(
        select(func.max(ReadingRow.ts)).where(
            ReadingRow.home_id == home_id,
            ReadingRow.metric.in_(metrics),
            (ReadingRow.metric == "contact") | (ReadingRow.number > 0),
        )
    )


def _alerts_since(session: Session, home_id: str, since: float) -> list[float | None]:
    """When each of her cases that began at or after ``since`` was resolved (None: open)."""
    return list(
        session.scalars(
            select(Alert.resolved_at).where(Alert.home_id == home_id, Alert.started >= since)
        )
    )


def wellbeing(session: Session, home: Home, now: float) -> dict[str, Any]:
    """The resident's state with its evidence, as the API shows it (times in the home's
    zone)."""
    tz = ZoneInfo(home.timezone)
    midnight = datetime.combine(datetime.fromtimestamp(now, tz).date(), time(0), tz).timestamp()
    facts = home_facts(session, home, now)
    found = assess(facts, midnight=midnight)
    today = _alerts_since(session, home.id, midnight)
    at = lambda epoch: local_time(epoch, tz)  # noqa: E731
    return {
        "state": found.state,
        "since": at(found.since),
        "until": at(facts.away[1]) if facts.away is not None else None,
        "last_activity": at(facts.last_activity),
        "gateway": facts.gateway,
        "alerts_today": len(today),
        "alerts_today_open": sum(1 for resolved in today if resolved is None),
        "devices": len(facts.devices),
        "silent": [
            {"id": d.id, "kind": d.kind, "role": d.role, "last_seen": at(d.last_seen)}
            for d in found.silent
        ],
    }
