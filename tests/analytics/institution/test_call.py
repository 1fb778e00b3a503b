"""call: the bed's call button at a care home calls the caregiver (major), not an SOS;
the same button at home stays an SOS."""

from __future__ import annotations

from .beds import NIGHT, at, bed_config, reading, run


def press(minutes: float, device: str = "call_bed"):
    return reading(at(NIGHT, minutes), device, "sos", True)


def kinds(events):
    return [(e.kind, e.state, e.severity, e.device) for e in events if e.kind in ("sos", "call")]


def test_the_bedside_button_of_a_care_home_bed_raises_call():
    events = run(bed_config("none"), [press(0), press(1)], until=at(NIGHT, 60))
    assert kinds(events) == [
        ("call", "raised", "major", "call_bed"),
        ("call", "updated", "major", "call_bed"),
        ("call", "cleared", "major", "call_bed"),
    ]


def test_at_home_the_same_button_is_an_sos():
    events = run(bed_config("none", place=None), [press(0)])
    assert kinds(events) == [("sos", "raised", "critical", "call_bed")]


def test_a_pendant_button_at_a_care_home_is_still_an_sos():
    pendant = {"id": "pendant", "kind": "sos_button", "role": "chest", "source": "zigbee2mqtt:p1"}
    config = bed_config("none", devices=(pendant,))
    events = run(config, [press(0, "pendant")])
    assert kinds(events) == [("sos", "raised", "critical", "pendant")]
