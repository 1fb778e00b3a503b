"""Unobserved nights: when every sensor that would see her in bed is stuck or silent, a
silence that begins in her night after a trip to the toilet may be her night's rest, and
is judged as one (not_up in the morning), not by the minutes-long silences of nights the
bed mat saw her lie down. A bedroom presence sensor that still sees someone puts her in
the bedroom whatever door closed just after it. By day, nothing changes: a silence there
is still no_activity's. Hand-built streams."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from analytics import HomeMonitor
from analytics.activity import ACTIVITY_DETECTORS
from analytics.events import Event
from contracts import HomeConfig, Reading
from tests.support.factories import device, make_home, reading

TZ = ZoneInfo("Asia/Shanghai")
DAY0 = datetime(2026, 3, 2, tzinfo=TZ)
DISTRESS = ("no_activity", "not_up")


def home(bedroom: str = "bed_mat", thresholds: dict | None = None) -> HomeConfig:
    """A flat with a bathroom door, a fridge, a living-room PIR and, in the bedroom, a bed
    mat, a presence sensor, or (``both``) the two."""
    devices = [
        device("bath_door", "door", "bathroom_door", "zigbee2mqtt:b"),
        device("fridge", "door", "fridge", "zigbee2mqtt:f"),
        device("pir", "motion", "living_room", "zigbee2mqtt:p"),
    ]
    if bedroom in ("bed_mat", "both"):
        devices.append(device("bed_mat", "presence", "bed", "native"))
    if bedroom in ("presence", "both"):
        devices.append(device("presence", "presence", "bedroom", "native"))
    return make_home(
        timezone="Asia/Shanghai",
        night={"start": "22:30", "end": "06:00"},
        devices=devices,
        thresholds=thresholds or {},
    )


def at(day: int, hhmm: str, seconds: float = 0) -> float:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return (DAY0 + timedelta(days=day, hours=hours, minutes=minutes)).timestamp() + seconds


def r(ts: float, device: str, metric: str, value) -> Reading:
    return reading(ts, device, metric, value)


def toilet(ts: float) -> list[Reading]:
    """Through the bathroom door and back through it a few minutes later."""
    return [
        r(ts, "bath_door", "contact", "open"),
        r(ts + 5, "bath_door", "contact", "closed"),
        r(ts + 300, "bath_door", "contact", "open"),
        r(ts + 305, "bath_door", "contact", "closed"),
    ]


def day_about(until: str = "22:00") -> list[Reading]:
    """Day 0: about the flat from 07:30, the living-room PIR every 30 minutes, the fridge."""
    items = [r(at(0, "07:00", -60), "bath_door", "contact", "closed")]
    t = at(0, "07:30")
    while t < at(0, until):
        items += [r(t, "pir", "motion", True), r(t + 60, "pir", "motion", False)]
        t += 30 * 60
    items.append(r(at(0, "12:00"), "fridge", "contact", "open"))
    return [*items, r(at(0, "12:00", 20), "fridge", "contact", "closed")]


def play(readings: list[Reading], config: HomeConfig, until: float):
    monitor = HomeMonitor(config, detectors=list(ACTIVITY_DETECTORS))
    events = []
    for each in sorted(readings, key=lambda item: item.epoch):
        events += monitor.feed(each)
    events += monitor.advance(until)
    return [
        (e.kind, e.state, datetime.fromtimestamp(e.ts, TZ).strftime("%d %H:%M"))
        for e in events
        if e.kind in DISTRESS and e.state == "raised"
    ]


def test_a_night_after_the_toilet_with_the_bed_mat_stuck_is_her_night_not_a_collapse():
    # The mat lost its "off" message when she got up at 07:00: it reads someone in bed
    # from then on, and is stuck (not believed) from 23:00. At 23:30 she goes to the
    # toilet and back to bed; nothing that works can see her there.
    stream = [r(at(0, "07:00"), "bed_mat", "presence", True), *day_about()]
    stream += toilet(at(0, "23:30"))
    raised = play(stream, home(), until=at(1, "13:00"))
    # Not no_activity at 04:35 (5 h after the toilet): her night, and not_up once she
    # is not up by the default deadline.
    assert raised == [("not_up", "raised", "03 12:00")]


def test_a_working_bed_mat_that_saw_her_get_up_still_makes_the_silence_no_activitys():
    stream = [r(at(0, "07:00"), "bed_mat", "presence", False), *day_about()]
    stream += [r(at(0, "22:40"), "bed_mat", "presence", True)]
    stream += [r(at(1, "01:00"), "bed_mat", "presence", False), *toilet(at(1, "01:02"))]
    raised = play(stream, home(), until=at(1, "13:00"))
    # Up from the bed at 01:00, out of the bathroom at 01:07, and the mat never saw her
    # lie down again: a collapse on the way back, perhaps.
    assert raised and raised[0][0] == "no_activity"
    assert raised[0][2] == "03 06:07"


def test_a_bed_mat_silent_past_its_offline_limit_leaves_her_night_unobserved():
    # The mat reports its battery every hour (it is alive) until 19:00, then dies; past
    # its limit (6 h here) its "nobody in bed" is the level it died with.
    config = home(thresholds={"device_health": {"offline_after_s": {"presence:bed": 6 * 3600}}})
    stream = [r(at(0, "07:00"), "bed_mat", "presence", False), *day_about()]
    stream += [r(at(0, f"{h:02d}:00"), "bed_mat", "battery", 80) for h in range(8, 20)]
    stream += toilet(at(0, "23:30"))
    assert play(stream, config, until=at(1, "13:00")) == [("not_up", "raised", "03 12:00")]
    # The same mat alive all night (reporting its battery) and not seeing her lie down:
    # the silence after the toilet is no_activity's, as it was.
    alive = stream + [r(at(1, f"{h:02d}:30"), "bed_mat", "battery", 80) for h in range(0, 12)]
    alive += [r(at(0, f"{h:02d}:30"), "bed_mat", "battery", 80) for h in range(20, 24)]
    raised = play(alive, config, until=at(1, "13:00"))
    assert raised and raised[0][0] == "no_activity"


def test_a_collapse_by_day_is_still_no_activity_with_the_bed_mat_stuck():
    stream = [r(at(0, "07:00"), "bed_mat", "presence", True), *day_about(until="14:00")]
    raised = play(stream, home(), until=at(0, "22:00"))
    # Last seen at 13:30 in the living room; 8 h later: the default while learning for a
    # silence that began by day in a flat without a front-door sensor (an outing nobody
    # saw begin, perhaps).
    assert raised == [("no_activity", "raised", "02 21:30")]


def test_a_bedroom_presence_sensor_that_sees_her_outweighs_the_bathroom_door_closing_after():
    config = home(bedroom="presence")
    stream = [r(at(0, "07:00"), "presence", "presence", False), *day_about()]
    # Out of the bathroom at 23:07:05 and into the bedroom: the presence sensor sees her
    # at :07, the bathroom door swings shut behind her at :09. She sleeps until 07:00,
    # the sensor reporting her there every 45 minutes.
    stream += [
        r(at(0, "23:00"), "bath_door", "contact", "open"),
        r(at(0, "23:00", 5), "bath_door", "contact", "closed"),
        r(at(0, "23:07", 5), "bath_door", "contact", "open"),
        r(at(0, "23:07", 7), "presence", "presence", True),
        r(at(0, "23:07", 9), "bath_door", "contact", "closed"),
    ]
    t = at(0, "23:50")
    while t < at(1, "07:00"):
        stream.append(r(t, "presence", "presence", True))
        t += 45 * 60
    stream += [r(at(1, "07:00"), "presence", "presence", False)]
    stream += [r(at(1, "07:01"), "pir", "motion", True), r(at(1, "07:02"), "pir", "motion", False)]
    assert play(stream, config, until=at(1, "11:00")) == []


def test_lying_down_in_bed_early_is_going_to_bed_early_not_a_silence_to_raise():
    def night(lie_down: str) -> list[Reading]:
        stream = [r(at(0, "07:00"), "bed_mat", "presence", False), *day_about(until="19:00")]
        stream += [r(at(0, lie_down), "bed_mat", "presence", True)]
        stream += [r(at(1, "06:30"), "bed_mat", "presence", False)]
        return [*stream, r(at(1, "06:31"), "pir", "motion", True)]

    # In bed at 21:00, 90 min before the night begins (22:30), up at 06:30: her night.
    assert play(night("21:00"), home(), until=at(1, "09:00")) == []
    # In bed at 19:00, more than two hours before her night: a silence to judge (8 h,
    # the default for one that began as she lay down).
    assert play(night("19:00"), home(), until=at(1, "09:00")) == [
        ("no_activity", "raised", "03 03:00")
    ]


def test_with_the_bed_mat_stuck_the_bedroom_presence_sensor_seeing_her_is_her_night():
    # Her silences in the bedroom are known to be short (3 h here, as if learned).
    quick = {"no_activity": {"default_resting_s": 3 * 3600, "default_about_s": 3 * 3600}}
    config = home(bedroom="both", thresholds=quick)
    stream = [r(at(0, "07:00"), "bed_mat", "presence", True), *day_about()]
    stream += [r(at(0, "07:00"), "presence", "presence", False)]
    # Into the bedroom at 23:00 (the mat, stuck since 07:00, cannot see her lie down),
    # the toilet at 01:00, back in the bedroom at 01:06.
    stream += [r(at(0, "23:00"), "presence", "presence", True)]
    stream += [r(at(1, "00:59"), "presence", "presence", False), *toilet(at(1, "01:00"))]
    stream += [r(at(1, "01:06"), "presence", "presence", True)]
    stream += [r(at(1, "07:00"), "presence", "presence", False)]
    stream += [r(at(1, "07:01"), "pir", "motion", True), r(at(1, "07:02"), "pir", "motion", False)]
    assert play(stream, config, until=at(1, "09:30")) == []


def _pir_dies(day5_at: str) -> list[Reading]:
    """Every day the PIR sees her every 30 min from 07:00 to 21:30 and reports its battery
    hourly; at 12:00 the fridge, then the PIR at 12:12 (silences from the kitchen last
    minutes). On day 5 it dies at ``day5_at``: no motion, no battery from then on."""
    stream = [r(at(0, "06:00"), "bath_door", "contact", "closed")]
    for day in range(6):
        t = at(day, "07:00")
        while t < at(day, "22:00"):
            if not at(day, "12:00") <= t < at(day, "12:12"):
                stream += [r(t, "pir", "motion", True), r(t + 60, "pir", "motion", False)]
            t += 30 * 60
        stream += [r(at(day, "12:12"), "pir", "motion", True)]
        stream += [r(at(day, "12:13"), "pir", "motion", False)]
        stream += [r(at(day, f"{h:02d}:05"), "pir", "battery", 90) for h in range(24)]
        stream += [r(at(day, "12:00"), "fridge", "contact", "open")]
        stream += [r(at(day, "12:00", 20), "fridge", "contact", "closed")]
    dies = at(5, day5_at)
    return [item for item in stream if not (item.device == "pir" and item.epoch >= dies)]


def _no_activity_raised(stream: list[Reading], ticks: list[float]) -> list[Event]:
    """no_activity raised after day 5's 08:00, the stream played with the edge's clock
    ticking at ``ticks`` (or, with none, as `eldercare replay` plays it)."""
    config = home(thresholds={"whereabouts": {"learning_days": 0}})
    monitor = HomeMonitor(config, detectors=list(ACTIVITY_DETECTORS))
    events = []
    for item in sorted([*stream, *ticks], key=lambda x: x if isinstance(x, float) else x.epoch):
        events += monitor.advance(item) if isinstance(item, float) else monitor.feed(item)
    events += monitor.advance(at(5, "23:00"))
    return [
        e
        for e in events
        if e.kind == "no_activity" and e.state == "raised" and e.ts > at(5, "08:00")
    ]


def test_silences_learned_while_the_living_room_pir_worked_do_not_apply_while_it_is_dead():
    # No learning period here: her own silences stand from the first days.
    ticks = [at(5, "00:00", k * 600) for k in range(6 * 20)]  # the edge's clock, 10 min
    raised = _no_activity_raised(_pir_dies("08:00"), ticks)
    # Her last trigger at 07:30 is raised at 09:00 (1.5 h): nothing says yet that the PIR
    # is dead (it is after 2 h 10 min). Then the kitchen at 12:00 and nothing since: with
    # the PIR believed, her silences from the kitchen (minutes) would make it news at
    # 13:30; with it dead, she may be sitting unseen in the living room, and the default
    # stands (5 h).
    shown = [datetime.fromtimestamp(e.ts, TZ).strftime("%d %H:%M") for e in raised]
    assert shown == ["07 09:00", "07 17:00"]
    assert "pir is not believed" in raised[1].evidence["baseline"]


def test_a_sensor_going_silent_counts_when_it_does_however_often_the_clock_ticks():
    # The PIR's last word is its battery at 11:05 (motion at 11:00): it is past its
    # device_offline limit at 13:15, after the silence from the fridge at 12:00 began and
    # before the 1.5 h of her kitchen silences ran out. Played with the edge's clock
    # ticking every 10 min or with no tick at all (as `eldercare replay` and `eval homes`
    # play recordings), the same alert: before, with no reading or tick at 13:15, the
    # night's start at 22:30 judged the silence as of 12:00 (PIR believed) and raised it
    # at 13:30.
    stream = _pir_dies("11:20")
    ticked = _no_activity_raised(stream, [at(5, "00:00", k * 600) for k in range(6 * 23)])
    replayed = _no_activity_raised(stream, [])
    assert [(e.ts, e.evidence["threshold_h"]) for e in replayed] == [
        (e.ts, e.evidence["threshold_h"]) for e in ticked
    ]
    shown = [datetime.fromtimestamp(e.ts, TZ).strftime("%d %H:%M") for e in replayed]
    assert shown == ["07 17:00"]
    assert "pir is not believed" in replayed[0].evidence["baseline"]
