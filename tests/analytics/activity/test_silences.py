"""Silences judged by where they began, the learning period's floor, not_up on evidence of a
night in bed, and alerts that only signs of life that hold can clear; hand-built streams."""

from __future__ import annotations

from statistics import median

import pytest

from analytics.activity import NoActivityDetector
from contracts import HomeConfig
from tests.support.factories import device, make_home

from .activity_support import at, brief, detector, real_home, walk_test, zigbee_devices
from .test_homes_model import DISTRESS, morning, play, pulse, r

NO_DOOR = real_home(front_door=False)


def day_out(day: int, home: HomeConfig = NO_DOOR) -> list:
    """Up at 08:00; the kitchen at 10:00 and out (no front-door sensor sees it) until 17:00;
    the bathroom at 18:00; the armchair in the evening; in bed at 00:30."""
    items = [r(at(day, "00:30"), "bed", True, home), *morning(day, home)]
    items += pulse(at(day, "09:30"), "fridge", home) + pulse(at(day, "10:00"), "pir_kitchen", home)
    items += pulse(at(day, "17:00"), "fridge", home) + pulse(at(day, "17:20"), "kettle", home)
    items += pulse(at(day, "18:00"), "basin", home) + pulse(at(day, "18:03"), "basin", home)
    items += pulse(at(day, "18:10"), "pir_kitchen", home) + pulse(at(day, "18:40"), "kettle", home)
    items += [r(at(day, "19:00"), "seat", True, home), r(at(day, "22:00"), "seat", False, home)]
    items += pulse(at(day, "22:10"), "fridge", home) + pulse(at(day, "23:50"), "basin", home)
    return items


@pytest.fixture(scope="module")
def learned_outings():
    """Sixteen such days: the learning period is over."""
    return play([item for day in range(16) for item in day_out(day)], home=NO_DOOR)


def test_outings_that_begin_in_the_kitchen_are_tolerated_a_silence_in_the_bathroom_is_not(
    learned_outings,
):
    monitor, events = learned_outings
    quiet = detector(monitor, NoActivityDetector)
    kitchen = quiet.limits.limit("kitchen", "about", False, at(16, "10:30"))
    bathroom = quiet.limits.limit("bathroom", "about", False, at(16, "18:30"))
    # Her silences that began in the kitchen at ten lasted seven hours (she went out):
    # 1.5 x 7 h. Those that began in the bathroom lasted minutes: the lower bound, 1.5 h.
    assert kitchen.usual == pytest.approx(7 * 3600, abs=60)
    assert kitchen.threshold == pytest.approx(10.5 * 3600, abs=90)
    assert bathroom.threshold == 1.5 * 3600
    assert "began in the bathroom, at this hour" in bathroom.how
    # Her 7-h outings are tolerated from the first day on: while nothing is known of
    # her, a silence that began by day outside the bathroom of a home without a
    # front-door sensor may be an outing nobody saw begin (the 8-h prior).
    assert not [e for e in events if e.kind in DISTRESS and e.state == "raised"]


def test_a_collapse_in_the_bathroom_is_raised_in_1_5_h_in_the_kitchen_after_10_5_h(
    learned_outings,
):
    monitor, _ = learned_outings
    state = monitor.state_dict()
    stream = [r(at(16, "00:30"), "bed", True), *morning(16, NO_DOOR)]
    stream += pulse(at(16, "09:30"), "fridge", NO_DOOR)
    stream += pulse(at(16, "10:00"), "pir_kitchen", NO_DOOR)
    stream += pulse(at(16, "17:00"), "fridge", NO_DOOR) + pulse(at(16, "18:00"), "basin", NO_DOOR)
    _, events = play(stream, home=NO_DOOR, monitor=monitor, until=at(16, "20:00"))
    assert brief(events, DISTRESS) == [("no_activity", "raised", "major", "18 19:30")]
    evidence = events[0].evidence
    assert evidence["silence_began"] == "bathroom" and evidence["threshold_h"] == 1.5
    assert "last seen in the bathroom" in evidence["summary"]
    # The same morning, but the silence that began in the kitchen at ten goes on: the
    # outing she takes every day from there at that time (analytics.activity.exits),
    # judged by her outings begun around ten (7 h): no news until 1.5 x 7 h.
    monitor.load_state(state)
    stream = [r(at(16, "00:30"), "bed", True), *morning(16, NO_DOOR)]
    stream += pulse(at(16, "09:30"), "fridge", NO_DOOR)
    stream += pulse(at(16, "10:00"), "pir_kitchen", NO_DOOR)
    _, events = play(stream, home=NO_DOOR, monitor=monitor, until=at(17, "08:00"))
    assert brief(events, DISTRESS) == [
        ("no_activity", "raised", "major", "18 20:30"),
        ("no_activity", "updated", "critical", "19 07:00"),
    ]
    assert "her outings that began unseen around 10:00" in events[0].evidence["baseline"]
    assert events[0].evidence["silence_began"] == "kitchen"


