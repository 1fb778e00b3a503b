"""Night rounds on a real SQLite store: each room's rounds of the night, the missed ones, and
which night a moment belongs to (Asia/Shanghai, the unit's own window)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from contracts.home import HomeConfig
from hub.floor import floor_view
from hub.places import EscalationDelays, add_bed, add_room, add_unit, save_institution
from hub.registry import save_home, save_station
from hub.rounds import night_of, record_round, slot_states
from hub.schema import Unit
from hub.store import Store
from tests.support.factories import ward_config
from tests.support.stores import fresh_database

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> float:
    """A local time in Shanghai, 2026-12-04 evening to 2026-12-05 ("12-05 03:30")."""
    return datetime.strptime(f"2026-{text}", "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI).timestamp()


@pytest.fixture
def ward(tmp_path):
    store = Store(fresh_database(tmp_path))
    with store.transaction() as session:
        save_station(session, "inst1", name="颐和养老院")
        save_institution(session, "inst1", timezone="Asia/Shanghai",
                         delays=EscalationDelays(), severities={})  # fmt: skip
        unit = add_unit(session, "inst1", "3F")
        rooms = {name: add_room(session, unit.id, name).id for name in ("301", "302")}
        add_bed(session, rooms["301"], "1")
        config = HomeConfig.model_validate(ward_config("r301a", "inst1", "3F", "301", "1"))
        save_home(session, config, now=at("12-04 12:00"))
        unit_id = unit.id
    yield store, unit_id, rooms
    store.close()


def test_a_round_missed_in_the_night_shows_until_the_next_night(ward):
    store, unit_id, rooms = ward
    with store.transaction() as session:
        record_round(session, rooms["301"], by="护工甲", at=at("12-04 22:10"))
        record_round(session, rooms["301"], by="护工甲", at=at("12-05 02:05"), note="睡得好")
        record_round(session, rooms["302"], by="护工乙", at=at("12-04 23:50"))
        record_round(session, rooms["302"], by="护工乙", at=at("12-05 01:00"))
    with store.sessions() as session:
        unit = session.get(Unit, unit_id)
        floor = floor_view(session, unit, rooms=None, now=at("12-05 03:30"))
        by_room = {room["name"]: room for room in floor["rooms"]}
        assert [s["state"] for s in by_room["301"]["rounds"]] == ["done", "missed", "done"]
        assert by_room["301"]["missed_rounds"] == 1
        assert by_room["301"]["last_round"] == {"at": "2026-12-05T02:05:00+08:00",
                                                "by": "护工甲", "note": "睡得好"}  # fmt: skip
        # 302: 00:00-02:00 done at 01:00; 02:00-04:00 still due at 03:30.
        assert [s["state"] for s in by_room["302"]["rounds"]] == ["done", "done", "due"]
        assert by_room["302"]["missed_rounds"] == 0
        # In the afternoon the night is over: 301 missed 00-02, 302 also 02-04 and 04-06.
        floor = floor_view(session, unit, rooms=None, now=at("12-05 14:00"))
        missed = {room["name"]: room["missed_rounds"] for room in floor["rooms"]}
        assert missed == {"301": 2, "302": 2}
        # A caregiver's view: only her rooms.
        mine = floor_view(session, unit, rooms={rooms["302"]}, now=at("12-05 03:30"))
        assert [room["name"] for room in mine["rooms"]] == ["302"]


def test_which_night_a_moment_belongs_to(ward):
    store, unit_id, _rooms = ward
    with store.sessions() as session:
        unit = session.get(Unit, unit_id)
        night = night_of(unit, "Asia/Shanghai", at("12-05 03:30"))
        assert (night.start, night.end) == (at("12-04 22:00"), at("12-05 06:00"))
        assert night_of(unit, "Asia/Shanghai", at("12-05 14:00")) == night  # last night's
        tonight = night_of(unit, "Asia/Shanghai", at("12-05 22:30"))
        assert tonight.start == at("12-05 22:00")
        assert [s.state for s in slot_states(tonight, [], at("12-05 22:30"))] == ["due"]
