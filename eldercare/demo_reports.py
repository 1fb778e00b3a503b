"""The demo's districts, city, supervisors and a month of report history (issue #16).

The demo station goes into 颍州区 of 阜阳市 beside a second station; a third station is in
颍东区, which the district account does not oversee (the city account does). Each of the
extra stations has two homes (registered only: they send nothing, so the pages say "no data"
for them); every station gets a past month of resolved alerts with acknowledge times drawn
from a seeded random generator, and a few long offline cases. The family account asks for
its morning summary at 07:30 (the resident's time), which the hub makes from what the
simulated homes have sent by then.

The history is all over before the simulated day begins (``before``: 06:00 of the day the
demo replays), so nothing of it happens today after her live morning began, nor in the
future of the demo's clock; its kinds are the hub's own (hub/texts.py), and each case is
closed with an outcome the console offers that fits its kind (a low battery is not taken to
hospital). No seeded case is closed as visited: a visit would then be on record too.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from contracts.home import HomeConfig
from hub import districts
from hub.accounts import save_user
from hub.registry import save_home, save_station
from hub.schema import Alert, AlertChange, User

CITY = ("fuyang", "阜阳市")
DISTRICTS = (("yingzhou", "颍州区"), ("yingdong", "颍东区"))
EXTRA_STATIONS = (
    ("st-demo-02", "清河社区养老服务站 (demo)", "yingzhou"),
    ("st-demo-03", "向阳社区养老服务站 (demo)", "yingdong"),
)
# (user name, name, role, area)
SUPERVISORS = (
    ("district", "赵敏", "district", "yingzhou"),
    ("city", "钱进", "city", "fuyang"),
)
# Kinds, their detectors, severities and how often each comes in a month at one station.
KINDS = (
    ("fall", "fall", "critical", 4),
    ("sos", "sos", "critical", 3),
    ("no_activity", "no_activity", "major", 6),
    ("not_up", "not_up", "major", 3),
    ("abnormal_heart_rate", "heart_rate", "major", 2),
    ("battery_low", "device_health", "minor", 5),
)
# How each kind's cases were closed, drawn from with these weights (contracts/alert.py).
OUTCOMES: dict[str, tuple[tuple[str, int], ...]] = {
    "fall": (("handled", 5), ("false_alarm", 2), ("hospital", 1)),
    "sos": (("handled", 4), ("false_alarm", 3), ("hospital", 1)),
    "no_activity": (("handled", 4), ("false_alarm", 2)),
    "not_up": (("handled", 3), ("false_alarm", 1)),
    "abnormal_heart_rate": (("handled", 3), ("false_alarm", 1), ("hospital", 1)),
    "battery_low": (("handled", 1),),  # the battery was changed
}
# The hours of the day (the homes' time) a kind's cases began at; any hour if not listed.
HOURS = {"not_up": (8.0, 10.5), "no_activity": (9.0, 20.0)}
ZONE = ZoneInfo("Asia/Shanghai")  # the demo homes'
DAY = 86400.0
SUMMARY_AT = "07:30"


def _extra_home(home_id: str, station: str, name: str, birth_year: int) -> HomeConfig:
    return HomeConfig.model_validate(
        {
            "home": home_id,
            "station": station,
            "timezone": "Asia/Shanghai",
            "resident": {"name": name, "birth_year": birth_year},
            "devices": [{"id": "band", "kind": "bracelet", "role": "wrist", "source": "native"}],
        }
    )


def _history(
    session: Session, station: str, homes: list[str], before: float, rng: random.Random
) -> int:
    """A month and a half of closed cases at ``station``, every one closed ``before``:
    acknowledged after a minute or two mostly, now and then much later; one in ten never
    acknowledged before it was closed."""
    count = 0
    # Days before the one ``before`` is in (five hours earlier: a case begun at 23:59 and
    # closed at most 4 h 10 min later is over by then, whenever the day begins).
    first_day = datetime.fromtimestamp(before - 5 * 3600, ZONE).date() - timedelta(days=1)
    for kind, detector, severity, per_month in KINDS:
        outcomes, weights = zip(*OUTCOMES[kind], strict=True)
        for _ in range(per_month * 3 // 2 + rng.randint(-1, 2)):
            took = min(rng.lognormvariate(4.6, 0.9), 4 * 3600.0)  # median about 100 s
            # A day of this month so far and the last, before the simulated one; at an hour
            # the kind comes at (no one is "not up" at night).
            day = first_day - timedelta(days=rng.randint(0, 44))
            start, end = HOURS.get(kind, (0.0, 24.0))
            at = datetime.combine(day, time(0), ZONE) + timedelta(hours=rng.uniform(start, end))
            raised = at.timestamp()
            closed = raised + took + 600
            acknowledged = None if rng.random() < 0.1 else raised + took
            fields: dict[str, Any] = dict(
                home_id=rng.choice(homes), station_id=station, kind=kind, severity=severity,
                active=False, acknowledged=acknowledged is not None, started=raised,
                raised_at=raised, updated_at=closed, cleared_at=raised + 300,
                acknowledged_at=acknowledged, acknowledged_by="张丽" if acknowledged else None,
                resolved_at=closed, resolved_by="张丽",
                outcome=rng.choices(outcomes, weights)[0], detector=detector,
                evidence={"demo": "history"}, related=[], escalation_step=0,
            )  # fmt: skip
            _add_with_history(session, Alert(**fields), acknowledged)
            count += 1
    # One home's gateway was off for two days this month.
    off = before - rng.uniform(5, 20) * DAY
    back = off + 2 * DAY
    offline = Alert(
        home_id=homes[-1], station_id=station, kind="home_offline", severity="major",
        active=False, acknowledged=True, started=off, raised_at=off, updated_at=off,
        cleared_at=back, acknowledged_at=off + 900, acknowledged_by="张丽", resolved_at=back,
        resolved_by="张丽", outcome="handled", detector="home_offline", evidence={},
        related=[], escalation_step=0,
    )  # fmt: skip
    _add_with_history(session, offline, off + 900)
    return count + 1


def _add_with_history(session: Session, alert: Alert, acknowledged: float | None) -> None:
    """A closed case and the history the hub would have recorded of it: raised and cleared
    by the home's edge, acknowledged and resolved by the dispatcher. Without it the family's
    story of a past alert opens on nothing."""
    session.add(alert)
    session.flush()  # the id
    edge = f"edge:{alert.home_id}"
    rows = [
        (alert.raised_at, edge, "raised", {"severity": alert.severity}),
        (alert.cleared_at, edge, "cleared", {}),
        (acknowledged, alert.acknowledged_by, "acknowledged", {}),
        (alert.resolved_at, alert.resolved_by, "resolved", {"outcome": alert.outcome}),
    ]
    for at, actor, action, detail in sorted(
        (row for row in rows if row[0] is not None and row[1] is not None), key=lambda r: r[0]
    ):
        session.add(
            AlertChange(alert_id=alert.id, at=at, actor=actor, action=action, detail=detail)
        )


def seed_reports(
    session: Session, station: str, homes: list[str], *, password: str, before: float
) -> int:
    """Areas, supervisors, the other stations and a month of history, all of it over
    ``before`` (the start of the demo's simulated day); the alerts written."""
    rng = random.Random(16)
    districts.save_city(session, CITY[0], name=CITY[1])
    for district_id, name in DISTRICTS:
        districts.save_district(session, district_id, name=name, city=CITY[0])
    session.flush()
    districts.place_station(session, station, DISTRICTS[0][0])
    written = _history(session, station, homes, before, rng)
    names = iter(("周桂兰", "吴玉珍", "郑秀芳", "孙淑英"))
    for extra, name, district in EXTRA_STATIONS:
        save_station(session, extra, name=name, phone="0558-0000001")
        session.flush()
        districts.place_station(session, extra, district)
        extra_homes = []
        for n in (1, 2):
            home = _extra_home(f"{extra}-h{n}", extra, next(names), 1938 + n)
            save_home(session, home)
            extra_homes.append(home.home)
        session.flush()
        written += _history(session, extra, extra_homes, before, rng)
    for username, name, role, area in SUPERVISORS:
        save_user(session, username, name=name, role=role, password=password, areas=[area])
    family = session.get(User, "family")
    if family is not None:
        family.summary_at = SUMMARY_AT
    return written
