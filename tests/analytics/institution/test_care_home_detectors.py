"""Which detectors a care home's bed runs: the institutional ones, and of the home ones
those that make sense there (falls, vitals, device health), not not_returned_home."""

from __future__ import annotations

from analytics import HomeMonitor

from .beds import NIGHT, at, bed, bed_config, reading, run


def names(config) -> set[str]:
    return {d.name for d in HomeMonitor(config).detectors}


def test_a_care_home_bed_runs_the_institutional_detectors_and_not_outings():
    at_care_home = names(bed_config("at_risk", wanders=True))
    assert {"bed_exit", "not_back_in_bed", "left_unit", "call"} <= at_care_home
    assert {"fall", "sos", "heart_rate", "device_health"} <= at_care_home
    assert "not_returned_home" not in at_care_home
    at_home = names(bed_config("at_risk", wanders=True, place=None))
    assert "not_returned_home" in at_home
    assert not {"bed_exit", "not_back_in_bed", "left_unit", "call"} & at_home


def test_a_fall_in_her_bathroom_is_a_fall_alert():
    stream = [bed(NIGHT, 0, True), bed(NIGHT, 60, False)]
    stream += [reading(at(NIGHT, 62), "radar_bath", "presence", True)]
    stream += [reading(at(NIGHT, 63), "radar_bath", "fall_state", "fall")]
    events = run(bed_config("none"), stream, until=at(NIGHT, 70))
    falls = [(e.kind, e.state, e.severity) for e in events if e.kind == "fall"]
    assert falls[:1] == [("fall", "raised", "critical")]
