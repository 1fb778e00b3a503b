"""What real homes taught the activity detectors, on hand-built streams: occupancy mats and
appliances, the bathroom on evidence only, stuck and flapping sensors, days away, homes
without a front-door sensor, her own night, the learning period and outcome feedback."""

from __future__ import annotations

import json

import pytest

from analytics import AnalyticsError, HomeMonitor
from analytics.activity import ACTIVITY_DETECTORS, NotReturnedHomeDetector
from tests.support.factories import make_home

from .activity_support import (
    TZ,
    at,
    brief,
    detector,
    reading,
    real_home,
    walk_test,
    zigbee_devices,
)

DISTRESS = {"no_activity", "not_up", "long_bathroom_stay", "not_returned_home", "night_wandering"}


HOME = real_home()


def r(ts, device, value, home=HOME):
    metric = {
        "presence": "presence",
        "appliance": "in_use",
        "door": "contact",
        "motion": "motion",
    }[home.device(device).kind]
    return reading(ts, device, metric, value, home.home)


def pulse(ts, device, home=HOME, seconds=60):
    on = "open" if home.device(device).kind == "door" else True
    off = "closed" if on == "open" else False
    return [r(ts, device, on, home), r(ts + seconds, device, off, home)]


def contacts_closed(ts, home=HOME):
    return [r(ts, d.id, "closed", home) for d in home.devices if d.kind == "door"]


def play(stream, *, home=HOME, until=None, monitor=None):
    stream = sorted(stream, key=lambda x: x.epoch)
    if monitor is None:
        monitor = HomeMonitor(home, detectors=list(ACTIVITY_DETECTORS))
        stream = contacts_closed(stream[0].epoch - 1, home) + stream
    events = []
    for item in stream:
        events += monitor.feed(item)
    if until is not None:
        events += monitor.advance(until)
    return monitor, events


def morning(day, home=HOME, wake="08:00"):
    """Out of bed, the toilet, the kettle: up for the day."""
    t = at(day, wake)
    return [
        r(t, "bed", False, home),
        *pulse(t + 60, "toilet_door", home, 5),
        *pulse(t + 120, "flush", home, 5),
        *pulse(t + 180, "toilet_door", home, 5),
        *pulse(t + 300, "kettle", home, 120),
        *pulse(t + 320, "pir_kitchen", home),
    ]


# --------------------------------------------------------------------- new kinds


def test_sitting_in_the_armchair_is_judged_against_her_sittings_not_her_moving_about():
    day = [r(at(0, "00:30"), "bed", True), *morning(0), *pulse(at(0, "11:00"), "fridge")]
    stream = day + pulse(at(0, "13:50"), "pir_kitchen") + [r(at(0, "14:00"), "seat", True)]
    _, events = play(stream, until=at(0, "23:00"))
    # Settled in the armchair (the mat sees her): 8 h by default, not the 4 h of a
    # silence after the kitchen, and her night does not stop the watch: the bed is seen.
    assert brief(events, DISTRESS) == [("no_activity", "raised", "major", "02 22:00")]
    assert "occupancy sensor" in events[-1].evidence["context"]
    assert events[-1].evidence["last_seen_in"] == "living_room"
    stream = day + pulse(at(0, "14:00"), "kettle")
    _, events = play(stream, until=at(0, "20:00"))
    assert brief(events, DISTRESS) == [("no_activity", "raised", "major", "02 19:00")]


def test_an_appliance_switched_on_and_getting_up_from_the_chair_are_signs_of_life():
    stream = [r(at(0, "00:30"), "bed", True), *morning(0)]
    stream += [r(at(0, "09:00"), "seat", True), r(at(0, "15:00"), "seat", False)]
    stream += pulse(at(0, "15:30"), "kettle", seconds=300)
    _, events = play(stream, until=at(0, "18:00"))
    assert brief(events, DISTRESS) == []


def test_in_bed_she_is_resting_and_not_up_is_raised_when_she_stays_there():
    stream = [*walk_test(at(0, "00:10"), HOME), r(at(0, "00:30"), "bed", True)]
    _, events = play(stream, until=at(0, "13:00"))
    assert brief(events, DISTRESS) == [("not_up", "raised", "major", "02 12:00")]
    assert "no activity outside the bedroom" in events[0].evidence["summary"]


