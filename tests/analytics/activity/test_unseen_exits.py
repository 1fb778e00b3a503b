"""Homes without a front-door sensor: where and when she goes out is learned from the
silences she came back from (analytics.activity.exits); a silence that began at one of
her exits at a time she goes out is judged by her outings, still raised within 12 h; one
that began in the bathroom, or at another hour, keeps its short limit; while nothing is
known yet, a silence that began by day gets the longer prior. Hand-built streams."""

from __future__ import annotations

import pytest

from analytics import HomeMonitor
from analytics.activity import NoActivityDetector
from analytics.activity.exits import Exits
from analytics.whereabouts import Observation
from contracts import HomeConfig

from .activity_support import at, brief, detector, real_home
from .test_homes_model import DISTRESS, morning, play, pulse, r

HOUR = 3600.0


def flat(*, front_door: bool = False, thresholds: dict | None = None) -> HomeConfig:
    """A flat equipped like the recorded ones, with a living-room PIR by the hallway."""
    return real_home(front_door=front_door, living_room_pir=True, thresholds=thresholds)


NO_DOOR = flat()
WITH_DOOR = flat(front_door=True)


def day_out(day: int, home, *, via: str = "pir_kitchen", hours: float = 4) -> list:
    """``forenoon(day)``; out at 14:00 from ``via`` for ``hours`` (no sensor sees her go),
    back through the kitchen, then in the kitchen every half hour (the bathroom at 20:00
    if she is back by then); in bed at 22:00, or half an hour after coming back."""
    items = forenoon(day, home) + pulse(at(day, "14:00"), via, home)
    back = at(day, "14:00") + hours * HOUR
    items += pulse(back, "pir_kitchen", home) + pulse(back + 120, "fridge", home)
    t = back + 1800
    while t < at(day, "22:00"):
        items += pulse(t, "pir_kitchen", home)
        t += 1800
    if back < at(day, "19:50"):
        items += pulse(at(day, "20:00"), "basin", home) + pulse(at(day, "20:03"), "basin", home)
    items += [r(max(at(day, "22:00"), back + 1800), "bed", True, home)]
    return items


def forenoon(day: int, home) -> list:
    """Up at 08:00 (the toilet, the kettle), in the kitchen every half hour until 13:30,
    the kettle at 13:50."""
    items = [*morning(day, home)]
    for k in range(10):
        items += pulse(at(day, "09:00") + k * 1800, "pir_kitchen", home)
    return items + pulse(at(day, "13:50"), "kettle", home)


def fortnight(home, *, hours: float = 4, living_hours: float = 6) -> list:
    """Sixteen days out at two: from the kitchen, and on two days from the living room
    (a longer outing)."""
    items = []
    for day in range(16):
        via, length = ("pir_living", living_hours) if day in (5, 11) else ("pir_kitchen", hours)
        items += day_out(day, home, via=via, hours=length)
    return items


@pytest.fixture(scope="module")
def learned():
    return play(fortnight(NO_DOOR), home=NO_DOOR)


# --------------------------------------------------------------------- what an exit is


def gap(start_h: float, hours: float, place: str, back: str, context: str = "about"):
    return Observation(
        "gap", start_h * HOUR, (start_h + hours) * HOUR, context=context, place=place,
        returned=back,
    )  # fmt: skip


def test_a_place_is_an_exit_once_she_came_back_from_long_silences_there_on_two_days():
    exits = Exits(days=14, min_gap_s=3 * HOUR, min_days=2, window=2)
    exits.record(gap(14, 5, "kitchen", "kitchen"), day=1, hour=14)
    exits.record(gap(38, 5, "kitchen", "kitchen"), day=1, hour=14)  # the same day again
    exits.record(gap(62, 2, "kitchen", "kitchen"), day=2, hour=14)  # too short to be out
    exits.record(gap(86, 9, "kitchen", "bed"), day=3, hour=14)  # got up from bed: a rest
    exits.record(gap(110, 5, "kitchen", "kitchen", "resting"), day=4, hour=14)  # settled
    exits.record(gap(134, 5, "bathroom", "kitchen"), day=5, hour=14)  # never an exit
    exits.record(gap(134, 5, "bathroom", "kitchen"), day=6, hour=14)
    assert not exits.is_exit("kitchen") and not exits.is_exit("bathroom")
    assert not exits.goes_out_at(14)
    exits.record(gap(158, 6, "kitchen", "living_room"), day=7, hour=14)
    assert exits.is_exit("kitchen") and exits.goes_out_at(16) and not exits.goes_out_at(17)
    assert exits.usual(14, q=1.0) == 6 * HOUR
    # A fortnight on, those outings are forgotten.
    exits.record(gap(600, 4, "living_room", "kitchen"), day=22, hour=9)
    assert not exits.is_exit("kitchen") and not exits.goes_out_at(14)


# --------------------------------------------------------------------- the limits


