"""Monthly figures on a real store with hand-made alerts (hub.reports, hub.districts).

December 2026 in Asia/Shanghai: 2026-12-01T00:00+08:00 = 1796054400. Station st1 (district
d1) has five critical falls and two major no_activity alerts; st2 (d1 too) one critical SOS;
st3 (district d2) one fall, which d1's figures must not count.

Acknowledged after (seconds), by hand:
  st1 critical: 60, 120, 240, 600, never  -> acknowledged [60, 120, 240, 600]
      median (120 + 240) / 2 = 180; p90 nearest rank: ceil(0.9 * 4) = 4th = 600;
      within 5 minutes: 60, 120, 240 = 3 of the 5 raised = 0.6
  st1 major:    30, 900
  st1 all acknowledged: [30, 60, 120, 240, 600, 900] -> median (120 + 240) / 2 = 180,
      p90: ceil(5.4) = 6th = 900
  st2 critical: 400 -> d1 critical [60, 120, 240, 400, 600]: median 240, p90 ceil(4.5) = 5th
      = 600, within 5 min 3 of 6 raised = 0.5
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from hub import districts, reports
from hub.accounts import Scope, save_user
from hub.alerts import AlertManager
from hub.registry import save_home, save_station
from hub.reports import Section
from hub.schema import Alert, Home, User
from hub.store import Store
from tests.support.factories import event_row, make_home, register_homes
from tests.support.stores import fresh_database

START = 1796054400.0  # 2026-12-01T00:00:00+08:00
DAY = 86400.0


def alert(home: str, station: str, kind: str, severity: str, raised: float, **more) -> Alert:
    fields = dict(home_id=home, station_id=station, kind=kind, severity=severity, active=False,
                  acknowledged=False, started=raised, raised_at=raised, updated_at=raised,
                  detector=kind, evidence={}, related=[], escalation_step=0)  # fmt: skip
    fields.update(more)
    if fields.get("acknowledged_at") is not None:
        fields["acknowledged"] = True
    return Alert(**fields)


def world(tmp_path) -> Store:  # type: ignore[no-untyped-def]
    store = Store(fresh_database(tmp_path))
    with store.transaction() as session:
        districts.save_city(session, "c1", name="合肥市")
        districts.save_district(session, "d1", name="蜀山区", city="c1")
        districts.save_district(session, "d2", name="包河区", city="c1")
        for station, district in (("st1", "d1"), ("st2", "d1"), ("st3", "d2")):
            save_station(session, station, name=f"站 {station}")
            districts.place_station(session, station, district)
        for home, station in (("h1", "st1"), ("h2", "st2"), ("h3", "st3")):
            save_home(session, make_home(home, station))
        t = START + 2 * DAY
        ack = lambda n, after: dict(acknowledged_at=t + n * 1000 + after)  # noqa: E731
        rows = [
            alert("h1", "st1", "fall", "critical", t + 0, **ack(0, 60), outcome="handled",
                  resolved_at=t + 900),
            alert("h1", "st1", "fall", "critical", t + 1000, **ack(1, 120),
                  outcome="false_alarm", resolved_at=t + 2000),
            alert("h1", "st1", "fall", "critical", t + 2000, **ack(2, 240),
                  outcome="handled", resolved_at=t + 2900),
            alert("h1", "st1", "fall", "critical", t + 3000, **ack(3, 600),
                  outcome="hospital", resolved_at=t + 3900),
            alert("h1", "st1", "fall", "critical", t + 4000),  # never acknowledged, open
            alert("h1", "st1", "no_activity", "major", t + 5000, **ack(5, 30),
                  outcome="false_alarm", resolved_at=t + 5900),
            alert("h1", "st1", "no_activity", "major", t + 6000, **ack(6, 900),
                  outcome="handled", resolved_at=t + 6950),
            alert("h2", "st2", "sos", "critical", t + 7000, **ack(7, 400), outcome="handled",
                  resolved_at=t + 7900),
            alert("h3", "st3", "fall", "critical", t + 8000, **ack(8, 5), outcome="handled",
                  resolved_at=t + 8900),
            # November: not this month's
            alert("h1", "st1", "fall", "critical", START - 10, acknowledged_at=START,
                  outcome="handled", resolved_at=START + 60),
            # h2's gateway offline for 30 hours in the month; h1's device for 20 hours only
            alert("h2", "st2", "home_offline", "major", t, cleared_at=t + 30 * 3600),
            alert("h1", "st1", "device_offline", "minor", t, cleared_at=t + 20 * 3600),
        ]  # fmt: skip
        session.add_all(rows)
        save_user(session, "qu", name="区", role="district", password="pw-long-enough",
                  areas=["d1"])  # fmt: skip
    return store


def by_id(found: list[dict]) -> dict[str, dict]:  # type: ignore[type-arg]
    return {f"{r['level']}:{r['id']}": r for r in found}


def test_monthly_figures_per_station_district_and_city(tmp_path):
    store = world(tmp_path)
    start, end = reports.month_bounds(date(2026, 12, 1), ZoneInfo("Asia/Shanghai"))
    assert start == START
    with store.sessions() as session:
        admin = Scope("a", "A", "admin", frozenset(), frozenset())
        areas = districts.areas_for(session, admin)
        now = START + 20 * DAY
        found = by_id([reports.area_report(session, a, start, end, now) for a in areas])
    st1 = found["station:st1"]
    assert st1["alerts"]["total"] == 8  # with h1's device_offline
    assert st1["alerts"]["by_kind"]["fall"] == {
        "handled": 2, "false_alarm": 1, "hospital": 1, "open": 1,
    }  # fmt: skip
    assert st1["alerts"]["by_kind"]["no_activity"] == {"false_alarm": 1, "handled": 1}
    assert st1["acknowledge"]["median_s"] == 180.0
    assert st1["acknowledge"]["p90_s"] == 900.0
    critical = st1["acknowledge"]["critical"]
    assert (critical["raised"], critical["acknowledged"]) == (5, 4)
    assert (critical["median_s"], critical["p90_s"]) == (180.0, 600.0)
    assert (critical["within_5min"], critical["share_within_5min"]) == (3, 0.6)

    d1 = found["district:d1"]
    assert d1["stations"] == ["st1", "st2"]
    assert d1["alerts"]["total"] == 8 + 2  # st1's, st2's SOS and its gateway offline
    d1_critical = d1["acknowledge"]["critical"]
    assert (d1_critical["median_s"], d1_critical["p90_s"]) == (240.0, 600.0)
    assert d1_critical["share_within_5min"] == 0.5
    assert d1["offline_homes"] == {"count": 1, "homes": ["h2"]}
    assert found["district:d2"]["alerts"]["total"] == 1
    assert found["city:c1"]["alerts"]["total"] == 11
    # Visits and service orders come from their modules: none planned or ordered here.
    visits = {"planned": 0, "done": 0, "reached": 0, "missed": 0}
    assert st1["sections"] == {
        "visits": {"available": True, "figures": visits},
        "orders": {"available": True, "figures": {}},
    }


def test_a_section_plugs_in_and_the_csv_says_what_has_no_data(tmp_path):
    store = world(tmp_path)
    start, end = reports.month_bounds(date(2026, 12, 1), ZoneInfo("Asia/Shanghai"))

    def visits(session, station_ids, start, end):  # type: ignore[no-untyped-def]
        return {"planned": 10 * len(station_ids), "done": 7}

    sections = [Section("visits", visits), Section("orders", None)]
    with store.sessions() as session:
        scope = districts.scope_of(session, session.get(User, "qu"))
        assert scope.stations == frozenset({"st1", "st2"})
        areas = districts.areas_for(session, scope)
        assert {(a.level, a.id) for a in areas} == {
            ("station", "st1"), ("station", "st2"), ("district", "d1"), ("city", "c1"),
        }  # fmt: skip
        found = [reports.area_report(session, a, start, end, START + 20 * DAY, sections)
                 for a in areas]  # fmt: skip
    city = by_id(found)["city:c1"]
    assert city["stations"] == ["st1", "st2"]  # st3 is not the district account's
    assert city["sections"]["visits"] == {"available": True, "figures": {"planned": 20, "done": 7}}
    rows = reports.csv_rows("2026-12", found)
    assert rows[0] == ["level", "id", "name", "month", "figure", "detail", "value"]
    mine = [r for r in rows if r[1] == "st2"]
    assert ["station", "st2", "站 st2", "2026-12", "acknowledge_critical", "median_s",
            "400.000"] in mine  # fmt: skip
    assert ["station", "st2", "站 st2", "2026-12", "orders", "available", "no"] in mine
    assert ["station", "st2", "站 st2", "2026-12", "visits", "planned", "10"] in mine
    # A district with no alert in the month: no median, an empty value, not 0.
    with store.transaction() as session:
        districts.save_district(session, "d9", name="空区", city="c1")
    with store.sessions() as session:
        empty = districts.Area("district", "d9", "空区", "c1", ())
        report = reports.area_report(session, empty, start, end, START + 20 * DAY)
    assert report["acknowledge"]["median_s"] is None
    assert ["district", "d9", "空区", "2026-12", "acknowledge", "median_s", ""] in (
        reports.csv_rows("2026-12", [report])
    )


def test_a_second_fall_on_an_acknowledged_case_does_not_stretch_its_time_to_acknowledge(
    tmp_path,
):
    """Through the alert manager: a fall acknowledged after a minute; she got up; three hours
    later she fell again, the same case re-activated and unacknowledged, acknowledged again
    after two minutes. The station took a minute to react to the case, not three hours."""
    store = Store(fresh_database(tmp_path))
    now = [START + 2 * DAY]
    manager = AlertManager(clock=lambda: now[0])
    register_homes(store, make_home("h1", "st1"), station_name="站 st1", now=now[0])
    seq = iter(range(1, 100))

    def fall(state: str) -> list:  # type: ignore[type-arg]
        with store.transaction() as session:
            row = event_row("fall", state, seq=next(seq), ts=now[0], home="h1")
            session.add(row)
            return manager.on_event(session, session.get(Home, "h1"), row)

    def acknowledge(alert_id: int) -> None:
        with store.transaction() as session:
            manager.acknowledge(session, alert_id, "张丽")

    (raised,) = fall("raised")
    now[0] += 60
    acknowledge(raised.alert["id"])
    now[0] += 600
    fall("cleared")
    now[0] += 3 * 3600
    (again,) = fall("raised")
    assert again.alert["id"] == raised.alert["id"]
    assert again.alert["state"] == "active_unacknowledged"
    now[0] += 120
    acknowledge(raised.alert["id"])

    start, end = reports.month_bounds(date(2026, 12, 1), ZoneInfo("Asia/Shanghai"))
    with store.sessions() as session:
        station = districts.Area("station", "st1", "站 st1", None, ("st1",))
        report = reports.area_report(session, station, start, end, now[0])
    store.close()
    ack = report["acknowledge"]
    assert (ack["acknowledged"], ack["median_s"], ack["p90_s"]) == (1, 60.0, 60.0)
    assert (ack["critical"]["within_5min"], ack["critical"]["share_within_5min"]) == (1, 1.0)
