"""Activity and routine detectors on hand-built streams, and on the simulator when present."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from analytics import AnalyticsError, HomeMonitor
from analytics.activity import (
    ACTIVITY_DETECTORS,
    LongBathroomStayDetector,
    NoActivityDetector,
)
from analytics.whereabouts import Whereabouts

from .activity_support import (
    HOME,
    TZ,
    at,
    bathroom,
    brief,
    detector,
    door,
    heart_rate,
    home_config,
    initial_states,
    motion,
    ordinary_day,
    reading,
    run,
    steps,
)

# --------------------------------------------------------------------- no_activity


def test_no_activity_is_raised_after_the_default_threshold_escalates_and_clears():
    stream = bathroom(at(0, "07:00"), 10)
    stream += [m for k in range(9) for m in motion(at(0, "07:30") + k * 15 * 60)]  # to 09:30
    stream += heart_rate(at(0, "09:31"), at(0, "20:00"))  # a pulse is not activity
    # One motion sensor firing once or twice after hours of silence is no sign that she
    # is fine (the sun on it, a curtain); moving about past it is.
    stream += motion(at(0, "20:30")) + motion(at(0, "20:31"))
    _, events = run(stream)
    assert [e.state for e in events if e.kind == "no_activity"][-1] != "cleared"
    stream += motion(at(0, "20:33"))
    _, events = run(stream)
    # The bracelet she wears was reporting: it would have seen her move anywhere, so
    # the default for such a silence is 3 h, not 5.
    assert brief(events) == [
        ("no_activity", "raised", "major", "02 12:30"),
        ("no_activity", "updated", "critical", "02 15:30"),
        ("no_activity", "cleared", "critical", "02 20:33"),
    ]
    raised = events[0]
    assert raised.started == at(0, "09:30")
    assert raised.evidence["last_activity"] == "09:30"
    assert raised.evidence["last_activity_what"] == "motion in living room"
    assert raised.evidence["last_seen_in"] == "living_room"
    assert raised.evidence["silence_began"] == "living_room"
    assert raised.evidence["threshold_h"] == 3.0
    assert raised.evidence["usual_max_gap_h"] is None  # nothing learned yet: the default
    assert raised.evidence["baseline"].startswith(
        "learning, day 1 of 14: default for a silence that began in the living room"
    )
    assert "a wearable she wears was reporting" in raised.evidence["context"]
    assert "no activity for 3.0 h, last activity 09:30" in raised.evidence["summary"]
    assert events[2].evidence["activity_at"] == "20:30"
    json.dumps(raised.to_dict(TZ), ensure_ascii=False)  # plain values a dispatcher can read


def test_a_motion_sensor_firing_every_ten_minutes_does_not_clear_no_activity():
    stream = bathroom(at(0, "07:00"), 10)
    stream += [m for k in range(9) for m in motion(at(0, "07:30") + k * 15 * 60)]  # to 09:30
    stream += heart_rate(at(0, "09:31"), at(0, "20:00"))
    for minute in (30, 40, 50):  # never three within 15 min: the sun, now and again
        stream += motion(at(0, "20:00") + minute * 60)
    _, events = run(stream)
    assert [e.state for e in events if e.kind == "no_activity"] == ["raised", "updated"]
    stream += motion(at(0, "20:52"))  # moving about: 20:40, 20:50, 20:52
    _, events = run(stream)
    assert brief(events)[-1] == ("no_activity", "cleared", "critical", "02 20:52")


def test_going_out_in_the_day_is_not_no_activity_and_not_returned_home_clears_on_return():
    stream = bathroom(at(0, "07:00"), 10) + motion(at(0, "08:50"))
    stream += door(at(0, "09:00"))
    stream += steps(at(0, "09:10"), at(0, "16:00"), per_report=400)  # walking about outside
    stream += door(at(0, "16:00")) + motion(at(0, "16:02"))
    _, events = run(stream, until=at(0, "17:00"))
    assert brief(events) == [
        ("not_returned_home", "raised", "major", "02 15:00"),
        ("not_returned_home", "cleared", "major", "02 16:00"),
    ]
    evidence = events[0].evidence
    assert evidence["left_at"] == "09:00"
    assert evidence["reason"] == "out longer than usual"
    assert evidence["threshold_h"] == 6.0  # while learning, the conservative default
    assert "conservative limit" in evidence["baseline"]
    assert evidence["steps_since_leaving"] > 0
    assert events[1].evidence["back_at"] == "16:00"


def test_a_short_outing_raises_nothing_and_still_out_well_into_the_night_is_raised():
    stream = ordinary_day(0, out=("09:00", "10:00"))
    stream += [r for r in ordinary_day(1) if r.epoch < at(1, "20:55")] + door(at(1, "21:00"))
    stream += heart_rate(at(1, "21:10"), at(2, "02:30"))
    _, events = run(stream)
    # Out at 21:00; her night begins at 22:30 (the config's, nothing learned yet): while
    # learning, three hours into it, before the six hours an outing may last.
    assert brief(events) == [("not_returned_home", "raised", "major", "04 01:30")]
    assert events[0].evidence["reason"] == "still out at night"


# --------------------------------------------------------------------- not_up


def test_a_night_bathroom_visit_is_not_getting_up_and_a_normal_morning_raises_nothing():
    stream = bathroom(at(0, "03:00"), 6) + ordinary_day(0, wake="07:00")
    _, events = run(stream, until=at(0, "23:00"))
    assert events == []


def test_not_up_is_raised_at_the_default_time_after_a_night_visit_and_cleared_when_up():
    stream = bathroom(at(0, "03:00"), 6) + heart_rate(at(0, "03:10"), at(0, "12:30"))
    stream += bathroom(at(0, "12:30"), 10)
    _, events = run(stream)
    # Until two mornings are known, up by noon: a resident who sleeps from two to eleven
    # is normal for her.
    assert brief(events) == [
        ("not_up", "raised", "major", "02 12:00"),
        ("not_up", "cleared", "major", "02 12:30"),
    ]
    evidence = events[0].evidence
    assert evidence["deadline"] == "12:00" and evidence["usual_wake"] is None
    assert evidence["last_activity"].startswith("03:06")  # the night visit, not a wake-up
    assert "not up by 12:00" in evidence["summary"]
    assert evidence["baseline"] == (
        "learning, day 1 of 14: default (0 of 2 mornings known), conservative limit"
    )


def test_a_step_count_after_the_night_holding_night_steps_is_not_getting_up():
    # Bands report cumulative steps every 15 min: the 06:10 count holds the steps of
    # the 05:50 bathroom visit, walked in the night.
    stream = bathroom(at(0, "05:50"), 5) + heart_rate(at(0, "06:11"), at(0, "12:30"))
    stream += [reading(at(0, "05:40"), "band", "steps", 0)]
    stream += [reading(at(0, "06:10"), "band", "steps", 30)]
    _, events = run(stream)
    assert brief(events) == [("not_up", "raised", "major", "02 12:00")]


def test_not_up_learns_the_usual_time_of_getting_up():
    stream = heart_rate(at(0, "00:00"), at(0, "00:10"))  # monitoring from the night on
    stream += [r for day in range(3) for r in ordinary_day(day, wake="06:30")]
    stream += heart_rate(at(3, "05:00"), at(3, "09:00"))
    monitor, events = run(stream)
    assert brief(events) == [("not_up", "raised", "major", "05 08:00")]  # 06:30 + 90 min
    assert events[0].evidence["usual_wake"] == "06:30"
    assert events[0].evidence["wake_days"] == 3
    assert monitor.whereabouts.day.wakes == [6.5] * 3  # hours after midnight


# --------------------------------------------------------------------- night_wandering


def test_night_wandering_is_raised_critical_and_cleared_on_return():
    stream = ordinary_day(0)
    stream += door(at(1, "02:00")) + heart_rate(at(1, "02:01"), at(1, "02:40"))
    stream += door(at(1, "02:40")) + motion(at(1, "02:42"))
    _, events = run(stream)
    assert brief(events) == [
        ("night_wandering", "raised", "critical", "03 02:15"),
        ("night_wandering", "cleared", "critical", "03 02:40"),
    ]
    evidence = events[0].evidence
    assert evidence["door_opened"] == "02:00" and evidence["window_min"] == 15
    assert "during the night (22:30-06:00, learning, day 1 of 14" in evidence["summary"]
    assert events[0].started == at(1, "02:00")


def test_coming_back_at_night_within_the_window_raises_nothing():
    stream = ordinary_day(0)
    stream += door(at(1, "02:00")) + door(at(1, "02:08")) + motion(at(1, "02:10"))
    stream += heart_rate(at(1, "02:00"), at(1, "03:00"))
    # coming home late from an evening out is a return, not wandering
    stream += door(at(1, "19:00")) + door(at(1, "23:10")) + motion(at(1, "23:12"))
    stream += bathroom(at(1, "07:00"), 10)
    _, events = run(stream, until=at(2, "01:00"))
    assert brief(events, {"night_wandering"}) == []


def test_a_helper_leaving_at_night_is_not_wandering_when_the_resident_is_not_walking():
    stream = ordinary_day(0)
    stream += [reading(at(1, "00:00"), "band", "worn", True)]
    stream += steps(at(1, "00:05"), at(1, "03:00"), per_report=0)  # she stays in bed
    stream += heart_rate(at(1, "00:00"), at(1, "03:00"))
    stream += door(at(1, "01:00")) + motion(at(1, "01:01")) + motion(at(1, "01:20"))  # comes in
    stream += door(at(1, "01:50"))  # and leaves
    _, events = run(stream)
    assert brief(events, {"night_wandering"}) == []


# --------------------------------------------------------------------- long_bathroom_stay


def test_long_bathroom_stay_by_radar_is_raised_and_cleared_on_exit():
    stream = ordinary_day(0) + bathroom(at(1, "07:00"), 10)
    stream += [m for k in range(8) for m in motion(at(1, "07:20") + k * 20 * 60)]
    stream += [reading(at(1, "10:00"), "radar", "presence", True)]
    stream += [reading(at(1, "10:00") + k * 300, "radar", "presence", True) for k in range(14)]
    stream += [reading(at(1, "11:10"), "radar", "presence", False)]
    stream += motion(at(1, "11:12"))
    _, events = run(stream)
    assert brief(events) == [
        ("long_bathroom_stay", "raised", "major", "03 10:45"),
        ("long_bathroom_stay", "cleared", "major", "03 11:10"),
    ]
    evidence = events[0].evidence
    assert evidence["entered"] == "10:00" and evidence["minutes"] == 45
    assert evidence["device"] == "radar" and events[0].device == "radar"
    assert "in the bathroom since 10:00" in evidence["summary"]


def test_a_bathroom_door_closed_on_her_way_out_then_silence_is_no_bathroom_stay():
    # In and out, closing the door behind her as she leaves: then silence. She may have
    # gone to bed or to a room without a sensor: nothing says she is in there, so it is
    # no_activity's to judge, not long_bathroom_stay's.
    home = home_config(radar=False)
    stream = motion(at(0, "09:30")) + door(at(0, "10:00"), "bath_door")
    stream += door(at(0, "10:06"), "bath_door")
    _, events = run(stream, home=home, until=at(0, "16:00"))
    assert brief(events) == [("no_activity", "raised", "major", "02 15:06")]
    assert events[0].evidence["last_seen_in"] == "bathroom"
    assert events[0].evidence["silence_began"] == "bathroom_door"


def test_a_bathroom_door_shut_behind_her_as_she_goes_in_is_a_stay():
    # Seen in the living room, then the bathroom door opens and shuts within one passage:
    # she went in and closed it behind her, even before any sign of her inside.
    home = home_config(radar=False)
    stream = motion(at(0, "09:30")) + door(at(0, "10:00"), "bath_door")
    _, events = run(stream, home=home, until=at(0, "11:00"))
    assert brief(events) == [("long_bathroom_stay", "raised", "major", "02 10:45")]
    assert events[0].evidence["how"] == "the bathroom door closed behind her"


def test_the_bathroom_threshold_is_learned_from_usual_stays_and_conservative_while_learning():
    stream = motion(at(0, "06:50"))
    stream += [r for k in range(20) for r in bathroom(at(0, "07:00") + k * 1800, 10)]
    monitor, _ = run(stream)
    stays = detector(monitor, LongBathroomStayDetector)
    # 2 x 10 min is below the lower bound; while learning, never below the default.
    assert stays.threshold(at(0, "18:00")) == (45 * 60, pytest.approx(600, abs=5))
    assert stays.threshold(at(15, "18:00")) == (35 * 60, pytest.approx(600, abs=5))
    stream = [reading(at(0, "18:00"), "radar", "presence", True)]
    stream += heart_rate(at(0, "18:01"), at(0, "19:00"))
    _, events = run(stream, monitor=monitor)
    assert brief(events) == [("long_bathroom_stay", "raised", "major", "02 18:45")]
    assert events[0].evidence["usual_stay_min"] == 10
    assert events[0].evidence["baseline"] == (
        "learning, day 1 of 14: usual stay 10 min (p95 of 20), conservative limit"
    )


# --------------------------------------------------------------------- baselines


def _outings(days: int) -> list:
    stream = heart_rate(at(0, "00:00"), at(0, "00:10"))
    stream += [r for day in range(days) for r in ordinary_day(day, out=("09:00", "10:00"))]
    stream += [r for r in ordinary_day(days) if r.epoch < at(days, "08:55")]
    stream += door(at(days, "09:00")) + heart_rate(at(days, "09:10"), at(days, "16:00"))
    return stream


def test_the_outing_threshold_is_learned_from_usual_outings():
    _, events = run(_outings(10))
    assert brief(events) == [("not_returned_home", "raised", "major", "12 15:00")]
    evidence = events[0].evidence
    assert evidence["usual_outing_h"] == 1.0
    assert evidence["threshold_h"] == 6.0  # learned 4 h, but never below 6 h while learning
    assert evidence["baseline"] == (
        "learning, day 11 of 14: usual longest outing 1.0 h (p95 of 10), conservative limit"
    )
    _, events = run(_outings(15))
    assert brief(events) == [("not_returned_home", "raised", "major", "17 13:00")]
    evidence = events[0].evidence
    assert evidence["threshold_h"] == 4.0  # 1.5 x 1 h, raised to the lower bound
    assert evidence["baseline"] == "usual longest outing 1.0 h (p95 of 15)"


def test_no_activity_thresholds_are_default_first_and_learned_after_some_days():
    def day_with_nap(day):
        items = bathroom(at(day, "07:00"), 10)
        t = at(day, "07:20")
        while t < at(day, "22:00"):
            if not at(day, "13:00") <= t <= at(day, "14:30"):
                items += motion(t)
            t += 20 * 60
        return items

    stream = [r for day in range(6) for r in day_with_nap(day)]
    monitor, events = run(stream)
    assert events == []
    quiet = detector(monitor, NoActivityDetector)
    limit = quiet.limits.limit("living_room", "about", False, at(6, "09:10"))
    assert (limit.threshold, limit.days) == (1.5 * 3600, 6)  # 1.5 x 20 min: the lower bound
    limit = quiet.limits.limit("living_room", "about", False, at(6, "14:10"))
    assert (limit.usual, limit.threshold) == (2 * 3600, 3 * 3600)  # the nap, 12:40 to 14:40
    stream = bathroom(at(6, "07:00"), 10) + motion(at(6, "08:00"))
    _, events = run(stream, monitor=monitor, until=at(6, "10:30"))
    assert brief(events) == [("no_activity", "raised", "major", "08 09:30")]
    assert events[0].evidence["baseline"] == (
        "learning, day 7 of 14: learned from silences that began in the living room, "
        "at this hour over 6 days"
    )
    assert events[0].evidence["threshold_h"] == 1.5


def test_no_activity_is_not_raised_at_night_nor_before_getting_up():
    stream = ordinary_day(0)
    stream += heart_rate(at(0, "21:00"), at(1, "05:59"), every=300)
    _, events = run(stream, until=at(1, "05:59"))
    assert events == []


# --------------------------------------------------------------------- settings and state


def test_thresholds_come_from_the_home_config():
    home = home_config(thresholds={"long_bathroom_stay": {"default_threshold_s": 1200}})
    stream = [*motion(at(0, "09:50")), reading(at(0, "10:00"), "radar", "presence", True)]
    _, events = run(stream, home=home, until=at(0, "11:00"))
    assert brief(events) == [("long_bathroom_stay", "raised", "major", "02 10:20")]
    bad = home_config(thresholds={"no_activity": {"lower_s": "soon"}})
    with pytest.raises(AnalyticsError, match=r"thresholds\.no_activity"):
        HomeMonitor(bad, detectors=list(ACTIVITY_DETECTORS))


def _incident_stream():
    stream = [r for day in range(3) for r in ordinary_day(day)]
    stream += bathroom(at(3, "07:00"), 10) + motion(at(3, "08:50")) + door(at(3, "09:00"))
    stream += steps(at(3, "09:10"), at(3, "18:00"), per_report=300)
    stream += door(at(3, "18:00")) + motion(at(3, "18:02"))
    stream += door(at(4, "02:00")) + heart_rate(at(4, "02:01"), at(4, "02:40"))
    stream += door(at(4, "02:40")) + motion(at(4, "02:41"))
    return sorted(stream, key=lambda r: r.epoch)


def test_state_survives_json_and_a_restored_monitor_continues_identically():
    stream = _incident_stream()
    _, expected = run(stream, until=at(4, "12:00"))
    assert {e.kind for e in expected} >= {"not_returned_home", "night_wandering"}
    cut = next(i for i, r in enumerate(stream) if r.epoch > at(3, "15:00"))  # one event open
    first, events = run(stream[:cut])
    state = json.loads(json.dumps(first.state_dict()))
    restored = HomeMonitor(HOME, detectors=list(ACTIVITY_DETECTORS), state=state)
    _, rest = run(stream[cut:], until=at(4, "12:00"), monitor=restored)
    assert [e.to_dict() for e in events + rest] == [e.to_dict() for e in expected]


def test_readings_a_few_seconds_out_of_order_change_nothing():
    stream = _incident_stream()
    _, expected = run(stream, until=at(4, "12:00"))
    shuffled = list(stream)
    for i in range(0, len(shuffled) - 1, 2):  # swap neighbours up to 5 s apart
        if shuffled[i + 1].epoch - shuffled[i].epoch <= 5:
            shuffled[i], shuffled[i + 1] = shuffled[i + 1], shuffled[i]
    assert shuffled != stream
    monitor = HomeMonitor(HOME, detectors=list(ACTIVITY_DETECTORS))
    events = []
    for item in initial_states(shuffled[0].epoch - 1, HOME) + shuffled:
        events += monitor.feed(item)
    events += monitor.advance(at(4, "12:00"))
    assert monitor.late_readings > 0
    assert brief(events) == brief(expected)


def test_whereabouts_memory_stays_bounded():
    stream = [r for day in range(3) for r in ordinary_day(day, out=("09:00", "10:00"))]
    monitor, _ = run(stream)
    where: Whereabouts = monitor.whereabouts
    assert set(where.sensors.tracks) <= {"front_door", "bath_door", "fridge", "pir", "radar"}
    assert len(json.dumps(monitor.state_dict())) < 20_000


# --------------------------------------------------------------------- the simulator


def _simulated(home, days, incidents):
    simulation = pytest.importorskip("simulators.simulation")
    start = datetime.combine(datetime(2026, 3, 2).date(), datetime.min.time(), tzinfo=home.tz)
    # The tidy life: regular habits and working sensors (the messy one is measured by
    # eldercare eval scenarios, see README).
    return simulation.simulate_home(
        home, start=start, days=days, seed=3, incidents=incidents, messy=False
    )


KINDS = {d.kinds[0] for d in ACTIVITY_DETECTORS} - {"sensor_stuck"}


def test_a_simulated_normal_fortnight_of_two_homes_raises_none_of_these_kinds():
    homes = pytest.importorskip("simulators.homes")
    for home in homes.make_home_configs(2, 3, messy=False):
        sim = _simulated(home, 14, [])
        _, events = run(list(sim.readings()), home=home)
        assert [e for e in events if e.kind in KINDS] == []


def test_scripted_incidents_of_each_kind_are_detected_while_they_last():
    homes = pytest.importorskip("simulators.homes")
    incidents = pytest.importorskip("simulators.incidents")
    kinds = sorted(KINDS)
    plans = [incidents.IncidentPlan(kind, 2 + 2 * i) for i, kind in enumerate(kinds)]
    home = homes.make_home_configs(1, 3, messy=False)[0]
    sim = _simulated(home, 2 + 2 * len(kinds), plans)
    _, events = run(list(sim.readings()), home=home)
    raised = [e for e in events if e.state == "raised"]
    assert sorted(truth.kind for truth in sim.truth) == kinds
    windows = [(t.start.timestamp(), t.end.timestamp()) for t in sim.truth]
    for truth, (start, end) in zip(sim.truth, windows, strict=True):
        hits = [e for e in raised if e.kind == truth.expected_alert and start <= e.ts <= end]
        assert hits, f"{truth.kind} at {truth.start} not detected"
    for event in raised:  # and nothing outside the incidents
        assert any(start <= event.ts <= end for start, end in windows), event