def test_a_silence_at_an_exit_when_she_goes_out_is_judged_by_her_outings_from_any_exit(learned):
    monitor, events = learned
    quiet = detector(monitor, NoActivityDetector)
    began = at(16, "14:00")
    kitchen = quiet.limits.limit("kitchen", "about", False, began + HOUR, began=began)
    # Her outings begun around two: 4 h from the kitchen, 6 h twice from the living room;
    # how long she stays out does not depend on the way she took: 1.5 x 6 h.
    assert kitchen.usual == pytest.approx(6 * HOUR, abs=120)
    assert kitchen.threshold == pytest.approx(9 * HOUR, abs=180)
    assert "her outings that began unseen around 14:00" in kitchen.how
    # At ten she is in the kitchen for minutes and never goes out: the short limit.
    morning_ = quiet.limits.limit("kitchen", "about", False, at(16, "10:30"), began=at(16, "10:00"))
    assert morning_.threshold == 1.5 * HOUR and "outings" not in morning_.how
    # A silence that began in the bathroom at two is never an outing's.
    bathroom = quiet.limits.limit("bathroom", "about", False, began + HOUR, began=began)
    assert bathroom.threshold <= 2 * HOUR and "outings" not in bathroom.how
    # Her outings were tolerated from the first day on (the longer prior while learning).
    assert not [e for e in events if e.kind in DISTRESS and e.state == "raised"]


def test_a_collapse_at_an_exit_when_she_goes_out_is_raised_by_her_outing_limit(learned):
    monitor, _ = learned
    state = monitor.state_dict()
    stream = forenoon(16, NO_DOOR) + pulse(at(16, "14:00"), "pir_kitchen", NO_DOOR)
    _, events = play(stream, home=NO_DOOR, monitor=monitor, until=at(17, "04:00"))
    # Last seen at 14:00 (the kitchen's PIR); 9 h later.
    assert brief(events, DISTRESS)[0] == ("no_activity", "raised", "major", "18 23:00")
    assert events[0].evidence["silence_began"] == "kitchen"
    # The same day, the silence begins in the kitchen at 10:00, when she never goes out:
    # her silences there around then (half an hour) say it is news after 1.5 h.
    monitor.load_state(state)
    stream = [*morning(16, NO_DOOR)]
    for hhmm in ("09:00", "09:30", "10:00"):
        stream += pulse(at(16, hhmm), "pir_kitchen", NO_DOOR)
    _, events = play(stream, home=NO_DOOR, monitor=monitor, until=at(16, "20:00"))
    assert brief(events, DISTRESS)[0] == ("no_activity", "raised", "major", "18 11:30")


def test_however_long_her_outings_a_collapse_at_an_exit_is_raised_within_12_h():
    # Her outings last 7 h and 9 h; with a factor of 2 on them (a home config's choice),
    # 18 h: no more than 11 h, so a collapse there is still found within 12 h.
    home = flat(thresholds={"no_activity": {"factor": 2.0}})
    monitor, _ = play(fortnight(home, hours=7, living_hours=9), home=home)
    quiet = detector(monitor, NoActivityDetector)
    began = at(16, "14:00")
    limit = quiet.limits.limit("kitchen", "about", False, began + HOUR, began=began)
    assert limit.threshold == 11 * HOUR and "outings" in limit.how
    stream = forenoon(16, home) + pulse(at(16, "14:00"), "pir_kitchen", home)
    _, events = play(stream, home=home, monitor=monitor, until=at(17, "04:00"))
    assert brief(events, DISTRESS)[0] == ("no_activity", "raised", "major", "19 01:00")


def test_with_a_front_door_sensor_a_silence_in_the_kitchen_is_never_taken_for_an_outing():
    # The same days, in a flat whose front door is watched (it saw nothing: she stayed).
    monitor, _ = play(fortnight(WITH_DOOR), home=WITH_DOOR)
    quiet = detector(monitor, NoActivityDetector)
    began = at(16, "14:00")
    kitchen = quiet.limits.limit("kitchen", "about", False, began + HOUR, began=began)
    # Her silences that began in the kitchen around two (4 h): 1.5 x 4 h.
    assert "outings" not in kitchen.how
    assert kitchen.threshold == pytest.approx(6 * HOUR, abs=180)


# --------------------------------------------------------------------- the learning period


def test_while_learning_a_silence_that_began_by_day_may_be_an_unseen_outing():
    stream = [r(at(0, "00:30"), "bed", True, NO_DOOR), *morning(0, NO_DOOR)]
    stream += pulse(at(0, "10:00"), "pir_kitchen", NO_DOOR)
    _, events = play(stream, home=NO_DOOR, until=at(0, "23:00"))
    assert brief(events, DISTRESS)[0] == ("no_activity", "raised", "major", "02 18:00")
    assert events[0].evidence["threshold_h"] == 8.0
    # With a front-door sensor she is seen going out: a silence at home is one, 5 h.
    stream = [r(at(0, "00:30"), "bed", True, WITH_DOOR), *morning(0, WITH_DOOR)]
    stream += pulse(at(0, "10:00"), "pir_kitchen", WITH_DOOR)
    _, events = play(stream, home=WITH_DOOR, until=at(0, "23:00"))
    assert brief(events, DISTRESS)[0] == ("no_activity", "raised", "major", "02 15:00")


