"""not_back_in_bed: out of bed at night for long, for anyone with a bed sensor."""

from __future__ import annotations

from analytics import HomeMonitor

from .beds import CALL, DOOR, NIGHT, RADAR, at, bed, bed_config, of, reports, run


def test_out_of_bed_for_long_at_night_raises_whatever_her_fall_risk():
    stream = reports(NIGHT, 0, 60, True) + reports(NIGHT, 60, 120, False)
    stream += reports(NIGHT, 120, 150, True)
    events = run(bed_config("none"), stream, until=at(NIGHT, 150))
    assert of(events, "not_back_in_bed") == [
        ("raised", "major", 100.0),
        ("cleared", "major", 120.0),
    ]
    assert of(events, "bed_exit") == []  # not at risk of falling: no bed exit
    raised = next(e for e in events if e.kind == "not_back_in_bed")
    assert raised.started == at(NIGHT, 60).timestamp()


def test_a_toilet_trip_and_getting_up_for_the_day_are_not_alerts():
    # 00:00-00:10 a toilet trip; up for the day at 05:40 (night ends 06:00).
    stream = [bed(NIGHT, 0, True), bed(NIGHT, 60, False), bed(NIGHT, 70, True)]
    stream += [bed(NIGHT, 400, False)]
    events = run(bed_config("none"), stream, until=at(NIGHT, 600))
    assert of(events, "not_back_in_bed") == []


def test_not_for_a_home_in_the_community_nor_without_a_bed_sensor():
    stream = [bed(NIGHT, 0, True), bed(NIGHT, 60, False)]
    events = run(bed_config("high", place=None), stream, until=at(NIGHT, 200))
    assert of(events, "not_back_in_bed") == [] and of(events, "bed_exit") == []
    no_bed = bed_config("high", devices=(CALL, DOOR, RADAR))
    assert "not_back_in_bed" not in {d.name for d in HomeMonitor(no_bed).detectors}
