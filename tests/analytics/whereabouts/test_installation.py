"""A home being installed: while most of its sensors have not reported yet, the detectors
that infer where she is from rooms (not_up, long_bathroom_stay) wait longer and say why;
nothing is muted. Hand-built streams on a home equipped like the recorded ones."""

from __future__ import annotations

import json

from analytics import HomeMonitor
from analytics.activity import ACTIVITY_DETECTORS
from contracts import HomeConfig
from tests.analytics.activity.activity_support import at, brief, real_home, walk_test
from tests.analytics.activity.test_homes_model import DISTRESS, play, pulse, r
from tests.support.factories import device

HOME = real_home()  # nine fixed sensors: seven must report before it is installed


def test_while_most_sensors_are_silent_not_up_waits_until_four_in_the_afternoon():
    # Only the door contacts (their state at start) and the bed mat have reported: 5 of 9.
    in_bed = [r(at(0, "00:30"), "bed", True)]
    _, events = play(in_bed, until=at(0, "17:00"))
    assert brief(events, DISTRESS) == [("not_up", "raised", "major", "02 16:00")]
    assert "installing (5 of 9 sensors have reported)" in events[0].evidence["summary"]
    assert "4 h later while the home is being installed" in events[0].evidence["baseline"]
    # The installer's walk test: every sensor has reported, the usual default holds.
    _, events = play(walk_test(at(0, "00:10"), HOME) + in_bed, until=at(0, "17:00"))
    assert brief(events, DISTRESS) == [("not_up", "raised", "major", "02 12:00")]
    assert "installing" not in events[0].evidence["summary"]


def test_while_most_sensors_are_silent_a_bathroom_stay_is_judged_at_the_widest_limit():
    # In the bathroom at 10:00, its door closed behind her, and nothing after.
    stay = [
        *pulse(at(0, "09:00"), "fridge"),
        r(at(0, "10:00"), "toilet_door", "open"),
        r(at(0, "10:00", 10), "toilet_door", "closed"),
    ]
    _, events = play(stay, until=at(0, "18:00"))
    assert brief(events, DISTRESS) == [("long_bathroom_stay", "raised", "major", "02 13:00")]
    assert "installing (4 of 9 sensors have reported)" in events[0].evidence["summary"]
    _, events = play(walk_test(at(0, "08:00"), HOME) + stay, until=at(0, "18:00"))
    assert brief(events, DISTRESS) == [("long_bathroom_stay", "raised", "major", "02 10:45")]


def mornings(days: range) -> list:
    """In bed at 00:30, up at 08:00 through the toilet and the fridge: only the mat and
    the contacts ever report (5 of 9), so the home never reaches its three quarters."""
    stream = []
    for day in days:
        stream += [r(at(day, "00:30"), "bed", True), r(at(day, "08:00"), "bed", False)]
        stream += pulse(at(day, "08:01"), "toilet_door", seconds=5)
        for hour in range(8, 23, 2):  # about the kitchen all day
            stream += pulse(at(day, f"{hour:02d}:05"), "fridge", seconds=5)
    return stream


def test_three_days_after_monitoring_began_the_home_is_installed_whatever_has_reported():
    # Day 2 (56 h in): still being installed, the late default although two mornings
    # are known.
    stream = [*mornings(range(2)), r(at(2, "00:30"), "bed", True)]
    _, events = play(stream, until=at(2, "17:00"))
    assert brief(events, DISTRESS) == [("not_up", "raised", "major", "04 16:00")]
    # Day 3 (80 h in): installed; her own mornings set the deadline (up at 08:01, when
    # the toilet door first moved, + 90 min).
    stream = [*mornings(range(3)), r(at(3, "00:30"), "bed", True)]
    _, events = play(stream, until=at(3, "17:00"))
    assert brief(events, DISTRESS) == [("not_up", "raised", "major", "05 09:31")]
    assert "installing" not in events[0].evidence["summary"]


def with_devices(home: HomeConfig, *extra: tuple[str, str, str]) -> HomeConfig:
    devices = [d.model_dump() for d in home.devices]
    devices += [device(i, k, role, f"zigbee2mqtt:{i}") for i, k, role in extra]
    return HomeConfig.model_validate({**home.model_dump(), "devices": devices})


def test_devices_added_later_do_not_put_an_installed_home_back_into_installation():
    monitor, _ = play(walk_test(at(0, "00:10"), HOME), until=at(0, "00:20"))
    # Four new sensors: 9 of 13 have reported, under three quarters, but the home was
    # installed and stays so.
    added = with_devices(
        HOME,
        ("pir_living", "motion", "living_room"),
        ("pir_bedroom", "motion", "bedroom"),
        ("bedroom_door", "door", "bedroom_door"),
        ("seat2", "presence", "chair"),
    )
    monitor.update_config(added)
    _, events = play([r(at(0, "00:30"), "bed", True, added)], monitor=monitor, until=at(0, "17:00"))
    assert brief(events, DISTRESS) == [("not_up", "raised", "major", "02 12:00")]


def test_a_restart_keeps_the_installation_and_an_older_state_means_installed():
    monitor, _ = play([r(at(0, "00:30"), "bed", True)], until=at(0, "01:00"))
    saved = json.loads(json.dumps(monitor.state_dict()))
    restored = HomeMonitor(HOME, detectors=list(ACTIVITY_DETECTORS), state=saved)
    assert brief(restored.advance(at(0, "17:00")), DISTRESS) == [
        ("not_up", "raised", "major", "02 16:00")
    ]
    # Saved before installations were kept: a home already being monitored.
    del saved["whereabouts"]["installation"]
    restored = HomeMonitor(HOME, detectors=list(ACTIVITY_DETECTORS), state=saved)
    assert brief(restored.advance(at(0, "17:00")), DISTRESS) == [
        ("not_up", "raised", "major", "02 12:00")
    ]
