"""SOS, device health and the monitor that runs a home's detectors, on hand-built streams."""

from __future__ import annotations

import json

from analytics import HomeMonitor
from analytics.device_health import DeviceHealthDetector
from analytics.sos import SosDetector
from contracts import Reading
from tests.support.factories import BAND, FRONT_DOOR, SOS_BED, make_home

T0 = 1_795_900_000.0  # 2026-11-28 in event time; no wall clock anywhere

HOME = make_home(devices=[FRONT_DOOR, BAND, SOS_BED])


def reading(offset_s: float, device: str, metric: str, value) -> Reading:
    return Reading(ts=T0 + offset_s, home="h001", device=device, metric=metric, value=value)


def summary(events):
    return [(e.kind, e.state, e.severity, round(e.ts - T0)) for e in events]


def test_sos_press_is_raised_at_once_and_repeats_update_the_same_call():
    monitor = HomeMonitor(HOME, detectors=[SosDetector])
    events = monitor.feed(reading(0, "sos_bed", "sos", True))
    events += monitor.feed(reading(40, "sos_bed", "sos", True))
    assert summary(events) == [("sos", "raised", "critical", 0), ("sos", "updated", "critical", 40)]
    assert events[1].evidence["presses"] == 2
    assert events[0].evidence["role"] == "bedside"


def test_sos_clears_after_a_quiet_half_hour_and_a_later_press_is_a_new_call():
    monitor = HomeMonitor(HOME, detectors=[SosDetector])
    monitor.feed(reading(0, "sos_bed", "sos", True))
    events = monitor.feed(reading(3600, "band", "heart_rate", 70))
    assert summary(events) == [("sos", "cleared", "critical", 1800)]
    again = monitor.feed(reading(4000, "sos_bed", "sos", True))
    assert summary(again) == [("sos", "raised", "critical", 4000)]


def test_device_offline_is_judged_per_device_class():
    monitor = HomeMonitor(HOME, detectors=[DeviceHealthDetector])
    monitor.feed(reading(0, "front_door", "contact", "closed"))
    monitor.feed(reading(0, "sos_bed", "battery", 90))
    events = []
    # The bracelet reports each minute until it stops at 10 min; the door stays quiet.
    for minute in range(0, 11):
        events += monitor.feed(reading(minute * 60, "band", "heart_rate", 70))
    events += monitor.advance(T0 + 2 * 3600)
    assert summary(events) == [("device_offline", "raised", "minor", 600 + 1200)]
    assert events[0].device == "band"
    assert events[0].evidence["last_seen"] == T0 + 600
    # The door contact (heartbeat ~70 min) is offline only after two missed heartbeats.
    later = monitor.advance(T0 + 3 * 3600)
    assert summary(later) == [("device_offline", "raised", "minor", 2 * 4200)]
    assert later[0].device == "front_door"
    back = monitor.feed(reading(4 * 3600, "band", "heart_rate", 72))
    assert ("device_offline", "cleared") in [(e.kind, e.state) for e in back]


def test_battery_low_has_hysteresis_and_escalates():
    monitor = HomeMonitor(HOME, detectors=[DeviceHealthDetector])
    levels = [40, 14, 13, 16, 4, 20, 30]
    events = []
    for i, level in enumerate(levels):
        events += monitor.feed(reading(i * 60, "band", "battery", level))
    assert [(e.state, e.severity) for e in events if e.kind == "battery_low"] == [
        ("raised", "minor"),
        ("updated", "major"),
        ("cleared", "major"),
    ]


def test_monitor_state_survives_json_and_resumes_identically():
    stream = [reading(0, "sos_bed", "sos", True)] + [
        reading(60 * m, "band", "heart_rate", 70) for m in range(1, 40)
    ]
    whole = HomeMonitor(HOME).feed_many(stream)

    first = HomeMonitor(HOME)
    events = first.feed_many(stream[:10])
    saved = json.loads(json.dumps(first.state_dict()))
    resumed = HomeMonitor(HOME, state=saved)
    events += resumed.feed_many(stream[10:])
    assert [e.to_dict() for e in events] == [e.to_dict() for e in whole]
    assert {"sos"} <= {e.kind for e in whole}


def test_late_reading_is_counted_and_never_turns_the_clock_back():
    monitor = HomeMonitor(HOME, detectors=[SosDetector])
    monitor.feed(reading(100, "band", "heart_rate", 70))
    monitor.feed(reading(95, "band", "heart_rate", 71))
    assert monitor.late_readings == 1
    assert monitor.now == T0 + 100
