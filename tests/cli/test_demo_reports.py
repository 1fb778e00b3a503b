"""The demo's districts, supervisors and report history (eldercare/demo_reports.py) on a real
store: the district account oversees two stations, the city account three, and each has a
month of figures."""

from __future__ import annotations

import time
from datetime import datetime
from datetime import time as dt_time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from contracts.alert import OUTCOMES
from eldercare.demo_reports import seed_reports
from hub import districts, reports
from hub.accounts import save_user
from hub.registry import save_home, save_station
from hub.schema import Alert, AlertChange, User
from hub.store import Store
from hub.texts import KIND_NAMES
from tests.support.factories import make_home
from tests.support.stores import fresh_database


def test_the_demo_seeds_areas_supervisors_and_a_month_of_figures(tmp_path):
    store = Store(fresh_database(tmp_path))
    now = time.time()
    zone = ZoneInfo("Asia/Shanghai")
    # The demo's simulated day begins at 06:00 (eldercare/demo.py).
    before = datetime.combine(datetime.fromtimestamp(now, zone).date(), dt_time(6), zone)
    with store.transaction() as session:
        save_station(session, "st-demo-01", name="demo")
        save_home(session, make_home("h001", "st-demo-01"))
        save_user(session, "family", name="李明", role="family", password="demo-pass",
                  residents=["h001"])  # fmt: skip
        written = seed_reports(session, "st-demo-01", ["h001"], password="demo-pass",
                               before=before.timestamp())  # fmt: skip
    assert written > 30
    month = datetime.fromtimestamp(now, zone).date()
    start, end = reports.month_bounds(month.replace(day=1), zone)
    with store.sessions() as session:
        assert session.get(User, "family").summary_at == "07:30"
        district = districts.scope_of(session, session.get(User, "district"))
        city = districts.scope_of(session, session.get(User, "city"))
        assert district.stations == {"st-demo-01", "st-demo-02"}
        assert city.stations == {"st-demo-01", "st-demo-02", "st-demo-03"}
        figures = {a.id: reports.area_report(session, a, start - 40 * 86400.0, end, now)
                   for a in districts.areas_for(session, city)}  # fmt: skip
    for station in city.stations:
        assert figures[station]["alerts"]["total"] > 5
        assert figures[station]["acknowledge"]["median_s"] is not None
        assert figures[station]["offline_homes"]["count"] == 1


def test_the_seeded_past_is_over_before_the_simulated_day_and_makes_sense(tmp_path):
    """The demo replays today from 06:00: a seeded case of today (a "not up" at 10:53 while
    her live morning shows her up at 07:23) or of the demo clock's future contradicted the
    live day. Every seeded case is over by then, of a kind the hub raises (no raw
    "tachycardia" on the family page), at an hour it comes at, closed as its kind can be (a
    low battery is not taken to hospital)."""
    store = Store(fresh_database(tmp_path))
    zone = ZoneInfo("Asia/Shanghai")
    before = datetime(2026, 12, 7, 6, 0, tzinfo=zone).timestamp()
    with store.transaction() as session:
        save_station(session, "st-demo-01", name="demo")
        save_home(session, make_home("h001", "st-demo-01"))
        seed_reports(session, "st-demo-01", ["h001"], password="demo-pass", before=before)
    with store.sessions() as session:
        seeded = session.scalars(select(Alert)).all()
    assert len(seeded) > 60
    for alert in seeded:
        assert alert.started < alert.resolved_at < before, alert.kind
        assert alert.raised_at < before and alert.updated_at < before
        assert alert.acknowledged_at is None or alert.acknowledged_at < alert.resolved_at
        assert alert.kind in KIND_NAMES and alert.outcome in OUTCOMES
        if alert.kind == "not_up":
            assert 8 <= datetime.fromtimestamp(alert.started, zone).hour <= 10
    closed = {(a.kind, a.outcome) for a in seeded}
    assert ("battery_low", "hospital") not in closed and ("not_up", "hospital") not in closed
    assert not {o for _k, o in closed} & {"visited", "no_answer_visited"}  # no visit on record
    assert {"fall", "sos", "abnormal_heart_rate", "battery_low"} <= {k for k, _o in closed}


def test_a_seeded_case_has_the_story_a_family_reads(tmp_path):
    """The family app's story of a past alert opened on nothing: the seeded cases had no
    history. Each now has what the hub records of a case, in order: raised, cleared,
    acknowledged (when it was), resolved with its outcome."""
    store = Store(fresh_database(tmp_path))
    before = datetime(2026, 12, 7, 6, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
    with store.transaction() as session:
        save_station(session, "st-demo-01", name="demo")
        save_home(session, make_home("h001", "st-demo-01"))
        seed_reports(session, "st-demo-01", ["h001"], password="demo-pass", before=before)
    with store.sessions() as session:
        for alert in session.scalars(select(Alert)).all():
            changes = session.scalars(
                select(AlertChange).where(AlertChange.alert_id == alert.id).order_by(AlertChange.id)
            ).all()
            actions = [c.action for c in changes]
            expected = {"raised", "cleared", "resolved"} | (
                {"acknowledged"} if alert.acknowledged else set()
            )
            assert sorted(actions) == sorted(expected), (alert.kind, actions)
            assert [c.at for c in changes] == sorted(c.at for c in changes)
            assert changes[0].action == "raised" and changes[-1].action == "resolved"
            assert changes[-1].detail == {"outcome": alert.outcome}
            assert all(c.at < before for c in changes)