def test_a_bed_mat_that_lost_its_off_does_not_keep_her_in_bed_once_she_is_seen_elsewhere():
    # The mat said "someone there" at 00:30 and never "off" (a lost message); at 05:20 she
    # leaves the bedroom and is up early in the kitchen, then in the bathroom at 05:40,
    # and silent from there.
    home = real_home(bedroom_door=True)
    up_early = pulse(at(0, "05:19"), "bedroom_door", home) + pulse(at(0, "05:20"), "kettle", home)
    stream = [r(at(0, "00:30"), "bed", True, home), *up_early]
    stream += pulse(at(0, "05:25"), "pir_kitchen", home) + pulse(at(0, "05:40"), "basin", home)
    _, events = play(stream, home=home, until=at(0, "13:00"))
    # A silence that began in the bathroom (2 h), not a night in bed until not_up's 12:00.
    assert brief(events, DISTRESS)[0] == ("no_activity", "raised", "major", "02 07:40")
    assert events[0].evidence["silence_began"] == "bathroom"
    # Back in bed the mat sees her lie down again: her night's rest, no alert.
    back = [r(at(0, "05:50"), "bed", False, home), r(at(0, "05:51"), "bed", True, home)]
    _, events = play(stream + back, home=home, until=at(0, "09:00"))
    assert brief(events, DISTRESS) == []
    # One lone motion trigger in the kitchen at 03:00 (a glitch) is no sign she left the
    # bed: still her night, and she sleeps on until 09:00 unalarmed.
    glitch = [r(at(0, "00:30"), "bed", True, home), r(at(0, "03:00"), "pir_kitchen", True, home)]
    _, events = play(glitch, home=home, until=at(0, "09:00"))
    assert brief(events, DISTRESS) == []


def test_with_only_a_mat_that_lost_its_off_in_the_bedroom_she_may_be_back_in_bed_unseen():
    # The same morning where the mat is all the bedroom has: after the bathroom she may have
    # gone back to bed (the mat cannot say so again), as where the bedroom has no sensor;
    # not_up judges, at noon.
    up_early = pulse(at(0, "05:20"), "kettle") + pulse(at(0, "05:25"), "pir_kitchen")
    stream = [r(at(0, "00:30"), "bed", True), *up_early, *pulse(at(0, "05:40"), "basin")]
    _, events = play(stream, until=at(0, "13:00"))
    assert brief(events, DISTRESS) == [("not_up", "raised", "major", "02 12:00")]


# --------------------------------------------------------------------- the bathroom


def test_motion_in_the_bathroom_then_silence_is_no_bathroom_stay_but_a_silence_there():
    stream = [r(at(0, "00:30"), "bed", True), *morning(0), *pulse(at(0, "10:00"), "basin")]
    monitor, events = play(stream, until=at(0, "16:00"))
    # Not a stay once the movement there is 10 min old, but a silence that began in the
    # bathroom: 2 h by default, not the 5 h of one that began in the kitchen.
    assert brief(events, DISTRESS) == [
        ("no_activity", "raised", "major", "02 12:00"),
        ("no_activity", "updated", "critical", "02 14:00"),
    ]
    assert events[0].evidence["last_seen_in"] == "bathroom"
    assert events[0].evidence["silence_began"] == "bathroom"
    assert monitor.whereabouts.bathroom.ended_by == "expired"


def test_the_toilet_door_closed_behind_her_is_a_stay_until_it_opens():
    stream = [r(at(0, "00:30"), "bed", True), *morning(0)]
    stream += [
        r(at(0, "10:00"), "toilet_door", "open"),
        r(at(0, "10:00", 5), "toilet_door", "closed"),
    ]
    stream += pulse(at(0, "10:02"), "flush", seconds=5)  # she is behind the door
    stream += [r(at(0, "11:00"), "toilet_door", "open")]
    _, events = play(stream, until=at(0, "12:00"))
    assert brief(events, DISTRESS) == [
        ("long_bathroom_stay", "raised", "major", "02 10:45"),
        ("long_bathroom_stay", "cleared", "major", "02 11:00"),
    ]
    assert events[0].evidence["how"] == "the bathroom door closed behind her"


def test_a_second_flush_pulse_as_she_comes_out_is_not_her_going_back_in():
    """kasteren-b's flush pulses twice: 2 s after she opened the toilet door to come out,
    it read as a new visit, and the kitchen a few seconds later was inside the grace that
    keeps a visit going, so the silence after it was "in the bathroom" (2 h, not 5 h)."""
    stream = [r(at(0, "00:30"), "bed", True), *morning(0)]
    stream += [item for hour in range(9, 14) for item in pulse(at(0, f"{hour}:00"), "pir_kitchen")]
    stream += [
        r(at(0, "14:00"), "toilet_door", "open"),
        r(at(0, "14:00", 5), "toilet_door", "closed"),
    ]
    stream += pulse(at(0, "14:02"), "flush", seconds=1)
    stream += [r(at(0, "14:03"), "toilet_door", "open")]
    stream += pulse(at(0, "14:03", 2), "flush", seconds=1)
    stream += pulse(at(0, "14:03", 30), "pir_kitchen")
    _, events = play(stream, until=at(0, "23:00"))
    assert brief(events, DISTRESS)[:1] == [("no_activity", "raised", "major", "02 19:03")]
    assert events[0].evidence["silence_began"] == "kitchen"