def test_while_learning_a_limit_from_a_broader_context_is_never_below_the_default():
    home = real_home()
    days = []
    for day in range(16):
        days += [r(at(day, "00:30"), "bed", True, home), *morning(day, home)]
        for hour in range(9, 22):  # in and out of the kitchen all day
            days += pulse(at(day, f"{hour}:00"), "pir_kitchen", home)
            days += pulse(at(day, f"{hour}:20"), "pir_kitchen", home)
            days += pulse(at(day, f"{hour}:40"), "pir_kitchen", home)
    monitor, events = play(days[: days.index(morning(6, home)[0])])
    quiet = detector(monitor, NoActivityDetector)
    # Day 7, still learning: a silence that began in the living room, where she has never
    # been seen at this hour. Her silences while moving about (in the kitchen) say 20 min,
    # but that is another place: no reason to go below the default yet.
    limit = quiet.limits.limit("living_room", "about", False, at(6, "10:30"))
    assert limit.threshold == 5 * 3600 and limit.conservative
    assert limit.how.endswith("but not below the default")
    own = quiet.limits.limit("kitchen", "about", False, at(6, "10:30"))
    assert own.threshold == 1.5 * 3600 and not own.conservative  # her own, at this hour
    monitor, _ = play(days)
    quiet = detector(monitor, NoActivityDetector)
    after = quiet.limits.limit("living_room", "about", False, at(16, "10:30"))
    assert after.threshold == 1.5 * 3600  # the learning period is over
    strict = real_home(thresholds={"no_activity": {"learned_here_while_learning": False}})
    monitor, _ = play(days[: days.index(morning(6, home)[0])], home=strict)
    limit = detector(monitor, NoActivityDetector).limits.limit(
        "kitchen", "about", False, at(6, "10:30")
    )
    assert limit.threshold == 5 * 3600  # never below the default while learning
    assert not [e for e in events if e.kind in DISTRESS]


# --------------------------------------------------------------------- not_up on evidence


def bedroom_home() -> HomeConfig:
    home = real_home()
    devices = [d.model_dump() for d in home.devices]
    devices.append(
        {"id": "bedroom_door", "kind": "door", "role": "bedroom_door", "source": "zigbee2mqtt:b"}
    )
    return HomeConfig.model_validate({**home.model_dump(), "devices": devices})


def evening(home: HomeConfig) -> list:
    return pulse(at(0, "19:00"), "kettle", home) + pulse(at(0, "21:00"), "fridge", home)


def test_not_up_needs_the_bed_mat_to_have_seen_her_lie_down_that_night():
    home = bedroom_home()
    # Installed: every sensor but the bed mat has reported (the mat's story is the test's).
    installed = [item for item in walk_test(at(0, "18:00"), home) if item.device != "bed"]
    in_bed = installed + evening(home) + pulse(at(0, "22:48"), "bedroom_door", home, 5)
    in_bed += [r(at(0, "23:00"), "bed", True, home)]
    _, events = play(in_bed, home=home, until=at(1, "13:00"))
    assert brief(events, DISTRESS) == [("not_up", "raised", "major", "03 12:00")]
    # Into the bedroom, but the bed (its mat working: it saw her get up that morning)
    # never saw her that night: nothing says she spent it in bed. The silence is
    # no_activity's, judged by where it began.
    no_bed = [r(at(0, "07:00"), "bed", True, home), r(at(0, "07:10"), "bed", False, home)]
    no_bed += installed + evening(home) + pulse(at(0, "22:48"), "bedroom_door", home, 5)
    _, events = play(no_bed, home=home, until=at(1, "13:00"))
    assert [e[0] for e in brief(events, DISTRESS)] == ["no_activity", "no_activity"]
    assert events[0].evidence["silence_began"] == "bedroom"
    # A bed mat that has never reported is not installed yet: the bedroom must do.
    no_mat = installed + evening(home) + pulse(at(0, "22:48"), "bedroom_door", home, 5)
    _, events = play(no_mat, home=home, until=at(1, "13:00"))
    assert brief(events, DISTRESS) == [("not_up", "raised", "major", "03 12:00")]


