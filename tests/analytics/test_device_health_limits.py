"""A dead mat or plug is reported like a dead door sensor: device_offline once it has been
silent longer than a healthy one of its kind ever is."""

from __future__ import annotations

from analytics import HomeMonitor
from analytics.device_health import DeviceHealthDetector
from tests.support.factories import device, make_home, reading

HOUR = 3600.0
DEVICES = [
    device("bed_mat", "presence", "bed", "zigbee2mqtt:bed"),
    device("chair_mat", "presence", "chair", "zigbee2mqtt:chair"),
    device("radar_living", "presence", "living_room", "zigbee2mqtt:fp1"),
    device("kettle", "appliance", "kitchen", "zigbee2mqtt:kettle"),
]
HOME = make_home(timezone="UTC", devices=DEVICES)


def offline_after(silent_for: dict[str, float], until: float) -> dict[str, float]:
    """Every device reports its state hourly until it falls silent after ``silent_for[id]``
    hours; when each device_offline was raised (hours after the start)."""
    monitor = HomeMonitor(HOME, detectors=[DeviceHealthDetector])
    readings = [
        reading(h * HOUR, d["id"], metric, False)
        for d in DEVICES
        for h in range(int(silent_for[d["id"]]) + 1)
        for metric in ["in_use" if d["kind"] == "appliance" else "presence"]
    ]
    events = []
    for each in sorted(readings, key=lambda r: r.epoch):
        events += monitor.feed(each)
    events += monitor.advance(until * HOUR)
    return {e.device: round(e.ts / HOUR, 3) for e in events if e.kind == "device_offline"}


def test_a_dead_plug_or_presence_sensor_is_reported_after_two_missed_hourly_reports():
    raised = offline_after({"bed_mat": 48, "chair_mat": 48, "radar_living": 10, "kettle": 5}, 40)
    assert raised == {"radar_living": 12.167, "kettle": 7.167}  # 2 h 10 min


def test_a_mat_that_reports_only_when_she_lies_down_is_given_a_day():
    # A bed mat silent through her 17 h day is healthy; silent for more than a day it is not.
    raised = offline_after({"bed_mat": 0, "chair_mat": 0, "radar_living": 60, "kettle": 60}, 60)
    assert raised == {"bed_mat": 24.0, "chair_mat": 24.0}
    assert offline_after({"bed_mat": 7, "chair_mat": 7, "radar_living": 32, "kettle": 32}, 32) == {
        "bed_mat": 31.0,
        "chair_mat": 31.0,
    }