def test_a_toilet_door_closed_on_the_way_out_is_no_stay():
    stream = [r(at(0, "00:30"), "bed", True), *morning(0)]
    stream += pulse(at(0, "10:00"), "flush", seconds=5)
    stream += [
        r(at(0, "10:01"), "toilet_door", "open"),
        r(at(0, "10:01", 5), "toilet_door", "closed"),
    ]
    stream += [r(at(0, "10:02"), "seat", True)]
    _, events = play(stream, until=at(0, "12:00"))
    assert brief(events, DISTRESS) == []


def test_a_minute_behind_the_toilet_door_unseen_then_shut_from_outside_is_no_stay():
    """kasteren-b without its flush: the toilet door stood open; she went in and shut it
    behind her (a minute, nothing inside to see her), opened it and shut it again from
    outside on her way to a room without a sensor. The opening was read as her coming to
    the door from the kitchen, so "shut behind her" raised a long stay after 45 min."""
    day = [r(at(0, "00:30"), "bed", True), *morning(0), r(at(0, "19:50"), "toilet_door", "open")]
    day += [item for hour in range(9, 20) for item in pulse(at(0, f"{hour}:00"), "pir_kitchen")]
    day += pulse(at(0, "19:51"), "fridge", seconds=4)

    def toilet_door(*moments):
        return [
            r(at(0, hhmm, seconds), "toilet_door", value)
            for (hhmm, seconds), value in zip(moments, ("closed", "open", "closed"), strict=True)
        ]

    visit = toilet_door(("19:51", 24), ("19:52", 25), ("19:52", 30))
    monitor, events = play(day + visit, until=at(0, "21:00"))
    assert brief(events, DISTRESS) == []
    assert monitor.whereabouts.bathroom.stay is None
    # A latch that bounces (shut and open again within a second) is still her way in.
    bounce = toilet_door(("19:52", 0), ("19:52", 1), ("19:52", 4))
    _, events = play(day + bounce, until=at(0, "21:00"))
    assert brief(events, DISTRESS) == [("long_bathroom_stay", "raised", "major", "02 20:37")]
    # Seen elsewhere after she shut it, she comes to it from outside: shut behind her.
    later = [
        *pulse(at(0, "20:10"), "pir_kitchen"),
        r(at(0, "20:20"), "toilet_door", "open"),
        r(at(0, "20:20", 5), "toilet_door", "closed"),
    ]
    _, events = play(day + visit + later, until=at(0, "21:10"))
    assert brief(events, DISTRESS) == [("long_bathroom_stay", "raised", "major", "02 21:05")]


# --------------------------------------------------------------------- sensors that lie


def test_a_motion_sensor_stuck_on_is_reported_and_believed_again_once_it_changes():
    stream = [r(at(0, "00:30"), "bed", True), *morning(0)]
    stream += [r(at(0, "09:00"), "basin", True)]  # its "off" was lost
    stream += [r(at(0, "09:10"), "seat", True), r(at(0, "15:00"), "seat", False)]
    stream += [r(at(0, "20:00"), "basin", False), *pulse(at(0, "20:30"), "basin")]
    monitor, events = play(stream, until=at(0, "21:00"))
    stuck = [e for e in events if e.kind == "sensor_stuck"]
    assert [(e.state, e.severity, e.device) for e in stuck] == [
        ("raised", "warning", "basin"),
        ("cleared", "warning", "basin"),
    ]
    assert brief(stuck)[0][3] == "02 11:00"  # two hours of "motion" without a pause
    assert "probably stuck" in stuck[0].evidence["summary"]
    assert monitor.whereabouts.sensors.trusted("basin")
    assert monitor.whereabouts.last[2] == "motion in bathroom"  # 20:30: believed again