def test_while_learning_not_up_allows_a_full_night_after_a_late_bedtime():
    """Before her mornings are known, up by noon; but someone who went to bed at half
    past three (kasteren-b's resident after a night out) is given nine hours from then."""
    home = bedroom_home()
    installed = walk_test(at(0, "18:00"), home)
    late = installed + evening(home)
    for hhmm in ("22:00", "23:00"):
        late += pulse(at(0, hhmm), "pir_kitchen", home)
    for hhmm in ("00:00", "01:00", "02:00", "03:00", "03:20"):
        late += pulse(at(1, hhmm), "pir_kitchen", home)
    late += pulse(at(1, "03:35"), "bedroom_door", home, 5)
    late += [r(at(1, "03:40"), "bed", True, home)]
    _, events = play(late, home=home, until=at(1, "12:20"))
    assert brief(events, DISTRESS) == []  # at noon she has slept eight and a half hours
    _, events = play(late, home=home, until=at(1, "14:00"))
    assert brief(events, DISTRESS) == [("not_up", "raised", "major", "03 12:35")]
    assert "went to rest at 03:35, 9 h allowed" in events[0].evidence["baseline"]


def test_a_silence_that_began_before_her_night_is_no_activitys_not_not_ups():
    home = bedroom_home()
    stream = evening(home)[:2] + pulse(at(0, "19:30"), "bedroom_door", home, 5)
    stream += [r(at(0, "19:35"), "bed", True, home)]  # lay down at half past seven
    _, events = play(stream, home=home, until=at(1, "13:00"))
    kinds = {e.kind for e in events if e.kind in DISTRESS}
    assert kinds == {"no_activity"}
    assert events[0].evidence["silence_began"] == "bed"


def test_not_up_is_not_raised_after_the_fact_by_a_later_sign_in_the_bedroom():
    home = bedroom_home()
    stream = evening(home) + pulse(at(1, "01:30"), "pir_kitchen", home)  # up late, then out
    stream += [r(at(1, "16:00"), "bed", True, home)]  # home in the afternoon, lies down
    _, events = play(stream, home=home, until=at(1, "17:00"))
    assert "not_up" not in {e.kind for e in events}


# --------------------------------------------------------------------- signs that hold


def test_days_away_without_a_front_door_sensor_raise_once_whatever_a_pir_glitch_says():
    stream = [r(at(0, "00:30"), "bed", True, NO_DOOR), *morning(0, NO_DOOR)]
    stream += pulse(at(0, "10:00"), "pir_kitchen", NO_DOOR)  # and away for three days
    for day, hhmm in ((1, "04:02"), (1, "20:25"), (2, "02:20")):
        stream += pulse(at(day, hhmm), "basin", NO_DOOR, seconds=2)  # a lone trigger
    stream += pulse(at(3, "16:03"), "fridge", NO_DOOR)  # back
    _, events = play(stream, home=NO_DOOR, until=at(3, "17:00"))
    assert brief(events, DISTRESS) == [
        # Day 1, no front-door sensor: the 8-h prior of a silence that began by day.
        ("no_activity", "raised", "major", "02 18:00"),
        ("no_activity", "updated", "critical", "03 02:00"),
        ("no_activity", "cleared", "critical", "05 16:03"),
    ]


def test_a_flush_coming_back_to_rest_is_no_sign_and_sitting_down_ends_the_bathroom_stay():
    home = real_home()
    stream = [r(at(0, "00:30"), "bed", True, home), *morning(0, home)]
    stream += [r(at(0, "19:28", 51), "flush", "open", home)]
    stream += [r(at(0, "19:29", 13), "seat", True, home)]  # she sits down in the armchair
    stream += [r(at(0, "19:29", 17), "flush", "closed", home)]  # the cistern refilled
    monitor, events = play(stream, home=home, until=at(1, "05:00"))
    assert monitor.whereabouts.last_place == "chair"
    assert monitor.whereabouts.bathroom.stay is None
    raised = [e for e in events if e.kind == "no_activity" and e.started > at(0, "19:00")]
    # Settled in the armchair: 8 h by default, not the 2 h of a silence in the bathroom.
    assert brief(raised)[0] == ("no_activity", "raised", "major", "03 03:29")


# --------------------------------------------------------------------- a night owl's early night

DOORS_ONLY = make_home(
    "h003",
    devices=[
        device(i, "door", role, f"zigbee2mqtt:{i}")
        for i, role in (
            ("front_door", "front_door"),
            ("fridge", "fridge"),
            ("cupboard", "kitchen"),
            ("toilet_door", "toilet_door"),
            ("flush", "toilet"),
            ("bedroom_door", "bedroom_door"),
        )
    ],
)