def test_while_learning_a_silence_that_began_in_her_night_keeps_the_short_prior():
    stream = [r(at(0, "00:30"), "bed", True, NO_DOOR), *morning(0, NO_DOOR)]
    stream += pulse(at(0, "12:00"), "pir_kitchen", NO_DOOR)
    stream += pulse(at(0, "23:30"), "fridge", NO_DOOR)  # up in the night, in the kitchen
    _, events = play(stream, home=NO_DOOR, until=at(1, "09:00"))
    raised = [e for e in events if e.kind in DISTRESS and e.state == "raised"]
    # 12:00 -> 20:00 (8 h, by day); then the fridge at 23:30 clears it, and the silence
    # that began then, in her night, is news after 5 h.
    assert [brief([e])[0][3] for e in raised] == ["02 20:00", "03 04:31"]


def test_what_she_taught_about_her_exits_survives_a_restart(learned):
    monitor, _ = learned
    again = HomeMonitor(NO_DOOR, state=monitor.state_dict())
    began = at(16, "14:00")
    before = detector(monitor, NoActivityDetector).limits.limit(
        "kitchen", "about", False, began + HOUR, began=began
    )
    after = detector(again, NoActivityDetector).limits.limit(
        "kitchen", "about", False, began + HOUR, began=began
    )
    assert after == before and "outings" in after.how


# --------------------------------------------------------------------- a door shut in passing


def toilet_afternoon(day: int, home, *, shut_and_go: bool = False, out_at: str = "") -> list:
    """``forenoon(day)``; the toilet at 15:00 (the door shut behind her, the flush), out at
    15:04 leaving the door open; the kitchen at 15:15; at 15:30 she shuts the toilet door
    in passing and is in the kitchen again at 15:40 and every half hour until 22:00, then
    in bed. ``shut_and_go``: nothing after she shut the door; ``out_at``: nothing after
    she came out of the toilet."""
    items = forenoon(day, home)
    items += [r(at(day, "15:00"), "toilet_door", "open", home)]
    items += [r(at(day, "15:00", 5), "toilet_door", "closed", home)]
    items += pulse(at(day, "15:02"), "flush", home, seconds=5)
    items += [r(at(day, "15:04"), "toilet_door", "open", home)]
    if out_at:
        return items
    items += pulse(at(day, "15:15"), "pir_kitchen", home)
    items += [r(at(day, "15:30"), "toilet_door", "closed", home)]
    if shut_and_go:
        return items
    t = at(day, "15:40")
    while t < at(day, "22:00"):
        items += pulse(t, "pir_kitchen", home)
        t += 1800
    return [*items, r(at(day, "22:00"), "bed", True, home)]


def afternoons(home, days: int = 6) -> list:
    return [item for day in range(days) for item in toilet_afternoon(day, home)]


def test_while_learning_a_door_shut_in_passing_then_silence_may_be_her_going_out():
    # Six days: her silences at the toilet door around three last minutes. On the seventh
    # she shuts it in passing at 15:30 and nothing follows: without a front-door sensor
    # she may have left, and her minutes at that door say nothing of how long she stays
    # out: the unseen outing's prior, 8 h, not 1.5 h.
    stream = afternoons(NO_DOOR) + toilet_afternoon(6, NO_DOOR, shut_and_go=True)
    _, events = play(stream, home=NO_DOOR, until=at(7, "06:00"))
    raised = [e for e in events if e.kind in DISTRESS and e.state == "raised"]
    assert brief(raised) == [("no_activity", "raised", "major", "08 23:30")]
    assert raised[0].evidence["silence_began"] == "bathroom_door"
    assert "she shut a door in passing" in raised[0].evidence["baseline"]


def test_a_silence_as_she_came_out_of_the_toilet_keeps_its_short_limit():
    # The same days; on the seventh nothing after she opened the door to come out: a
    # collapse on her way out of the toilet is raised after 1.5 h, as before.
    stream = afternoons(NO_DOOR) + toilet_afternoon(6, NO_DOOR, out_at="15:04")
    _, events = play(stream, home=NO_DOOR, until=at(7, "06:00"))
    assert brief(events, DISTRESS)[0] == ("no_activity", "raised", "major", "08 16:34")


def test_with_a_front_door_sensor_a_door_shut_in_passing_keeps_its_short_limit():
    # Where the front door is watched she would have been seen leaving: 1.5 h.
    stream = afternoons(WITH_DOOR) + toilet_afternoon(6, WITH_DOOR, shut_and_go=True)
    _, events = play(stream, home=WITH_DOOR, until=at(7, "06:00"))
    assert brief(events, DISTRESS)[0] == ("no_activity", "raised", "major", "08 17:00")