def test_a_flapping_bed_mat_is_reported_and_its_pulses_are_no_sign_of_life():
    stream = [r(at(0, "00:30"), "bed", True), *morning(0), *pulse(at(0, "09:00"), "kettle")]
    t, value = at(0, "09:05"), True
    while t < at(0, "18:00"):  # a loose contact: the mat changes every 2 s for hours
        stream.append(r(t, "bed", value))
        t, value = t + 2, not value
    _, events = play(stream, until=at(0, "18:00"))
    flapping = [e for e in events if e.kind == "sensor_flapping"]
    assert [(e.state, e.device) for e in flapping] == [("raised", "bed")]
    assert brief(flapping)[0][3] == "02 09:38"  # 120 changes by 09:09, then half an hour
    raised = [e for e in events if e.kind == "no_activity" and e.state == "raised"]
    # The first changes still looked like her lying down on it (resting: 8 h); none after.
    assert raised[0].started == pytest.approx(at(0, "09:09"), abs=60)
    assert raised[0].ts == pytest.approx(at(0, "17:09"), abs=60)


# --------------------------------------------------------------------- away


def test_days_away_through_the_front_door_are_no_collapse():
    stream = [r(at(0, "00:30"), "bed", True), *morning(0)]
    stream += pulse(at(0, "10:00"), "front_door", seconds=5)
    stream += pulse(at(3, "17:00"), "front_door", seconds=5) + pulse(at(3, "17:02"), "fridge")
    _, events = play(stream, until=at(3, "18:00"))
    assert brief(events, DISTRESS) == [
        ("not_returned_home", "raised", "major", "02 16:00"),
        ("not_returned_home", "cleared", "major", "05 17:00"),
    ]


def test_without_a_front_door_sensor_a_long_silence_is_still_raised():
    home = real_home(front_door=False)
    stream = [r(at(0, "00:30"), "bed", True, home), *morning(0, home)]
    stream += pulse(at(0, "10:00"), "pir_kitchen", home)
    _, events = play(stream, home=home, until=at(1, "03:00"))
    # Nothing known of her yet, and no front-door sensor to see her go: the silence may
    # be an outing nobody saw begin, so the prior is 8 h (5 h where the door is seen).
    assert brief(events, DISTRESS) == [
        ("no_activity", "raised", "major", "02 18:00"),
        ("no_activity", "updated", "critical", "03 02:00"),
    ]
    assert "no front-door sensor" in events[0].evidence["sensors"]
    assert events[0].evidence["threshold_h"] == 8.0


def test_out_a_lone_motion_trigger_does_not_bring_her_home_but_a_cupboard_does():
    stream = [r(at(0, "00:30"), "bed", True), *morning(0)]
    stream += pulse(at(0, "10:00"), "front_door", seconds=5)
    stream += pulse(at(0, "12:00"), "pir_kitchen")  # the sun on the sensor
    monitor, _ = play(stream, until=at(0, "12:30"))
    assert monitor.whereabouts.doorway.location == "out"
    _, _ = play(pulse(at(0, "13:00"), "fridge"), monitor=monitor)
    assert monitor.whereabouts.doorway.location == "home"


def gone_out_at_ten():
    stream = [r(at(0, "00:30"), "bed", True), *morning(0)]
    return stream + pulse(at(0, "10:00"), "front_door", seconds=5)


def test_out_one_sensor_triggering_twice_and_falling_silent_does_not_bring_her_home():
    # The bathroom PIR of a home whose resident was out for the day: two triggers 46 s
    # apart, then nothing for 45 minutes (van Kasteren's house B). Someone who came home
    # goes on moving past it.
    stream = gone_out_at_ten()
    stream += pulse(at(0, "21:47"), "basin", seconds=5) + pulse(at(0, "21:47") + 46, "basin")
    stream += pulse(at(0, "22:32"), "basin", seconds=5)
    monitor, events = play(stream, until=at(0, "23:00"))
    assert monitor.whereabouts.doorway.location == "out"
    assert not [e for e in events if e.kind == "no_activity"]


def test_out_one_sensor_seeing_her_move_about_for_minutes_brings_her_home():
    stream = gone_out_at_ten()
    for minute in (0, 2, 5):  # the door sensor missed her; she moves about the kitchen
        stream += pulse(at(0, "12:00") + minute * 60, "pir_kitchen", seconds=5)
    monitor, _ = play(stream, until=at(0, "12:30"))
    assert monitor.whereabouts.doorway.location == "home"
    assert monitor.whereabouts.doorway.home_at == at(0, "12:00")


