"""bed_exit on hand-built nights of a care home's bed: the quick-return grace, high risk at
once, only at night, only for residents at risk, cleared back in bed, state restored."""

from __future__ import annotations

from analytics import HomeMonitor

from .beds import DAY, NIGHT, at, bed, bed_config, of, reports, run


def test_an_at_risk_resident_back_within_the_grace_raises_nothing():
    # In bed at 23:00, a two-minute toilet trip at 00:00, back to sleep.
    stream = [*reports(NIGHT, 0, 60, True), bed(NIGHT, 60, False), bed(NIGHT, 62, True)]
    stream += reports(NIGHT, 62.5, 120, True)
    events = run(bed_config("at_risk"), stream, until=at(NIGHT, 120))
    assert of(events, "bed_exit") == []
    assert of(events, "not_back_in_bed") == []


def test_an_at_risk_resident_out_past_the_grace_is_a_major_alert_cleared_back_in_bed():
    stream = [*reports(NIGHT, 0, 60, True), bed(NIGHT, 60, False)]
    stream += [*reports(NIGHT, 61, 70, False), bed(NIGHT, 70, True)]
    events = run(bed_config("at_risk"), stream, until=at(NIGHT, 90))
    # Raised three minutes after she got up (the grace) and the 40 s a bed sensor may take
    # to say she lay down again.
    assert of(events, "bed_exit") == [("raised", "major", 63.67), ("cleared", "major", 70.0)]
    raised = next(e for e in events if e.kind == "bed_exit")
    assert raised.started == at(NIGHT, 60).timestamp()
    assert raised.evidence["room"] == "301" and raised.evidence["bed"] == "1"
    assert "out of bed since 00:00" in raised.evidence["summary"]
    assert (raised.evidence["out_since"], raised.evidence["grace_min"]) == ("00:00", 3)


def test_sitting_back_down_for_a_moment_does_not_restart_the_grace():
    # Up at 00:00, sits back on the bed for 20 s at 00:02, up again: one exit.
    stream = [bed(NIGHT, 0, True), bed(NIGHT, 60, False), bed(NIGHT, 62, True)]
    stream += [bed(NIGHT, 62 + 1 / 3, False), bed(NIGHT, 66, True)]
    events = run(bed_config("at_risk"), stream, until=at(NIGHT, 80))
    assert of(events, "bed_exit") == [("raised", "major", 63.67), ("cleared", "major", 66.0)]


def test_a_high_risk_resident_raises_at_once_and_critical():
    stream = [bed(NIGHT, 0, True), bed(NIGHT, 60, False), bed(NIGHT, 61, True)]
    events = run(bed_config("high"), stream, until=at(NIGHT, 80))
    assert of(events, "bed_exit") == [("raised", "critical", 60.0), ("cleared", "critical", 61.0)]


def test_no_bed_exit_by_day_nor_for_a_resident_not_at_risk():
    day = [bed(DAY, 0, True), bed(DAY, 10, False), bed(DAY, 60, True)]
    assert [e for e in run(bed_config("high"), day) if e.kind == "bed_exit"] == []
    night = [bed(NIGHT, 0, True), bed(NIGHT, 60, False), bed(NIGHT, 70, True)]
    assert [e for e in run(bed_config("none"), night) if e.kind == "bed_exit"] == []


def test_the_grace_comes_from_the_config_thresholds():
    config = bed_config("at_risk", thresholds={"bed_exit": {"at_risk_after_s": 600}})
    stream = [bed(NIGHT, 0, True), bed(NIGHT, 60, False), bed(NIGHT, 68, True)]
    assert of(run(config, stream), "bed_exit") == []
    stream = [bed(NIGHT, 0, True), bed(NIGHT, 60, False), bed(NIGHT, 75, True)]
    assert of(run(config, stream), "bed_exit") == [
        ("raised", "major", 70.67),
        ("cleared", "major", 75.0),
    ]


def test_a_restored_monitor_resumes_an_exit_in_progress():
    config = bed_config("at_risk")
    first = HomeMonitor(config)
    first.feed_many([bed(NIGHT, 0, True), bed(NIGHT, 60, False)])
    saved = first.state_dict()
    second = HomeMonitor(config, state=saved)
    events = second.advance(at(NIGHT, 64).timestamp())
    assert of(events, "bed_exit") == [("raised", "major", 63.67)]
    events = second.feed(bed(NIGHT, 65, True))
    assert of(events, "bed_exit") == [("cleared", "major", 65.0)]


def test_an_exit_just_past_the_grace_waits_for_the_sensor_to_say_she_lay_down():
    # Back at 00:03:10, reported "in bed" 25 s later (the sensor waits for her to settle):
    # within the grace and the sensor's 40 s, so no alert as she lies down again.
    stream = [bed(NIGHT, 0, True), bed(NIGHT, 60, False), bed(NIGHT, 63 + 35 / 60, True)]
    assert of(run(bed_config("at_risk"), stream, until=at(NIGHT, 80)), "bed_exit") == []
    # Still out of bed when both have run out: raised.
    stream = [bed(NIGHT, 0, True), bed(NIGHT, 60, False), bed(NIGHT, 64, True)]
    assert of(run(bed_config("at_risk"), stream, until=at(NIGHT, 80)), "bed_exit") == [
        ("raised", "major", 63.67),
        ("cleared", "major", 64.0),
    ]
