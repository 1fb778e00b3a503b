"""'Fine' needs evidence: hub/wellbeing.py's rule on a real SQLite store.

A new home that never reported is not fine; a home whose devices report and where she moved
today is; a gateway gone offline says since when; a resident resolved as taken to hospital is
in hospital until something moves at home again; a day without any movement is quiet; while
an absence is announced she is away, never fine nor quiet, and an offline home still says so.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from hub import absences
from hub.schema import Alert, Device, Home, ReadingRow
from hub.store import Store
from hub.wellbeing import wellbeing
from tests.support.factories import HOME, STATION, register_homes

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 15:00 in the home: "today" began 15 hours before.
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=SHANGHAI).timestamp()
MIDNIGHT = datetime.combine(datetime.fromtimestamp(NOW, SHANGHAI).date(), time(0), SHANGHAI)


@pytest.fixture
def store(tmp_path):
    store = Store.sqlite(tmp_path / "hub.db")
    register_homes(store, now=NOW - 86400)
    yield store
    store.close()


def state(store: Store) -> dict:
    with store.sessions() as session:
        return wellbeing(session, session.get(Home, HOME), NOW)


def all_reporting(store: Store, *, moved_at: float | None) -> None:
    """The gateway online, every device seen a minute ago, and (if given) a door opened."""
    with store.transaction() as session:
        home = session.get(Home, HOME)
        home.status, home.status_at = "online", NOW - 3600
        for device in session.query(Device).filter(Device.home_id == HOME):
            device.last_seen = NOW - 60
        if moved_at is not None:
            session.add(
                ReadingRow(home_id=HOME, device="radar_bath", metric="presence", ts=moved_at,
                           number=1)
            )  # fmt: skip


def test_a_home_that_never_reported_is_no_data_not_fine(store):
    found = state(store)
    assert found["state"] == "no_data"
    assert found["gateway"] == "unknown" and found["last_activity"] is None
    # Every device of the config is named as silent, never seen.
    assert {d["id"] for d in found["silent"]} == {"radar_bath", "sos_bed", "band"}
    assert all(d["last_seen"] is None for d in found["silent"])


def test_fine_needs_activity_today_and_every_device_reporting(store):
    all_reporting(store, moved_at=NOW - 600)
    found = state(store)
    assert found["state"] == "fine" and found["silent"] == []
    assert found["last_activity"].startswith("2026-03-10T14:50")


def test_a_bracelet_that_never_reported_keeps_the_home_from_fine(store):
    all_reporting(store, moved_at=NOW - 600)
    with store.transaction() as session:
        session.get(Device, (HOME, "band")).last_seen = None
    found = state(store)
    assert found["state"] == "offline"
    assert [(d["id"], d["last_seen"]) for d in found["silent"]] == [("band", None)]


def test_a_gateway_offline_says_since_when(store):
    all_reporting(store, moved_at=NOW - 600)
    with store.transaction() as session:
        home = session.get(Home, HOME)
        home.status, home.status_at = "offline", NOW - 7200
    found = state(store)
    assert found["state"] == "offline" and found["since"].startswith("2026-03-10T13:00")


def test_no_movement_since_midnight_is_quiet(store):
    all_reporting(store, moved_at=MIDNIGHT.timestamp() - 60)  # last seen moving yesterday
    assert state(store)["state"] == "quiet"


def test_in_hospital_until_something_moves_at_home(store):
    all_reporting(store, moved_at=NOW - 3 * 3600)
    with store.transaction() as session:
        session.add(
            Alert(home_id=HOME, station_id=STATION, kind="fall", severity="critical",
                  active=False, acknowledged=True, started=NOW - 2 * 3600,
                  raised_at=NOW - 2 * 3600, updated_at=NOW - 3600, resolved_at=NOW - 3600,
                  resolved_by="张丽", outcome="hospital", detector="fall", evidence={})
        )  # fmt: skip
        # Her bracelet walked to the hospital with her: its steps are not her home.
        session.add(ReadingRow(home_id=HOME, device="band", metric="steps", ts=NOW - 60,
                               number=300))  # fmt: skip
    found = state(store)
    assert found["state"] == "in_hospital" and found["since"].startswith("2026-03-10T14:00")

    all_reporting(store, moved_at=NOW - 30)  # the front door, the radar: she is home
    assert state(store)["state"] == "fine"


def announce_away(store: Store, start: float, end: float) -> None:
    with store.transaction() as session:
        home = session.get(Home, HOME)
        absences.announce(
            session, home, datetime.fromtimestamp(start, SHANGHAI),
            datetime.fromtimestamp(end, SHANGHAI), by="li.ming", now=NOW,
        )  # fmt: skip


def test_never_fine_nor_quiet_while_she_is_announced_away(store):
    all_reporting(store, moved_at=NOW - 600)  # a neighbour watering the plants
    announce_away(store, NOW - 5 * 3600, NOW + 2 * 86400)
    found = state(store)
    assert found["state"] == "away"
    assert found["since"].startswith("2026-03-10T10:00")
    assert found["until"].startswith("2026-03-12T15:00")
    all_reporting(store, moved_at=MIDNIGHT.timestamp() - 60)  # nothing moved today: expected
    assert state(store)["state"] == "away"


def test_an_absence_to_come_or_ended_changes_nothing(store):
    all_reporting(store, moved_at=NOW - 600)
    announce_away(store, NOW + 3600, NOW + 86400)
    assert state(store)["state"] == "fine" and state(store)["until"] is None


def test_a_home_offline_during_an_absence_still_says_offline(store):
    all_reporting(store, moved_at=NOW - 600)
    announce_away(store, NOW - 3600, NOW + 86400)
    with store.transaction() as session:
        home = session.get(Home, HOME)
        home.status, home.status_at = "offline", NOW - 1800
    found = state(store)
    assert found["state"] == "offline" and found["until"].startswith("2026-03-11T15:00")


def test_todays_alerts_are_counted_beside_fine_closed_or_not(store):
    """'All is well today' on the family's phone needs no alert today: a day with an SOS and
    a low SpO2 the station has closed since is still the day they happened. The hub counts
    hers that began since midnight (yesterday's do not count), and those still open."""
    all_reporting(store, moved_at=NOW - 600)
    assert (state(store)["alerts_today"], state(store)["alerts_today_open"]) == (0, 0)

    def case(kind: str, started: float, resolved: float | None) -> Alert:
        return Alert(home_id=HOME, station_id=STATION, kind=kind, severity="critical",
                     active=False, acknowledged=True, started=started, raised_at=started,
                     updated_at=started, resolved_at=resolved,
                     resolved_by="张丽" if resolved else None, detector=kind, evidence={},
                     outcome="handled" if resolved else None)  # fmt: skip

    with store.transaction() as session:
        day = MIDNIGHT.timestamp()
        session.add(case("fall", day - 3600, day - 1800))  # yesterday 23:00: not today
        session.add(case("sos", day + 6.5 * 3600, day + 7 * 3600))
        session.add(case("low_spo2", day + 8.5 * 3600, day + 9 * 3600))
    found = state(store)
    assert found["state"] == "fine"  # the sensors' reading of her: unchanged
    assert (found["alerts_today"], found["alerts_today_open"]) == (2, 0)

    with store.transaction() as session:
        session.add(case("no_activity", NOW - 300, None))
    assert (state(store)["alerts_today"], state(store)["alerts_today_open"]) == (3, 1)