def test_out_a_sensor_firing_every_ten_minutes_or_heard_twice_does_not_bring_her_home():
    stream = gone_out_at_ten()
    for minute in (0, 10, 20):  # a glitch that comes back: never three within 15 min
        stream += pulse(at(0, "14:00") + minute * 60, "pir_kitchen", seconds=5)
    t = at(0, "15:00")  # a trigger whose message came twice (QoS 1), and one more
    stream += [r(t, "basin", True), r(t, "basin", True), r(t + 5, "basin", False)]
    stream += pulse(t + 46, "basin", seconds=5)
    monitor, _ = play(stream, until=at(0, "15:30"))
    assert monitor.whereabouts.doorway.location == "out"
    # A reading from before she left, arriving late, is no second sensor seeing her now;
    # nor is one reordered between the two triggers of a glitch a third trigger.
    play(pulse(at(0, "09:55"), "pir_kitchen", seconds=5), monitor=monitor)
    play([r(t + 20, "basin", True)], monitor=monitor)
    assert monitor.whereabouts.doorway.location == "out"


def test_out_one_old_message_sent_again_and_again_is_counted_once():
    # A bridge that reconnects and redelivers the same old trigger (QoS 1): she stays out,
    # and what is kept of it stays one trigger, not one per delivery.
    stream = gone_out_at_ten() + pulse(at(0, "14:00"), "pir_kitchen", seconds=5)
    monitor, _ = play(stream)
    for _ in range(500):
        monitor.feed(r(at(0, "14:00"), "pir_kitchen", True))
    doorway = monitor.whereabouts.doorway
    assert doorway.location == "out" and len(doorway.strays) == 1


def test_a_run_of_signs_saved_by_another_version_loads_and_keeps_counting():
    # A run saved as [first, last, motion alone, count, device, several] by a build of
    # this rule's first day: the two-trigger rule until it ends, then today's.
    stream = [r(at(0, "00:30"), "bed", True), *morning(0)]
    stream += pulse(at(0, "09:00"), "pir_kitchen", seconds=5)
    monitor, _ = play(stream)
    state = json.loads(json.dumps(monitor.state_dict()))
    state["whereabouts"]["run"] = [at(0, "09:00"), at(0, "09:00"), True, 1, "pir_kitchen", False]
    restored = HomeMonitor(HOME, detectors=list(ACTIVITY_DETECTORS))
    restored.load_state(state)
    for minute in (5, 10, 15):
        play(pulse(at(0, "09:00") + minute * 60, "pir_kitchen", seconds=5), monitor=restored)
    assert restored.whereabouts.run[:3] == [at(0, "09:00"), at(0, "09:15"), True]
    later, _ = play(pulse(at(0, "11:00"), "pir_kitchen", seconds=5), monitor=restored)
    assert len(later.whereabouts.run) == 5


def test_out_two_sensors_seeing_her_within_seconds_bring_her_home():
    # Past the living room's PIR into the kitchen: two sensors cannot glitch together.
    home = real_home(living_room_pir=True)
    stream = [r(at(0, "00:30"), "bed", True, home), *morning(0, home)]
    stream += pulse(at(0, "10:00"), "front_door", home, seconds=5)
    stream += pulse(at(0, "12:00"), "pir_living", home, seconds=5)
    stream += pulse(at(0, "12:00") + 10, "pir_kitchen", home, seconds=5)
    monitor, _ = play(stream, home=home, until=at(0, "12:30"))
    assert monitor.whereabouts.doorway.location == "home"


# --------------------------------------------------------------------- her own routine


def late_sleeper_days(days, home=HOME):
    """In bed 02:00-11:00, the armchair in the evening until past midnight."""
    stream = []
    for day in range(days):
        stream += [r(at(day, "02:00"), "bed", True, home), *morning(day, home, wake="11:00")]
        stream += [
            r(at(day, "12:00"), "seat", True, home),
            r(at(day, "16:00"), "seat", False, home),
        ]
        stream += pulse(at(day, "16:10"), "kettle", home) + pulse(at(day, "19:00"), "fridge", home)
        stream += [
            r(at(day, "19:10"), "seat", True, home),
            r(at(day, "25:50"), "seat", False, home),
        ]
        stream += pulse(at(day, "25:55"), "basin", home)
    return stream


def test_a_resident_who_sleeps_from_two_to_eleven_is_normal_for_her():
    monitor, events = play(late_sleeper_days(6), until=at(6, "01:00"))
    assert brief(events, DISTRESS) == []
    start, end, learned = monitor.whereabouts.day.night()
    clock = monitor.whereabouts.clock
    assert learned and (clock.clock_text(start), clock.clock_text(end)) == ("01:30", "10:31")
    # ... and when she does not get up, not_up still comes, by her own clock
    _, events = play([r(at(6, "02:00"), "bed", True)], monitor=monitor, until=at(6, "15:00"))
    assert brief(events, DISTRESS) == [("not_up", "raised", "major", "08 12:31")]
    assert events[0].evidence["usual_wake"] == "11:01"  # out of the bedroom at 11:01