def owl_day(day: int, *, wake: str = "11:00", bed: str = "26:35") -> list:
    """Up at ``wake`` (the toilet), the kitchen every half hour until bed at ``bed`` (past
    midnight as 26:35), through the bedroom door."""
    home, items = DOORS_ONLY, []
    items += pulse(at(day, wake), "bedroom_door", home, 5)
    items += pulse(at(day, wake, 60), "toilet_door", home, 5)
    items += pulse(at(day, wake, 120), "flush", home, 5)
    t, bedtime = at(day, wake, 1800), at(day, bed)
    while t < bedtime - 600:
        items += pulse(t, "fridge" if int(t) % 3600 else "cupboard", home, 5)
        t += 1800
    return items + pulse(bedtime, "bedroom_door", home, 5)


def test_a_night_owl_who_goes_to_bed_at_half_past_ten_is_not_silent_in_her_bedroom():
    """Her nights begin at 02:35 (learned), but one night she shuts the bedroom door at
    22:40 and is up at 06:10. No mat can tell; inside the config's night a silence
    in the bedroom is judged as a settled one (8 h while learning), not as a silence while
    moving about (5 h); and, the bedroom door shut behind her after the config's night
    began, it may be her night's rest whatever her learned bedtime: up at 09:30, nine hours
    on, raises nothing (no_activity at 06:40 before). The same door at eight in the
    evening is still a silence."""
    days = [item for day in range(5) for item in owl_day(day)]
    for wake in ("06:10", "09:30"):
        _, events = play(days + owl_day(5, bed="22:40") + owl_day(6, wake=wake), home=DOORS_ONLY,
                         until=at(6, "12:00"))  # fmt: skip
        assert brief(events, DISTRESS) == [], wake
    _, events = play(days + owl_day(5, bed="20:00") + owl_day(6), home=DOORS_ONLY,
                     until=at(6, "12:00"))  # fmt: skip
    assert ("no_activity", "raised") in [(kind, state) for kind, state, *_ in brief(events)]


# --------------------------------------------------------------------- an evening in the armchair

NO_BED = make_home(
    "h004",
    devices=zigbee_devices(
        [
            ("front_door", "door", "front_door"),
            ("fridge", "door", "fridge"),
            ("pir_kitchen", "motion", "kitchen"),
            ("basin", "motion", "bathroom"),
            ("seat", "presence", "chair"),
        ]
    ),
)


def armchair_day(day: int, *, collapse: str | None = None) -> list:
    """Up at 10:00, the kitchen every half hour, the armchair from 19:30 (television)
    until 00:40, then to bed where nothing sees her. ``collapse``: from then on nothing,
    sitting in the armchair."""
    items, t = [], at(day, "10:00")
    end = at(day, collapse) if collapse else at(day, "19:30")
    while t < end - 60:
        items += pulse(t, "pir_kitchen", NO_BED)
        t += 1800
    if collapse:
        return [*items, r(end, "seat", True, NO_BED)]
    items += [r(end, "seat", True, NO_BED), r(at(day, "24:40"), "seat", False, NO_BED)]
    return items + pulse(at(day, "24:42"), "basin", NO_BED)


def test_an_evening_in_the_armchair_is_not_her_night_where_the_bedroom_is_unseen():
    """Where no sensor sees the bedroom, her bedtime is learned from her silences. The
    five hours of television in the armchair were the night's first long silence, so she
    "went to bed" at 19:30, and a collapse as she sat down in the armchair at 19:00 became
    her night (not_up at 11:30 the next morning, 16.5 h later). Her night begins when she
    leaves the armchair: the collapse is raised within 12 h."""
    days = [item for day in range(5) for item in armchair_day(day)]
    monitor, events = play(days, home=NO_BED, until=at(5, "09:00"))
    assert not [e for e in events if e.kind in DISTRESS]
    bedtime = median(monitor.whereabouts.day.bedtimes)  # hours after noon
    assert bedtime == pytest.approx(12 + 42 / 60, abs=0.05)  # 00:42, not 19:30
    _, events = play(armchair_day(5, collapse="19:00"), home=NO_BED, monitor=monitor,
                     until=at(6, "12:00"))  # fmt: skip
    # 1.75 x her five hours in the armchair.
    assert brief(events, DISTRESS)[:1] == [("no_activity", "raised", "major", "08 04:02")]


