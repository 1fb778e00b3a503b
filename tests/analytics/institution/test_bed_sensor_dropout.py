"""A bed sensor that drops out is no bed exit: silent, flapping or never heard from, the
bed is unknown, nothing is raised on it, and what is open is not cleared by silence."""

from __future__ import annotations

from analytics import HomeMonitor
from analytics.context import HomeContext
from analytics.institution import BedTrack

from .beds import NIGHT, at, bed, bed_config, of, reports, run


def test_a_sensor_gone_silent_in_the_night_raises_no_bed_exit():
    # Reporting every 2.5 min, then nothing for three hours (Wi-Fi lost), then back: in bed.
    stream = reports(NIGHT, 0, 60, True) + reports(NIGHT, 240, 300, True)
    for risk in ("at_risk", "high"):
        events = run(bed_config(risk), stream, until=at(NIGHT, 300))
        assert of(events, "bed_exit") == [] and of(events, "not_back_in_bed") == []


def test_a_silent_sensor_is_unknown_not_out_of_bed():
    config = bed_config("high")
    track = BedTrack(HomeContext(config))
    for reading in reports(NIGHT, 0, 30, True):
        track.observe(reading)
    assert track.state(at(NIGHT, 35).timestamp()).known == "in_bed"
    later = track.state(at(NIGHT, 60).timestamp())
    assert later.known == "unknown" and "silent" in (later.why or "")
    # Never heard from: unknown too, and the monitor raises nothing on it.
    assert BedTrack(HomeContext(config)).state(at(NIGHT, 0).timestamp()).known == "unknown"


def test_a_flapping_sensor_raises_no_bed_exit_while_it_flaps():
    # A loose contact: in/out every 10 s for five minutes, then steady in bed.
    stream = reports(NIGHT, 0, 30, True)
    stream += [bed(NIGHT, 30 + i / 6, i % 2 == 1) for i in range(30)]
    stream += reports(NIGHT, 36, 60, True)
    events = run(bed_config("at_risk"), stream, until=at(NIGHT, 60))
    assert of(events, "bed_exit") == []


def test_a_change_only_mat_is_not_silent_when_nothing_happens():
    # A Zigbee mat reports changes only: hours of silence in bed are normal, and an exit
    # after them is believed.
    mat = {"id": "bed_sensor", "kind": "presence", "role": "bed", "source": "zigbee2mqtt:mat"}
    config = bed_config("at_risk", devices=(mat,))
    stream = [bed(NIGHT, 0, True), bed(NIGHT, 300, False), bed(NIGHT, 310, True)]
    assert of(run(config, stream), "bed_exit") == [
        ("raised", "major", 303.67),
        ("cleared", "major", 310.0),
    ]


def test_an_open_bed_exit_is_not_cleared_by_the_sensor_going_silent():
    config = bed_config("at_risk")
    monitor = HomeMonitor(config)
    events = monitor.feed_many(reports(NIGHT, 0, 30, True) + reports(NIGHT, 30, 40, False))
    assert of(events, "bed_exit") == [("raised", "major", 33.67)]
    # Silent for two hours: the bed is unknown, the alert stays open until she is back.
    assert of(monitor.advance(at(NIGHT, 160).timestamp()), "bed_exit") == []
    events = monitor.feed(bed(NIGHT, 161, True))
    assert of(events, "bed_exit") == [("cleared", "major", 161.0)]


def test_the_dropout_is_a_device_problem_within_the_night_not_a_bed_exit():
    # Silent from 00:30 for two hours: device_offline after 20 min (twice the native bed
    # sensor's heartbeat), cleared when it is back.
    stream = reports(NIGHT, 0, 30, True) + reports(NIGHT, 150, 160, True)
    events = run(bed_config("high"), stream, until=at(NIGHT, 160))
    offline = [(e.kind, e.state, of_night(e.ts)) for e in events if e.device == "bed_sensor"]
    assert offline == [("device_offline", "raised", 47.5), ("device_offline", "cleared", 150.0)]
    assert of(events, "bed_exit") == []


def test_at_home_a_bed_sensor_keeps_the_day_long_limit():
    stream = reports(NIGHT, 0, 30, True) + reports(NIGHT, 150, 160, True)
    events = run(bed_config("high", place=None), stream, until=at(NIGHT, 160))
    assert [e for e in events if e.device == "bed_sensor"] == []


def of_night(ts: float) -> float:
    return round((ts - NIGHT.timestamp()) / 60, 2)


def test_a_sensor_stuck_on_in_bed_is_unknown_and_a_real_change_is_believed_again():
    mat = {"id": "bed_sensor", "kind": "presence", "role": "bed", "source": "zigbee2mqtt:mat"}
    config = bed_config("high", devices=(mat,))
    track = BedTrack(HomeContext(config))
    track.observe(bed(NIGHT, 0, True))
    assert track.state(at(NIGHT, 15 * 60).timestamp()).known == "in_bed"
    stuck = track.state(at(NIGHT, 17 * 60).timestamp())
    assert stuck.known == "unknown" and "stuck" in (stuck.why or "")
    track.observe(bed(NIGHT, 17 * 60, False))
    assert track.state(at(NIGHT, 17 * 60 + 1).timestamp()).known == "out_of_bed"