def leaves_unseen_twice(home, *, lies_down_on_return=False):
    """In bed at eleven every night; up at seven, but on two days out of bed at seven and
    gone before anything outside the bedroom sees her, first seen in the kitchen at six in
    the evening (``lies_down_on_return``: then on the bed from 18:10 to 19:40, and the
    kettle). The seventh night she stays in bed."""
    stream = []
    for day in range(6):
        stream += [r(at(day, "23:00"), "bed", True, home)]
        if day in (2, 4):
            stream += [r(at(day + 1, "07:00"), "bed", False, home)]
            stream += pulse(at(day + 1, "18:00"), "pir_kitchen", home)
            if lies_down_on_return:
                stream += [r(at(day + 1, "18:10"), "bed", True, home)]
                stream += [r(at(day + 1, "19:40"), "bed", False, home)]
                stream += pulse(at(day + 1, "19:45"), "kettle", home)
        else:
            stream += morning(day + 1, home, wake="07:00") + pulse(at(day + 1, "12:00"), "kettle")
    return [*stream, r(at(6, "23:00"), "bed", True, home)]


def test_a_day_she_left_unseen_from_the_bedroom_teaches_no_time_of_getting_up():
    # No front-door sensor: on two days she gets out of bed at seven and is gone before
    # anything outside the bedroom sees her; the kitchen sees her first at six in the
    # evening. Nineteen hours after she went to bed is no morning (nor is it a night).
    home = real_home(front_door=False)
    monitor, events = play(leaves_unseen_twice(home), home=home, until=at(7, "14:00"))
    assert monitor.whereabouts.day.wakes == [pytest.approx(7 + 1 / 60)] * 4
    # Those two mornings looked like not being up (nothing says she went out); the
    # morning she stays in bed is raised at her own 07:01 + 90 min, not four hours later
    # as if she sometimes got up at six in the evening.
    raised = [e for e in brief(events, DISTRESS) if e[1] == "raised"]
    assert raised[-1] == ("not_up", "raised", "major", "09 08:31")
    assert events[-1].evidence["usual_wake"] == "07:01"


def test_evenings_in_the_bedroom_with_the_television_do_not_cost_her_mornings():
    # Every day in the bedroom from six in the evening: fifteen hours later is still her
    # morning, as she was seen there until she got up (no front-door sensor either). The
    # morning she stays in bed is raised at 08:31 + 90 min, not at the default noon.
    home = real_home(front_door=False, bedroom_pir=True)
    monitor, events = play(tv_in_the_bedroom(home, 7), home=home, until=at(7, "14:00"))
    assert len(monitor.whereabouts.day.wakes) == 6
    raised = [e for e in brief(events, DISTRESS) if e[1] == "raised"]
    assert raised == [("not_up", "raised", "major", "09 10:01")]


def bedroom_door_flat():
    """A kettle, a kitchen PIR, a bathroom PIR, the front door; in the bedroom, its door
    only."""
    devices = [
        ("kettle", "appliance", "kitchen"),
        ("pir_kitchen", "motion", "kitchen"),
        ("basin", "motion", "bathroom"),
        ("front_door", "door", "front_door"),
        ("bedroom_door", "door", "bedroom_door"),
    ]
    return make_home(
        "h002",
        devices=zigbee_devices(devices),
        resident={"name": "李桂兰", "birth_year": 1938},
    )


def test_a_bedroom_door_left_open_does_not_cost_her_mornings():
    # The bedroom's only sensor is its door, which she leaves open: the last time it moved
    # (day 0, 21:00) is no bedtime of any later night. She sleeps 23:00-07:00 every day;
    # on day 7 she does not get up.
    home = bedroom_door_flat()
    stream = pulse(at(0, "21:00"), "bedroom_door", home, seconds=5)
    for day in range(1, 7):
        stream += pulse(at(day, "07:00"), "kettle", home, 120)
        stream += pulse(at(day, "07:01"), "pir_kitchen", home)
        stream += pulse(at(day, "07:10"), "basin", home)
        t = at(day, "08:00")
        while t < at(day, "23:00"):
            stream += pulse(t, "pir_kitchen", home)
            t += 30 * 60
    monitor, _ = play(stream, home=home, until=at(7, "14:00"))
    assert monitor.whereabouts.day.wakes == [pytest.approx(7.0)] * 6


