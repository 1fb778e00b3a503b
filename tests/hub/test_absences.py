"""Announced absences (外出登记): hub/absences.py's rules on a real store (SQLite, or
PostgreSQL with ``ELDERCARE_TEST_STORE=postgresql``), on a hand-set clock.

What the family or the station announces is kept in her home config and queued, retained,
for the edge, which keeps her routine alerts off meanwhile; ending one ("she is back") ends it
now, or calls it off when it has not begun; old ones go when the list is next written, and an
admin's config without ``away`` keeps them.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from contracts.home import HomeConfig
from hub import absences
from hub.absences import AbsenceError, AbsenceNotFound, InvalidAbsence
from hub.alerts import AlertManager
from hub.places import EscalationDelays, add_bed, add_room, add_unit, save_institution
from hub.registry import (
    deactivate_home,
    move_into_bed,
    reactivate_home,
    save_home,
    set_factor,
)
from hub.schema import Bed, Home, OutgoingMessage
from hub.store import Store
from tests.support.factories import (
    FAMILY,
    HOME,
    PREFIX,
    STATION,
    event_row,
    make_home,
    register_homes,
)
from tests.support.stores import fresh_database, on_postgresql

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR, DAY = 3600.0, 86_400.0
# Saturday 6 December 2026, 10:00 in her home.
NOW = datetime(2026, 12, 6, 10, 0, tzinfo=SHANGHAI).timestamp()


def at(hours: float) -> datetime:
    """``hours`` from NOW, on her wall clock (naive, as the family's phone sends it)."""
    return datetime.fromtimestamp(NOW + hours * HOUR, SHANGHAI).replace(tzinfo=None)


class World:
    def __init__(self, store: Store):
        self.store = store

    def announce(self, start: float, end: float, *, note: str = "", now: float = NOW, by=FAMILY):
        with self.store.transaction() as session:
            home = session.get(Home, HOME)
            return absences.announce(
                session, home, at(start), at(end), note=note, by=by, now=now, prefix=PREFIX
            )

    def end(self, period, *, now: float = NOW):
        with self.store.transaction() as session:
            home = session.get(Home, HOME)
            return absences.end_now(
                session, home, absences.period_id(period), by="zhang.li", now=now, prefix=PREFIX
            )

    def away(self) -> list[tuple[float, float, str]]:
        """(start, end, by) of each absence stored, in hours from NOW."""
        with self.store.sessions() as session:
            periods = absences.periods_of(session.get(Home, HOME).config)
        return [
            ((p.start.timestamp() - NOW) / HOUR, (p.end.timestamp() - NOW) / HOUR, p.by)
            for p in periods
        ]

    def queued(self) -> list[HomeConfig]:
        """The configs queued for the edge, as the edge reads them."""
        with self.store.sessions() as session:
            rows = session.scalars(
                select(OutgoingMessage)
                .where(OutgoingMessage.topic == f"{PREFIX}/{HOME}/config")
                .order_by(OutgoingMessage.id)
            )
            return [HomeConfig.parse(row.payload.decode()) for row in rows]


@pytest.fixture
def world(tmp_path):
    store = Store(fresh_database(tmp_path))
    register_homes(store, now=NOW - 30 * DAY)
    yield World(store)
    store.close()


def test_an_announced_absence_is_kept_and_sent_to_the_edge_with_who_announced_it(world):
    period = world.announce(-1, 56, note="在合肥女儿家")
    assert world.away() == [(-1.0, 56.0, FAMILY)]
    pushed = world.queued()[-1]
    (sent,) = pushed.away
    assert (sent.note, sent.by) == ("在合肥女儿家", FAMILY)
    # The phone's 09:00 is her wall clock, kept in her zone.
    assert sent.start.isoformat() == "2026-12-06T09:00:00+08:00"
    assert pushed.away_at(NOW) == period and pushed.away_at(NOW + 57 * HOUR) is None
    # Sent twice (a double tap): once.
    world.announce(-1, 56, note="在合肥女儿家")
    assert len(world.away()) == 1


@pytest.mark.parametrize(
    ("start", "end", "why"),
    [
        (5, 2, "end after it starts"),
        (0, 93 * 24, "92 days at most"),
        (-50, -2, "over already"),
    ],
)
def test_an_absence_that_cannot_be_is_refused_with_the_reason(world, start, end, why):
    with pytest.raises(InvalidAbsence, match=why):
        world.announce(start, end)
    assert world.away() == [] and len(world.queued()) == 1  # only the registration's


def test_the_same_start_by_the_same_person_with_another_end_is_refused(world):
    world.announce(2, 30)
    with pytest.raises(AbsenceError, match="announced already"):
        world.announce(2, 48)
    assert world.away() == [(2.0, 30.0, FAMILY)]
    world.announce(2, 48, by="zhang.li")  # the station's own announcement is another
    assert len(world.away()) == 2


def test_she_is_back_ends_a_current_absence_now_and_calls_off_one_to_come(world):
    current = world.announce(-20, 30)
    coming = world.announce(48, 72)
    ended = world.end(current, now=NOW + HOUR)
    assert ended is not None and ended.end.timestamp() == NOW + HOUR
    assert world.away() == [(-20.0, 1.0, FAMILY), (48.0, 72.0, FAMILY)]
    assert world.queued()[-1].away_at(NOW + 2 * HOUR) is None  # the edge watches again
    assert world.end(coming, now=NOW + HOUR) is None
    assert world.away() == [(-20.0, 1.0, FAMILY)]
    # Ended once: a second "she is back" (another phone) is told it is over.
    with pytest.raises(AbsenceError, match="over already"):
        world.end(current, now=NOW + 2 * HOUR)
    with pytest.raises(AbsenceNotFound):
        world.end(coming, now=NOW + 2 * HOUR)


def test_the_coming_absence_is_the_soonest_to_start_after_now(world):
    world.announce(72, 96, note="later")
    world.announce(24, 48, note="Wednesday")
    world.announce(-2, 5, note="now")
    with world.store.sessions() as session:
        document = session.get(Home, HOME).config
    assert absences.upcoming(document, NOW).note == "Wednesday"
    assert absences.current(document, NOW).note == "now"
    assert absences.upcoming(document, NOW + 24 * HOUR).note == "later"  # Wednesday began
    assert absences.upcoming(document, NOW + 72 * HOUR) is None


def test_absences_over_for_a_week_go_when_the_list_is_next_written(world):
    world.announce(-9 * 24, -8 * 24, now=NOW - 9 * DAY)  # ended 8 days ago
    world.announce(-30, -4, now=NOW - 30 * HOUR)  # ended 4 hours ago
    assert len(world.away()) == 2  # nothing is dropped behind anyone's back
    world.announce(24, 48)
    assert world.away() == [(-30.0, -4.0, FAMILY), (24.0, 48.0, FAMILY)]


def test_at_most_twenty_the_oldest_ended_make_room_first(world):
    world.announce(-5, -4, now=NOW - 5 * HOUR, note="ended")
    for n in range(19):
        world.announce(24 * (n + 1), 24 * (n + 1) + 5, note=f"coming {n}")
    world.announce(24 * 30, 24 * 31, note="twentieth coming")  # room made by the ended one
    assert len(world.away()) == 20 and all(end > 0 for _start, end, _by in world.away())
    with pytest.raises(AbsenceError, match="20 absences are announced already"):
        world.announce(24 * 40, 24 * 41)
    assert len(world.away()) == 20


def test_an_admins_config_without_away_keeps_them_and_one_with_away_replaces_them(world):
    world.announce(-1, 30)
    with world.store.transaction() as session:
        set_factor(session, session.get(Home, HOME), "no_activity", 1.25, actor="hub",
                   reason="false_alarm", prefix=PREFIX, now=NOW)  # fmt: skip
    assert world.queued()[-1].away_at(NOW) is not None  # a feedback change keeps it
    edited = make_home(night={"start": "23:00", "end": "06:30"})  # her YAML knows nothing
    with world.store.transaction() as session:
        save_home(session, edited, prefix=PREFIX, now=NOW, actor="Administrator")
    assert world.away() == [(-1.0, 30.0, FAMILY)]
    pushed = world.queued()[-1]
    assert pushed.night.start.hour == 23 and pushed.away_at(NOW) is not None
    assert pushed.thresholds["feedback"] == {"no_activity": 1.25}
    with world.store.transaction() as session:
        save_home(session, make_home(away=[]), prefix=PREFIX, now=NOW, actor="Administrator")
    assert world.away() == [] and world.queued()[-1].away == ()
    replaced = {"start": "2026-12-24T08:00:00+08:00", "end": "2026-12-26T20:00:00+08:00",
                "note": "圣诞", "by": "admin"}  # fmt: skip
    with world.store.transaction() as session:
        save_home(session, make_home(away=[replaced]), prefix=PREFIX, now=NOW)
    assert [(p.note, p.by) for p in world.queued()[-1].away] == [("圣诞", "admin")]


def announced_while(world, other) -> None:
    """The family announces (2-30) in one transaction while ``other()`` runs in another,
    reading the home before the announce commits (PostgreSQL: it must wait for it)."""

    def announce(session) -> None:
        home = session.get(Home, HOME)
        absences.announce(session, home, at(2), at(30), by=FAMILY, now=NOW, prefix=PREFIX)

    changed_while(world, announce, other)


def changed_while(world, change, other) -> None:
    """``change(session)`` in one transaction while ``other()`` runs in another, reading
    the home before the change commits (PostgreSQL: it must wait for it)."""
    first_in, second_started = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def second() -> None:
        first_in.wait(10)
        second_started.set()
        try:
            other()
        except BaseException as exc:  # reported below
            failures.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    with world.store.transaction() as session:
        change(session)
        first_in.set()
        second_started.wait(10)
        time.sleep(0.5)  # the other reads the home now, before this commits
    thread.join(10)
    assert not failures


@pytest.mark.skipif(not on_postgresql(), reason="SQLite has one writer: nothing to race")
def test_two_announcing_at_once_both_keep_their_absence(world):
    announced_while(world, lambda: world.announce(50, 60, by="zhang.li"))
    assert sorted(world.away()) == [(2.0, 30.0, FAMILY), (50.0, 60.0, "zhang.li")]


def test_the_stored_document_is_what_the_edge_is_sent(world):
    world.announce(1, 5, note="复诊")
    with world.store.sessions() as session:
        stored = session.get(Home, HOME).config["away"]
    assert stored == json.loads(world.queued()[-1].to_json())["away"]


@pytest.mark.skipif(not on_postgresql(), reason="SQLite has one writer: nothing to race")
def test_an_admins_config_saved_while_one_is_announced_keeps_it(world):
    """The operator page saves her config (without ``away``) while the family announces:
    the absence the family was told is kept must not be written over by the list the
    save read before the announce committed."""

    def admin() -> None:
        with world.store.transaction() as session:
            edited = make_home(night={"start": "23:00", "end": "06:30"})
            save_home(session, edited, prefix=PREFIX, now=NOW, actor="Administrator")

    announced_while(world, admin)
    assert world.away() == [(2.0, 30.0, FAMILY)]
    assert world.queued()[-1].night.start.hour == 23 and len(world.queued()[-1].away) == 1


@pytest.mark.skipif(not on_postgresql(), reason="SQLite has one writer: nothing to race")
def test_a_move_to_another_bed_while_one_is_announced_keeps_it(world):
    """Her station is a care home; the admin moves her to another bed (her config's place
    written again) while her son announces that she is at his place: both are kept."""
    with world.store.transaction() as session:
        delays = EscalationDelays(station_after_s=60, head_nurse_after_s=300, repeat_s=300)
        save_institution(session, STATION, timezone="Asia/Shanghai", delays=delays, severities={})
        room = add_room(session, add_unit(session, STATION, "3F").id, "301")
        bed_id = add_bed(session, room.id, "2").id

    def admin() -> None:
        with world.store.transaction() as session:
            bed = session.get(Bed, bed_id)
            move_into_bed(session, bed, HOME, prefix=PREFIX, actor="Administrator")

    announced_while(world, admin)
    assert world.away() == [(2.0, 30.0, FAMILY)]
    pushed = world.queued()[-1]
    assert (pushed.place.room, pushed.place.bed) == ("301", "2") and len(pushed.away) == 1


@pytest.mark.skipif(not on_postgresql(), reason="SQLite has one writer: nothing to race")
def test_back_in_service_without_her_bed_while_her_limit_is_loosened_keeps_it(world):
    """She was out of service and her bed given to another; the admin puts her back (her
    config written again without a place) while a dispatcher's false alarm loosens her
    limit: both are kept."""
    with world.store.transaction() as session:
        delays = EscalationDelays(station_after_s=60, head_nurse_after_s=300, repeat_s=300)
        save_institution(session, STATION, timezone="Asia/Shanghai", delays=delays, severities={})
        room = add_room(session, add_unit(session, STATION, "3F").id, "301")
        bed = add_bed(session, room.id, "2")
        move_into_bed(session, bed, HOME, prefix=PREFIX, actor="Administrator")
        deactivate_home(session, HOME, actor="Administrator", now=NOW)
        save_home(session, make_home("h099"), prefix=PREFIX, now=NOW)
        move_into_bed(session, bed, "h099", prefix=PREFIX, actor="Administrator")

    def loosen(session) -> None:
        set_factor(session, session.get(Home, HOME), "no_activity", 1.25, actor="hub",
                   reason="false_alarm", prefix=PREFIX, now=NOW)  # fmt: skip

    def admin() -> None:
        with world.store.transaction() as session:
            reactivate_home(session, HOME, prefix=PREFIX, actor="Administrator")

    changed_while(world, loosen, admin)
    pushed = world.queued()[-1]
    assert pushed.place is None and pushed.thresholds["feedback"] == {"no_activity": 1.25}


@pytest.mark.skipif(not on_postgresql(), reason="SQLite has one writer: nothing to race")
def test_a_false_alarm_resolved_while_one_is_announced_keeps_it(world):
    """A dispatcher's false alarm loosens the home's limit (the config written again) while
    the family announces: both are kept."""
    manager = AlertManager(clock=lambda: NOW)
    with world.store.transaction() as session:
        row = event_row("no_activity", seq=1, ts=NOW, severity="major")
        session.add(row)
        manager.on_event(session, session.get(Home, HOME), row)
        alert_id = row.alert_id

    def dispatcher() -> None:
        with world.store.transaction() as session:
            manager.resolve(session, alert_id, "false_alarm", "张丽")

    announced_while(world, dispatcher)
    assert world.away() == [(2.0, 30.0, FAMILY)]
    assert world.queued()[-1].thresholds["feedback"] == {"no_activity": 1.25}