def test_on_the_evening_her_night_is_first_learned_a_collapse_is_not_taken_for_her_rest():
    """Her third night teaches her bedtime (00:42), and that evening's period still begins
    at the config's 22:30. Her earliest bedtime less an hour, 23:42, was looked up on the
    day before, so any silence that day "could be her rest": a collapse in the armchair
    at 19:00 was raised by not_up at 11:30 the next morning, 16.5 h later. Now it is the
    23:42 of that night: the collapse is a silence (8 h while learning)."""
    days = [item for day in range(3) for item in armchair_day(day)]
    monitor, events = play(days + armchair_day(3, collapse="19:00"), home=NO_BED,
                           until=at(4, "14:00"))  # fmt: skip
    assert len(monitor.whereabouts.day.bedtimes) == 3
    assert brief(events, DISTRESS)[:1] == [("no_activity", "raised", "major", "06 03:00")]


NO_FRONT_DOOR = make_home(
    "h005",
    devices=[d for d in NO_BED.devices if d.id != "front_door"],
)


def test_a_night_spent_out_does_not_teach_her_bedtime():
    """No front-door sensor, no bed mat: her bedtime is learned from the night's silence.
    One afternoon she goes out at 14:00 and is back at 10:00 the next morning; that
    20-h silence is not a night's rest (longer than any night), so it does not teach a
    bedtime of 14:00. Before, it did: her earliest bedtime less an hour was then 13:00,
    any afternoon silence could be her night, and a collapse in the armchair at 16:00
    three days later was raised by not_up at 11:30 the next morning, 19.5 h on."""

    def armchair(day: int, **kwargs) -> list:
        rows = armchair_day(day, **kwargs)
        return [row.model_copy(update={"home": NO_FRONT_DOOR.home}) for row in rows]

    def until(rows: list, hhmm: str, day: int) -> list:
        return [row for row in rows if row.ts.timestamp() < at(day, hhmm)]

    def since(rows: list, hhmm: str, day: int) -> list:
        return [row for row in rows if row.ts.timestamp() >= at(day, hhmm)]

    days = [row for day in range(3) for row in armchair(day)]
    days += until(armchair(3), "14:01", 3) + since(armchair(4), "10:00", 4)
    days += armchair(5)
    monitor, events = play(days + armchair(6, collapse="16:00"), home=NO_FRONT_DOOR,
                           until=at(7, "14:00"))  # fmt: skip
    assert [round(b, 2) for b in monitor.whereabouts.day.bedtimes] == [12.7] * 5  # 00:42
    collapse = [event for event in brief(events, DISTRESS) if event[3] > "08 16:00"]
    assert collapse[:1] == [("no_activity", "raised", "major", "09 01:02")]


# ------------------------------------------------------ the bathroom she can leave unseen


def ordonez_like(*extra: tuple[str, str, str]) -> HomeConfig:
    """A bathroom PIR, nothing on the bathroom's door, nothing in the living room (as
    ordonez-a without its armchair mat); ``extra`` devices added."""
    devices = (
        ("front_door", "door", "front_door"),
        ("bed", "presence", "bed"),
        ("fridge", "door", "fridge"),
        ("pir_kitchen", "motion", "kitchen"),
        ("basin", "motion", "bathroom"),
        *extra,
    )
    return make_home("h005", devices=zigbee_devices(list(devices)))


def groomed_then_television(home: HomeConfig) -> list:
    """Her first morning: up at 10:00, breakfast, the basin at 10:49, then television
    where nothing sees her until 13:05."""
    items = [r(at(0, "02:30"), "bed", True, home), r(at(0, "10:00"), "bed", False, home)]
    items += pulse(at(0, "10:20"), "fridge", home) + pulse(at(0, "10:41"), "pir_kitchen", home)
    items += pulse(at(0, "10:49"), "basin", home, seconds=85)
    return items + pulse(at(0, "13:05"), "pir_kitchen", home)


def test_a_silence_after_the_basin_is_not_in_the_bathroom_where_she_can_leave_it_unseen():
    """ordonez-a without its armchair mat raised no_activity six times in its first four
    days: 2 h after she left the basin for the television, "last seen in the bathroom".
    Nothing there sees her leave, so the silence has the prior of moving about (5 h); where
    a door on the bathroom would have seen her leave, the 2 h of the bathroom stand."""
    home = ordonez_like()
    _, events = play(groomed_then_television(home), home=home, until=at(0, "13:30"))
    assert brief(events, DISTRESS) == []
    walled = ordonez_like(("toilet_door", "door", "toilet_door"))
    _, events = play(groomed_then_television(walled), home=walled, until=at(0, "13:30"))
    assert brief(events, DISTRESS)[:1] == [("no_activity", "raised", "major", "02 12:49")]