def test_mornings_are_still_learned_while_the_bed_mat_is_silent():
    # As kasteren-b from 08-06 04:28: every bedroom sensor falls silent (a flat battery,
    # or she sleeps in the spare room) while she goes on getting up at seven. The last
    # stretch the mat saw (day 2, 23:00) is not when she went to rest on the nights after.
    stream = []
    for day in range(8):
        if day < 3:
            stream += [r(at(day, "23:00"), "bed", True)]
        stream += morning(day + 1, wake="07:00") + pulse(at(day + 1, "12:00"), "kettle")
        stream += pulse(at(day + 1, "16:00"), "fridge") + pulse(at(day + 1, "22:30"), "basin")
    monitor, _ = play(stream, until=at(9, "06:00"))
    assert monitor.whereabouts.day.wakes == [pytest.approx(7 + 1 / 60)] * 8


def test_a_state_saved_before_returns_were_told_loads_and_learns_her_mornings():
    # An edge upgraded in the middle of the fortnight resumes from a state without the
    # bedroom's last sign: it goes on learning her mornings, and her returns again once
    # the bedroom has been heard from.
    home = real_home(front_door=False)
    stream = sorted(leaves_unseen_twice(home), key=lambda x: x.epoch)
    cut = at(2, "12:00")
    monitor, _ = play([x for x in stream if x.epoch < cut], home=home)
    state = json.loads(json.dumps(monitor.state_dict()))
    for field in ("bedroom_at", "came_back"):
        del state["whereabouts"]["day"][field]
    restored = HomeMonitor(home, detectors=list(ACTIVITY_DETECTORS))
    restored.load_state(state)
    _, events = play([x for x in stream if x.epoch >= cut], monitor=restored)
    events += restored.advance(at(7, "14:00"))
    assert restored.whereabouts.day.wakes == [pytest.approx(7 + 1 / 60)] * 4
    raised = [e for e in brief(events, DISTRESS) if e[1] == "raised"]
    assert raised[-1] == ("not_up", "raised", "major", "09 08:31")


def tv_in_the_bedroom(home, days):
    """In the bedroom from six in the evening (its motion sensor sees her every twenty
    minutes), in bed at eleven, up at half past eight; on the last night she stays in bed."""
    stream = []
    for day in range(days):
        t = at(day, "18:00")
        while t < at(day, "23:00"):
            stream += pulse(t, "pir_bedroom", home)
            t += 20 * 60
        stream += [r(at(day, "23:00"), "bed", True, home)]
        if day < days - 1:
            stream += morning(day + 1, home, wake="08:30")
            stream += pulse(at(day + 1, "12:00"), "kettle", home)
            stream += pulse(at(day + 1, "14:30"), "kettle", home)
            stream += pulse(at(day + 1, "17:00"), "fridge", home)
    return stream


def test_a_mat_off_delivered_a_minute_late_does_not_cost_her_mornings():
    # The television evenings, but each morning the mat's "off" (08:30:00) reaches the
    # edge 90 s late, after the toilet door (08:31): she was in the bedroom a minute
    # before, so that was her morning, not her coming back.
    home = real_home(front_door=False, bedroom_pir=True)
    stream = sorted(tv_in_the_bedroom(home, 7), key=lambda x: x.epoch)
    delivered = sorted(
        stream, key=lambda x: x.epoch + (90 if x.device == "bed" and x.value is False else 0)
    )
    monitor = HomeMonitor(home, detectors=list(ACTIVITY_DETECTORS))
    events = []
    for item in contacts_closed(stream[0].epoch - 1, home) + delivered:
        events += monitor.feed(item)
    events += monitor.advance(at(7, "14:00"))
    assert monitor.late_readings == 6
    assert len(monitor.whereabouts.day.wakes) == 6
    raised = [e for e in brief(events, DISTRESS) if e[1] == "raised"]
    assert raised == [("not_up", "raised", "major", "09 10:01")]


def test_with_a_front_door_she_did_not_leave_unseen():
    # The bedroom's only sensor is its door: in at five with the television, up at half
    # past seven, 14.5 h later and never seen in the bedroom meanwhile. Without a
    # front-door sensor that may be her coming home; with one, she never went.
    home = bedroom_door_flat()
    stream = []
    for day in range(7):
        stream += [r(at(day, "17:00"), "bedroom_door", "open", home)]
        if day < 6:
            stream += pulse(at(day + 1, "07:30"), "kettle", home, 120)
            stream += pulse(at(day + 1, "07:31"), "pir_kitchen", home)
            stream += pulse(at(day + 1, "07:40"), "basin", home)
            stream += [r(at(day + 1, "09:00"), "bedroom_door", "closed", home)]
            t = at(day + 1, "09:30")
            while t < at(day + 1, "16:50"):
                stream += pulse(t, "pir_kitchen", home)
                t += 30 * 60
    monitor, _ = play(stream, home=home, until=at(7, "14:00"))
    assert monitor.whereabouts.day.wakes == [pytest.approx(7.5)] * 6


