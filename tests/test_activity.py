"""Activity and routine detectors on hand-built streams, and on the simulator when present."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from analytics import AnalyticsError, HomeMonitor
from analytics.activity import (
    ACTIVITY_DETECTORS,
    LongBathroomStayDetector,
    NoActivityDetector,
    NotUpDetector,
)
from analytics.whereabouts import Whereabouts
from contracts import HomeConfig, Reading

TZ = ZoneInfo("Asia/Shanghai")
DAY0 = datetime(2026, 3, 2, tzinfo=TZ)  # local midnight: monitoring starts in the night


def home_config(*, radar: bool = True, thresholds: dict | None = None) -> HomeConfig:
    devices = [
        {"id": "front_door", "kind": "door", "role": "front_door", "source": "zigbee2mqtt:front"},
        {"id": "bath_door", "kind": "door", "role": "bathroom_door", "source": "zigbee2mqtt:bath"},
        {"id": "fridge", "kind": "door", "role": "fridge", "source": "zigbee2mqtt:fridge"},
        {"id": "pir", "kind": "motion", "role": "living_room", "source": "zigbee2mqtt:pir"},
        {"id": "band", "kind": "bracelet", "role": "wrist", "source": "native"},
    ]
    if radar:
        devices.append(
            {"id": "radar", "kind": "fall_radar", "role": "bathroom", "source": "zigbee2mqtt:radar"}
        )
    return HomeConfig.model_validate(
        {
            "home": "h001",
            "station": "st1",
            "timezone": "Asia/Shanghai",
            "resident": {"name": "王秀英", "birth_year": 1942},
            "night": {"start": "22:30", "end": "06:00"},
            "devices": devices,
            "thresholds": thresholds or {},
        }
    )


HOME = home_config()


def at(day: int, hhmm: str, seconds: float = 0) -> float:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return (DAY0 + timedelta(days=day, hours=hours, minutes=minutes)).timestamp() + seconds


def reading(ts: float, device: str, metric: str, value, home: str = "h001") -> Reading:
    return Reading(ts=ts, home=home, device=device, metric=metric, value=value)


def motion(ts: float) -> list[Reading]:
    return [reading(ts, "pir", "motion", True), reading(ts + 90, "pir", "motion", False)]


def door(ts: float, device: str = "front_door") -> list[Reading]:
    return [reading(ts, device, "contact", "open"), reading(ts + 5, device, "contact", "closed")]


def bathroom(ts: float, minutes: float) -> list[Reading]:
    """A visit: door, radar presence from entering to leaving, door."""
    out = ts + minutes * 60
    return [
        *door(ts, "bath_door"),
        reading(ts + 3, "radar", "presence", True),
        reading(out, "radar", "presence", False),
        *door(out + 2, "bath_door"),
    ]


def heart_rate(start: float, end: float, every: float = 60) -> list[Reading]:
    """Vital signs keep coming while nothing moves: they are not activity."""
    count = int((end - start) // every)
    return [reading(start + k * every, "band", "heart_rate", 70) for k in range(count)]


def steps(start: float, end: float, per_report: float, every: float = 900) -> list[Reading]:
    return [
        reading(start + k * every, "band", "steps", k * per_report)
        for k in range(int((end - start) // every) + 1)
    ]


def ordinary_day(
    day: int, *, wake: str = "07:00", out: tuple[str, str] | None = None
) -> list[Reading]:
    """Up at `wake` (bathroom), about the flat with a PIR trigger every 20 minutes, a
    bathroom visit every few hours, to bed at 22:00."""
    items = [*bathroom(at(day, wake), 10)]
    t = at(day, wake, 15 * 60)
    leave, back = (at(day, out[0]), at(day, out[1])) if out else (None, None)
    while t < at(day, "22:00"):
        if leave is None or not leave - 120 <= t <= back + 60:
            items += motion(t)
        t += 20 * 60
    for hhmm in ("10:30", "14:00", "18:30", "21:50"):
        ts = at(day, hhmm, 200)
        if leave is None or not leave <= ts <= back:
            items += bathroom(ts, 6)
    if leave is not None:
        items += door(leave) + door(back) + motion(back + 120)
    return items


def run(
    readings: list[Reading], *, until: float | None = None, home: HomeConfig = HOME, monitor=None
):
    readings = sorted(readings, key=lambda r: r.epoch)
    if monitor is None:
        monitor = HomeMonitor(home, detectors=list(ACTIVITY_DETECTORS))
        readings = initial_states(readings[0].epoch - 1, home) + readings
    events = []
    for item in readings:
        events += monitor.feed(item)
    if until is not None:
        events += monitor.advance(until)
    return monitor, events


def initial_states(ts: float, home: HomeConfig) -> list[Reading]:
    """What the sensors report when monitoring starts: their state, not a change."""
    doors = [d.id for d in home.devices if d.kind == "door"]
    return [reading(ts, device, "contact", "closed", home.home) for device in doors]


def brief(events, kinds=None):
    """(kind, state, severity, local time) for reading failures at a glance."""
    return [
        (e.kind, e.state, e.severity, datetime.fromtimestamp(e.ts, TZ).strftime("%d %H:%M"))
        for e in events
        if kinds is None or e.kind in kinds
    ]


def detector(monitor: HomeMonitor, kind: type):
    return next(d for d in monitor.detectors if isinstance(d, kind))


# --------------------------------------------------------------------- no_activity


def test_no_activity_is_raised_after_the_default_threshold_escalates_and_clears():
    stream = bathroom(at(0, "07:00"), 10)
    stream += [m for k in range(9) for m in motion(at(0, "07:30") + k * 15 * 60)]  # to 09:30
    stream += heart_rate(at(0, "09:31"), at(0, "16:00"))  # a pulse is not activity
    stream += motion(at(0, "16:30"))
    _, events = run(stream)
    assert brief(events) == [
        ("no_activity", "raised", "major", "02 12:30"),
        ("no_activity", "updated", "critical", "02 15:30"),
        ("no_activity", "cleared", "critical", "02 16:30"),
    ]
    raised = events[0]
    assert raised.started == at(0, "09:30")
    assert raised.evidence["last_activity"] == "09:30"
    assert raised.evidence["last_activity_what"] == "motion in living_room"
    assert raised.evidence["threshold_h"] == 3.0
    assert raised.evidence["usual_max_gap_h"] is None  # still learning: the default
    assert "no activity for 3.0 h, last activity 09:30" in raised.evidence["summary"]
    json.dumps(raised.to_dict(TZ), ensure_ascii=False)  # plain values a dispatcher can read


def test_going_out_in_the_day_is_not_no_activity_and_not_returned_home_clears_on_return():
    stream = bathroom(at(0, "07:00"), 10) + motion(at(0, "08:50"))
    stream += door(at(0, "09:00"))
    stream += steps(at(0, "09:10"), at(0, "15:00"), per_report=400)  # walking about outside
    stream += door(at(0, "15:00")) + motion(at(0, "15:02"))
    _, events = run(stream, until=at(0, "16:00"))
    assert brief(events) == [
        ("not_returned_home", "raised", "major", "02 14:00"),
        ("not_returned_home", "cleared", "major", "02 15:00"),
    ]
    evidence = events[0].evidence
    assert evidence["left_at"] == "09:00"
    assert evidence["reason"] == "out longer than usual"
    assert evidence["threshold_h"] == 5.0
    assert evidence["steps_since_leaving"] > 0
    assert events[1].evidence["back_at"] == "15:00"


def test_a_short_outing_raises_nothing_and_out_in_the_evening_is_raised_an_hour_into_the_night():
    stream = ordinary_day(0, out=("09:00", "10:00"))
    stream += [r for r in ordinary_day(1) if r.epoch < at(1, "18:55")] + door(at(1, "19:00"))
    stream += heart_rate(at(1, "19:10"), at(2, "00:30"))
    _, events = run(stream)
    assert brief(events) == [("not_returned_home", "raised", "major", "03 23:30")]
    assert events[0].evidence["reason"] == "still out at night"


# --------------------------------------------------------------------- not_up


def test_a_night_bathroom_visit_is_not_getting_up_and_a_normal_morning_raises_nothing():
    stream = bathroom(at(0, "03:00"), 6) + ordinary_day(0, wake="07:00")
    _, events = run(stream, until=at(0, "23:00"))
    assert events == []


def test_not_up_is_raised_at_the_default_time_after_a_night_visit_and_cleared_when_up():
    stream = bathroom(at(0, "03:00"), 6) + heart_rate(at(0, "03:10"), at(0, "10:00"))
    stream += bathroom(at(0, "10:00"), 10)
    _, events = run(stream)
    assert brief(events) == [
        ("not_up", "raised", "major", "02 09:00"),
        ("not_up", "cleared", "major", "02 10:00"),
    ]
    evidence = events[0].evidence
    assert evidence["deadline"] == "09:00" and evidence["usual_wake"] is None
    assert evidence["last_activity"].startswith("03:06")  # the night visit, not a wake-up
    assert "not up by 09:00" in evidence["summary"]


def test_a_step_count_after_the_night_holding_night_steps_is_not_getting_up():
    # Bands report cumulative steps every 15 min: the 06:10 count holds the steps of
    # the 05:50 bathroom visit, walked in the night.
    stream = bathroom(at(0, "05:50"), 5) + heart_rate(at(0, "06:11"), at(0, "09:30"))
    stream += [reading(at(0, "05:40"), "band", "steps", 0)]
    stream += [reading(at(0, "06:10"), "band", "steps", 30)]
    _, events = run(stream)
    assert brief(events) == [("not_up", "raised", "major", "02 09:00")]


def test_not_up_learns_the_usual_time_of_getting_up():
    stream = heart_rate(at(0, "00:00"), at(0, "00:10"))  # monitoring from the night on
    stream += [r for day in range(3) for r in ordinary_day(day, wake="06:30")]
    stream += heart_rate(at(3, "05:00"), at(3, "09:00"))
    monitor, events = run(stream)
    assert brief(events) == [("not_up", "raised", "major", "05 08:00")]  # 06:30 + 90 min
    assert events[0].evidence["usual_wake"] == "06:30"
    assert events[0].evidence["wake_days"] == 3
    assert detector(monitor, NotUpDetector).wakes.values == [1800.0] * 3


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
    assert "during the night (22:30-06:00)" in evidence["summary"]
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
    stream = ordinary_day(0) + bathroom(at(1, "07:00"), 10) + motion(at(1, "09:50"))
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


def test_long_bathroom_stay_from_the_door_pattern_without_a_radar():
    home = home_config(radar=False)
    stream = motion(at(0, "09:30")) + door(at(0, "10:00"), "bath_door")
    stream += heart_rate(at(0, "10:01"), at(0, "11:00"))
    stream += door(at(0, "11:00"), "bath_door") + motion(at(0, "11:01"))
    # a visit that ends with activity elsewhere (door left open on the way out) is over
    stream += door(at(0, "14:00"), "bath_door") + motion(at(0, "14:10"))
    stream += heart_rate(at(0, "14:11"), at(0, "15:30"))
    _, events = run(stream, home=home)
    assert brief(events) == [
        ("long_bathroom_stay", "raised", "major", "02 10:45"),
        ("long_bathroom_stay", "cleared", "major", "02 11:00"),
    ]
    assert "bathroom door used" in events[0].evidence["how"]


def test_the_bathroom_threshold_is_learned_from_usual_stays():
    stream = motion(at(0, "06:50"))
    stream += [r for k in range(20) for r in bathroom(at(0, "07:00") + k * 1800, 10)]
    monitor, _ = run(stream)
    stays = detector(monitor, LongBathroomStayDetector)
    assert stays.threshold() == (35 * 60, pytest.approx(600, abs=5))  # 2 x 10 min < lower
    stream = [reading(at(0, "18:00"), "radar", "presence", True)]
    stream += heart_rate(at(0, "18:01"), at(0, "19:00"))
    _, events = run(stream, monitor=monitor)
    assert brief(events) == [("long_bathroom_stay", "raised", "major", "02 18:35")]
    assert events[0].evidence["usual_stay_min"] == 10


# --------------------------------------------------------------------- baselines


def test_the_outing_threshold_is_learned_from_usual_outings():
    stream = heart_rate(at(0, "00:00"), at(0, "00:10"))
    stream += [r for day in range(10) for r in ordinary_day(day, out=("09:00", "10:00"))]
    stream += [r for r in ordinary_day(10) if r.epoch < at(10, "08:55")] + door(at(10, "09:00"))
    stream += heart_rate(at(10, "09:10"), at(10, "16:00"))
    _, events = run(stream)
    assert brief(events) == [("not_returned_home", "raised", "major", "12 13:00")]
    evidence = events[0].evidence
    assert evidence["usual_outing_h"] == 1.0
    assert evidence["threshold_h"] == 4.0  # 1.5 x 1 h, raised to the lower bound
    assert evidence["baseline"] == "usual longest outing 1.0 h (p95 of 10)"


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
    threshold, usual, days = quiet.threshold_at(9)
    assert (threshold, days) == (2 * 3600, 6)  # 1.5 x 20 min, raised to the lower bound
    threshold, usual, days = quiet.threshold_at(14)
    assert (usual, threshold) == (2 * 3600, 3 * 3600)  # the nap, 12:40 to 14:40
    stream = bathroom(at(6, "07:00"), 10) + motion(at(6, "08:00"))
    stream += heart_rate(at(6, "08:01"), at(6, "11:00"))
    _, events = run(stream, monitor=monitor)
    assert brief(events) == [("no_activity", "raised", "major", "08 10:00")]
    assert events[0].evidence["baseline"] == "learned over 6 days"
    assert events[0].evidence["threshold_h"] == 2.0


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
    assert set(where.signals.contact) <= {"front_door", "bath_door", "fridge"}
    assert len(json.dumps(monitor.state_dict())) < 20_000


# --------------------------------------------------------------------- the simulator


def _simulated(home, days, incidents):
    simulation = pytest.importorskip("simulators.simulation")
    start = datetime.combine(datetime(2026, 3, 2).date(), datetime.min.time(), tzinfo=home.tz)
    return simulation.simulate_home(home, start=start, days=days, seed=3, incidents=incidents)


KINDS = {d.kinds[0] for d in ACTIVITY_DETECTORS}


def test_a_simulated_normal_fortnight_of_two_homes_raises_none_of_these_kinds():
    homes = pytest.importorskip("simulators.homes")
    for home in homes.make_home_configs(2, 3):
        sim = _simulated(home, 14, [])
        _, events = run(list(sim.readings()), home=home)
        assert [e for e in events if e.kind in KINDS] == []


def test_scripted_incidents_of_each_kind_are_detected_while_they_last():
    homes = pytest.importorskip("simulators.homes")
    incidents = pytest.importorskip("simulators.incidents")
    kinds = sorted(KINDS)
    plans = [incidents.IncidentPlan(kind, 2 + 2 * i) for i, kind in enumerate(kinds)]
    home = homes.make_home_configs(1, 3)[0]
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
