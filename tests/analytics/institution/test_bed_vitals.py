"""A bed sensor's heart rate goes through the vitals detectors like a bracelet's, at a
care home's bed as at home."""

from __future__ import annotations

import pytest

from .beds import NIGHT, at, bed, bed_config, reading, run


@pytest.mark.parametrize("every", [2.5, 5.0])
def test_a_slow_heart_in_bed_is_an_abnormal_heart_rate_from_the_bed_sensor(every):
    stream = [bed(NIGHT, 0, True)]
    minute = 0.0
    while minute < 40:
        stream.append(reading(at(NIGHT, minute), "bed_sensor", "heart_rate", 38.0))
        stream.append(bed(NIGHT, minute, True))
        minute += every
    events = run(bed_config("at_risk"), stream)
    raised = [e for e in events if e.kind == "abnormal_heart_rate" and e.state == "raised"]
    assert [(e.severity, e.device) for e in raised] == [("critical", "bed_sensor")]
    assert raised[0].evidence["rule"] == "below_limit"
    assert not [e for e in events if e.kind in ("bed_exit", "not_back_in_bed")]


def test_an_ordinary_night_in_bed_raises_no_vitals_alert():
    stream = [bed(NIGHT, 0, True)]
    for i in range(100):
        stream.append(reading(at(NIGHT, 2.5 * i), "bed_sensor", "heart_rate", 58.0 + i % 5))
        stream.append(reading(at(NIGHT, 2.5 * i), "bed_sensor", "breathing_rate", 14.0))
    events = run(bed_config("at_risk"), stream)
    # (The room's radar and the unit door, silent in this stream, go offline: not hers.)
    assert [e.kind for e in events if e.device in ("bed_sensor", None)] == []