def test_coming_back_and_lying_down_for_an_hour_teaches_no_time_of_getting_up():
    # Back home unseen at six, she lies down until twenty to eight: her getting up from
    # that is no more her morning than her coming back was.
    home = real_home(front_door=False)
    stream = leaves_unseen_twice(home, lies_down_on_return=True)
    monitor, events = play(stream, home=home, until=at(7, "14:00"))
    assert monitor.whereabouts.day.wakes == [pytest.approx(7 + 1 / 60)] * 4
    raised = [e for e in brief(events, DISTRESS) if e[1] == "raised"]
    assert raised[-1] == ("not_up", "raised", "major", "09 08:31")


def test_long_outings_that_raised_an_alert_are_learned_and_stop_raising():
    stream = []
    for day in range(14):  # she works (or visits family) from nine to eight
        stream += morning(day) + pulse(at(day, "09:00"), "front_door", seconds=5)
        stream += pulse(at(day, "20:00"), "front_door", seconds=5)
        stream += pulse(at(day, "20:02"), "fridge") + pulse(at(day, "21:30"), "kettle")
        stream += [r(at(day, "22:30"), "bed", True)]
    monitor, events = play(stream)
    raised = [e for e in brief(events, DISTRESS) if e[1] == "raised"]
    # The default (6 h) on her first day; then what she has come back from, and an hour
    # (12 h) until ten outings are known; then her own 11 h outings.
    assert raised == [("not_returned_home", "raised", "major", "02 15:00")]
    threshold, usual = detector(monitor, NotReturnedHomeDetector).threshold(at(14, "09:00"))
    assert usual == pytest.approx(11 * 3600, abs=60) and threshold == 14 * 3600


# --------------------------------------------------------------------- learning, feedback


def test_the_learning_period_is_said_in_the_evidence_and_ends():
    home = real_home(front_door=False)
    stream = []
    for day in range(16):
        stream += [r(at(day, "00:30"), "bed", True, home), *morning(day, home)]
        stream += pulse(at(day, "12:00"), "pir_kitchen", home) + pulse(
            at(day, "15:00"), "kettle", home
        )
    stream += [r(at(16, "00:30"), "bed", True, home)]
    _, events = play(stream, home=home, until=at(16, "14:00"))
    raised = [e for e in events if e.kind == "not_up" and e.state == "raised"]
    assert len(raised) == 1 and "learning" not in raised[0].evidence["baseline"]
    first_night = [*walk_test(at(0, "00:10"), home), r(at(0, "00:30"), "bed", True, home)]
    _, events = play(first_night, home=home, until=at(0, "13:00"))
    assert events[0].evidence["baseline"].startswith("learning, day 1 of 14")


def test_outcome_feedback_moves_a_limit_within_its_bounds():
    stream = [r(at(0, "00:30"), "bed", True), *morning(0), *pulse(at(0, "10:00"), "kettle")]
    for factor, raised_at in ((1.0, "02 15:00"), (1.5, "02 17:30"), (3.0, "02 22:00")):
        home = real_home(thresholds={"feedback": {"no_activity": factor}})
        _, events = play(stream, home=home, until=at(1, "06:00"))
        assert brief(events, DISTRESS)[0] == ("no_activity", "raised", "major", raised_at)
    # 8 h in the armchair x 3 would be a day: never beyond the ceiling (12 h)
    home = real_home(thresholds={"feedback": {"no_activity": 3.0}})
    seated = [r(at(0, "00:30"), "bed", True), *morning(0), r(at(0, "09:00"), "seat", True)]
    _, events = play(seated, home=home, until=at(1, "00:00"))
    assert brief(events, DISTRESS)[0] == ("no_activity", "raised", "major", "02 21:00")
    assert "limit x3 after outcomes" in events[0].evidence["baseline"]


@pytest.mark.parametrize("factor", [0.2, 5, "twice"])
def test_outcome_feedback_out_of_bounds_is_refused_with_the_reason(factor):
    home = real_home(thresholds={"feedback": {"no_activity": factor}})
    with pytest.raises(AnalyticsError, match=r"thresholds\.feedback"):
        HomeMonitor(home, detectors=list(ACTIVITY_DETECTORS))


def test_evidence_is_plain_values_in_the_local_time():
    stream = [r(at(0, "00:30"), "bed", True), *morning(0), *pulse(at(0, "10:00"), "kettle")]
    _, events = play(stream, until=at(0, "16:00"))
    document = events[0].to_dict(TZ)
    assert document["evidence"]["last_activity"] == "10:00"
    assert document["ts"].endswith("+08:00")
