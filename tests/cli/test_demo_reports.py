"""The demo's districts, supervisors and report history (eldercare/demo_reports.py) on a real
store: the district account oversees two stations, the city account three, and each has a
month of figures."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

from eldercare.demo_reports import seed_reports
from hub import districts, reports
from hub.accounts import save_user
from hub.registry import save_home, save_station
from hub.schema import User
from hub.store import Store
from tests.support.factories import make_home
from tests.support.stores import fresh_database


def test_the_demo_seeds_areas_supervisors_and_a_month_of_figures(tmp_path):
    store = Store(fresh_database(tmp_path))
    now = time.time()
    with store.transaction() as session:
        save_station(session, "st-demo-01", name="demo")
        save_home(session, make_home("h001", "st-demo-01"))
        save_user(session, "family", name="李明", role="family", password="demo-pass",
                  residents=["h001"])  # fmt: skip
        written = seed_reports(session, "st-demo-01", ["h001"], password="demo-pass", now=now)
    assert written > 30
    zone = ZoneInfo("Asia/Shanghai")
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
