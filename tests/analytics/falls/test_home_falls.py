"""Fall events from every source: accelerometer batches, wearable flags, radars."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analytics import HomeMonitor
from analytics.falls import FallEventDetector
from analytics.sos import SosDetector
from contracts import HomeConfig, Reading
from tests.analytics.falls.signals import (
    LYING,
    RATE,
    UP,
    fall_signal,
    hold,
    noisy,
    ramp,
    rolling_over_with_a_thump,
    walk,
)
from tests.support import factories
from tests.support.factories import FRONT_DOOR, device, make_home

T0 = 1_795_900_000.0


def home(thresholds: dict | None = None) -> HomeConfig:
    devices = [
        device("radar_bath", "fall_radar", "bathroom", "zigbee2mqtt:radar1"),
        device("pendant", "fall_pendant", "waist", "native"),
        device("bracelet", "bracelet", "wrist", "native"),
        FRONT_DOOR,
    ]
    return make_home(devices=devices, thresholds=thresholds or {})


def at(offset: float, device: str, metric: str, value, rate_hz=None) -> Reading:
    return factories.reading(T0 + offset, device, metric, value, rate_hz=rate_hz)


def accel_batches(
    samples: np.ndarray, start: float = 0.0, seconds: float = 1.0, device: str = "pendant"
):
    per_batch = int(RATE * seconds)
    for i in range(0, len(samples), per_batch):
        chunk = samples[i : i + per_batch]
        yield at(start + i / RATE, device, "accel", chunk.tolist(), rate_hz=RATE)


def test_a_fall_in_the_pendant_accelerometer_is_raised_with_its_impact_time():
    signal, impact_s = fall_signal()
    monitor = HomeMonitor(home(), detectors=[FallEventDetector])
    events = monitor.feed_many(accel_batches(np.vstack([walk(5.0), signal])))
    (fall,) = events
    assert (fall.kind, fall.state, fall.severity) == ("fall", "raised", "critical")
    assert abs(fall.started - (T0 + 5.0 + impact_s)) < 0.5
    assert fall.evidence["source"] == "accelerometer" and fall.evidence["placement"] == "waist"
    assert fall.evidence["peak_g"] > 2


def test_walking_alone_raises_nothing():
    monitor = HomeMonitor(home(), detectors=[FallEventDetector])
    assert monitor.feed_many(accel_batches(walk(60.0))) == []


def test_radar_fall_is_raised_at_once_and_clears_when_the_resident_is_up_again():
    monitor = HomeMonitor(home(), detectors=[FallEventDetector])
    raised = monitor.feed(at(0, "radar_bath", "fall_state", "fall"))
    assert [(e.state, e.evidence["source"]) for e in raised] == [("raised", "radar")]
    # The door moving 30 s later is not yet "up again"; four minutes later it is.
    assert monitor.feed(at(30, "front_door", "contact", "open")) == []
    cleared = monitor.feed(at(240, "front_door", "contact", "closed"))
    assert [(e.kind, e.state) for e in cleared] == [("fall", "cleared")]


def test_a_fall_the_bracelet_flagged_then_the_radar_saw_names_the_radar_from_then_on():
    """One fall, two devices: each event names the device whose evidence it carries, and
    the clear the device the case last named (not the bracelet's of the raise)."""
    monitor = HomeMonitor(home(), detectors=[FallEventDetector])
    events = monitor.feed(at(0, "bracelet", "fall_state", "fall"))
    events += monitor.feed(at(20, "radar_bath", "fall_state", "fall"))
    events += monitor.feed(at(240, "front_door", "contact", "open"))
    assert [(e.state, e.device, e.evidence.get("source")) for e in events] == [
        ("raised", "bracelet", "device_flag"),
        ("updated", "radar_bath", "radar"),
        ("cleared", "radar_bath", None),
    ]


def test_radar_maybe_fall_becomes_a_fall_only_when_it_persists():
    monitor = HomeMonitor(home(), detectors=[FallEventDetector])
    assert monitor.feed(at(0, "radar_bath", "fall_state", "suspected")) == []
    assert monitor.feed(at(20, "radar_bath", "fall_state", "none")) == []
    assert monitor.advance(T0 + 600) == []
    monitor.feed(at(700, "radar_bath", "fall_state", "suspected"))
    events = monitor.advance(T0 + 800)
    assert [(e.state, e.severity, e.ts - T0) for e in events] == [("raised", "major", 760)]


def test_confirmation_window_lets_the_resident_cancel_with_the_wearable_button():
    config = home({"fall": {"confirm_s": 30}})
    monitor = HomeMonitor(config, detectors=[FallEventDetector, SosDetector])
    assert monitor.feed(at(0, "pendant", "fall_state", "fall")) == []
    # Pressing the pendant's button inside the window means "I'm fine", not SOS.
    assert monitor.feed(at(10, "pendant", "sos", True)) == []
    assert monitor.advance(T0 + 120) == []
    # Not cancelled: raised when the window ends, started at the fall.
    monitor.feed(at(200, "pendant", "fall_state", "fall"))
    events = monitor.advance(T0 + 260)
    assert [(e.kind, e.state, e.ts - T0, e.started - T0) for e in events] == [
        ("fall", "raised", 230, 200)
    ]
    # After the window the same button is an SOS again.
    sos = monitor.feed(at(300, "pendant", "sos", True))
    assert [(e.kind, e.state) for e in sos] == [("sos", "raised")]


def test_a_wearable_that_is_not_worn_cannot_report_a_fall_of_the_resident():
    signal, _ = fall_signal()
    monitor = HomeMonitor(home(), detectors=[FallEventDetector])
    assert monitor.feed(at(0, "pendant", "worn", False)) == []
    # Knocked off the bedside table while charging: a fall of the pendant, not of her.
    assert monitor.feed_many(accel_batches(np.vstack([walk(5.0), signal]), start=10)) == []
    assert monitor.feed(at(60, "pendant", "fall_state", "fall")) == []
    # Back on her belt, it counts again.
    monitor.feed(at(100, "pendant", "worn", True))
    events = monitor.feed_many(accel_batches(np.vstack([walk(5.0), signal]), start=110))
    assert [(e.kind, e.state) for e in events] == [("fall", "raised")]


def test_a_late_accelerometer_batch_is_dropped_and_detection_goes_on():
    signal, _ = fall_signal()
    batches = list(accel_batches(np.vstack([walk(5.0), signal])))
    late = batches.pop(3)
    monitor = HomeMonitor(home(), detectors=[FallEventDetector])
    events = monitor.feed_many([*batches[:6], late, *batches[6:]])
    assert [(e.kind, e.state) for e in events] == [("fall", "raised")]
    assert monitor.detectors[0].late_batches == 1


def test_a_fall_is_raised_though_the_wearable_stamps_its_batches_a_few_ms_off():
    # A clock rounded to the millisecond, or a batch stamped when it is sent, puts each
    # batch's start a few ms either side of where the previous one ended: 4 ms early is
    # most of a sample at 200 Hz, yet after the last sample held.
    rate = 200.0
    signal, impact_s = fall_signal(rate, lie_s=20.0)
    samples = np.vstack([walk(10.0, rate), signal])
    per = round(rate)
    batches = [
        at(
            i / rate + (0.002 if n % 2 else -0.002),
            "pendant",
            "accel",
            samples[i : i + per].tolist(),
            rate_hz=rate,
        )
        for n, i in enumerate(range(0, len(samples), per))
    ]
    monitor = HomeMonitor(home(), detectors=[FallEventDetector])
    events = monitor.feed_many(batches)
    assert monitor.detectors[0].late_batches == 0
    assert [(e.kind, e.state) for e in events] == [("fall", "raised")]
    assert abs(events[0].started - (T0 + 10.0 + impact_s)) < 0.5


def test_a_fall_is_detected_soon_after_the_wearables_clock_is_set_back():
    # A reset, or an NTP correction: the pendant's batches now start an hour before where
    # its stream had got to. Every one was dropped as late until the clock caught up.
    signal, impact_s = fall_signal(lie_s=20.0)
    monitor = HomeMonitor(home(), detectors=[FallEventDetector])
    assert monitor.feed_many(accel_batches(walk(60.0), start=3600.0)) == []
    events = monitor.feed_many(accel_batches(np.vstack([walk(10.0), signal])))
    assert [(e.kind, e.state) for e in events] == [("fall", "raised")]
    # At the home's time: the stream had got to 3660 s when the clock went back.
    assert abs(events[0].started - (T0 + 3660.0 + 10.0 + impact_s)) < 0.5
    assert events[0].evidence["clock_corrected_s"] == 3660.0
    falls = monitor.detectors[0]
    assert (falls.clock_jumps, falls.late_batches) == (1, 0)  # no batch lost to the jump


def test_a_pendant_that_has_seen_her_walk_lets_her_roll_over_in_bed():
    """Her evening: a minute of walking, lying down on her back, rolling over onto her side
    with a thump. The pendant knows she was lying already; a fall out of bed it would not
    let pass (tests/analytics/falls/test_wearable.py)."""
    evening = np.vstack([noisy(walk(60.0)), noisy(ramp(UP, LYING, 3.0), seed=2)])
    monitor = HomeMonitor(home(), detectors=[FallEventDetector])
    assert monitor.feed_many(accel_batches(np.vstack([evening, rolling_over_with_a_thump()]))) == []
    just_put_on = HomeMonitor(home(), detectors=[FallEventDetector])
    assert [e.kind for e in just_put_on.feed_many(accel_batches(rolling_over_with_a_thump()))] == [
        "fall"
    ]


def test_a_pendant_whose_clock_was_set_back_still_knows_her_upright():
    """The stream starts again after a clock jump (clock_jump.py); she is the same."""
    monitor = HomeMonitor(home(), detectors=[FallEventDetector])
    assert monitor.feed_many(accel_batches(noisy(walk(60.0)), start=3600.0)) == []
    events = monitor.feed_many(accel_batches(rolling_over_with_a_thump()))
    assert events == [] and monitor.detectors[0].clock_jumps == 1


@pytest.mark.parametrize("steps_g", [0.35, 0.5])
def test_a_pendant_taken_off_and_put_back_on_learns_her_upright_again(steps_g):
    """Put back on, it may sit another way: until it has seen her walk again it decides as
    one just put on, though the last seconds of her walking before (steps above 1.4 g are
    impacts still to decide) were not looked at yet. Moved from the waist to the chest (a
    config pushed while the home was down) likewise."""
    monitor = HomeMonitor(home(), detectors=[FallEventDetector])
    assert monitor.feed_many(accel_batches(noisy(walk(60.0, amp=steps_g)))) == []
    monitor.feed_many([at(70, "pendant", "worn", False), at(80, "pendant", "worn", True)])
    events = monitor.feed_many(accel_batches(rolling_over_with_a_thump(), start=90.0))
    assert [e.kind for e in events] == ["fall"]

    at_waist = HomeMonitor(home(), detectors=[FallEventDetector])
    at_waist.feed_many(accel_batches(noisy(walk(60.0, amp=steps_g))))
    state = json.loads(json.dumps(at_waist.state_dict()))
    waist = home()
    devices = [
        d.model_copy(update={"role": "chest"}) if d.id == "pendant" else d for d in waist.devices
    ]
    chest = waist.model_copy(update={"devices": devices})
    moved = HomeMonitor(chest, detectors=[FallEventDetector], state=state)
    events = moved.feed_many(accel_batches(rolling_over_with_a_thump(), start=90.0))
    assert [e.kind for e in events] == ["fall"]


@pytest.mark.parametrize("went_back_days", [0, 30])
def test_a_pendant_forgets_her_upright_after_16_hours_without_walking_whatever_its_clock(
    went_back_days,
):
    """Walking, then 17 h in bed: her upright is forgotten (she may have taken it off
    unseen), also when its clock was set back meanwhile."""
    monitor = HomeMonitor(home(), detectors=[FallEventDetector])
    monitor.feed_many(accel_batches(noisy(walk(60.0)), start=went_back_days * 86400.0))
    monitor.feed_many(accel_batches(noisy(hold(LYING, 10.0)), start=100.0))
    events = monitor.feed_many(accel_batches(rolling_over_with_a_thump(), start=100.0 + 17 * 3600))
    assert monitor.detectors[0].clock_jumps == (1 if went_back_days else 0)
    assert [e.kind for e in events] == ["fall"]


BEHIND = 2 * 3600.0  # the pendant's clock set back two hours


def sent_as_they_come(monitor: HomeMonitor, samples: np.ndarray, start: float, behind: float):
    """The pendant's 1-s batches of ``samples`` from ``start`` (s after T0, the home's
    time), each sent when its second is over and stamped ``behind`` seconds early by its
    clock; the home's clock ticks before each (the edge's tick, other devices' readings)."""
    events = []
    for batch in accel_batches(samples, start=start - behind):
        events += monitor.advance(batch.epoch + behind + 1.0)
        events += monitor.feed(batch)
    return events


def fall_after_the_clock_went_back(thresholds: dict | None = None):
    """A minute of the pendant on the home's time, then its clock set back 2 h, and a fall
    16 s later. The monitor, its events and when she fell (s after T0, the home's time)."""
    monitor = HomeMonitor(home(thresholds), detectors=[FallEventDetector, SosDetector])
    assert monitor.feed_many(accel_batches(walk(60.0))) == []
    signal, impact_s = fall_signal(lie_s=20.0)
    events = sent_as_they_come(monitor, np.vstack([walk(10.0), signal]), 60.0, BEHIND)
    return monitor, events, 60.0 + 10.0 + impact_s


def test_a_fall_after_the_wearables_clock_went_back_is_raised_at_the_homes_time():
    monitor, events, fell = fall_after_the_clock_went_back()
    (fall,) = events
    assert (fall.kind, fall.state) == ("fall", "raised")
    assert abs(fall.started - (T0 + fell)) < 0.5  # not two hours before
    assert fall.evidence["clock_corrected_s"] == BEHIND
    assert fall.evidence["impact_ts"] == fall.started
    # The front door 30 s after she fell is not her up again; four minutes after, it is.
    assert monitor.feed(at(fell + 30, "front_door", "contact", "open")) == []
    cleared = monitor.feed(at(fell + 240, "front_door", "contact", "closed"))
    assert [(e.kind, e.state) for e in cleared] == [("fall", "cleared")]


def test_a_fall_after_the_wearables_clock_went_back_still_waits_for_her_to_cancel():
    monitor, events, fell = fall_after_the_clock_went_back({"fall": {"confirm_s": 30}})
    assert events == []  # decided, and the home's clock has ticked on since
    assert monitor.advance(T0 + fell + 29) == []
    # Her button, stamped by the pendant's clock, inside the window: "I'm fine".
    assert monitor.feed(at(fell + 29.5 - BEHIND, "pendant", "sos", True)) == []
    assert monitor.advance(T0 + fell + 60) == []
    assert monitor.detectors[0].cancelled == 1

    monitor, events, fell = fall_after_the_clock_went_back({"fall": {"confirm_s": 30}})
    # Pressed after the window, before the home's clock ticks: an SOS, not a late cancel.
    sos = monitor.feed(at(fell + 31 - BEHIND, "pendant", "sos", True))
    assert [(e.kind, e.state) for e in sos] == [("sos", "raised")]
    raised = [e for e in monitor.advance(T0 + fell + 32) if e.kind == "fall"]
    assert [e.state for e in raised] == ["raised"]
    assert raised[0].ts - raised[0].started == 30 and abs(raised[0].started - (T0 + fell)) < 0.5


def test_a_wearables_clock_is_corrected_for_until_it_is_put_right():
    monitor, _, fell = fall_after_the_clock_went_back()
    signal, impact_s = fall_signal(lie_s=20.0)
    falls = np.vstack([walk(10.0), signal])
    up_again = monitor.feed(at(fell + 240, "front_door", "contact", "open"))
    assert [e.state for e in up_again] == ["cleared"]
    # Silent for a few minutes (out of range), its clock still behind: still corrected.
    (fall,) = sent_as_they_come(monitor, falls, fell + 300, BEHIND)
    assert abs(fall.started - (T0 + fell + 300 + 10.0 + impact_s)) < 0.5
    monitor.feed(at(fell + 600, "front_door", "contact", "closed"))
    # Its clock put right (two hours forward): its own stamps again.
    (fall,) = sent_as_they_come(monitor, falls, fell + 900, 0.0)
    assert abs(fall.started - (T0 + fell + 900 + 10.0 + impact_s)) < 0.5
    assert "clock_corrected_s" not in fall.evidence


def test_a_clock_set_back_a_few_seconds_catches_up_by_itself():
    signal, _ = fall_signal(lie_s=20.0)
    monitor = HomeMonitor(home(), detectors=[FallEventDetector])
    monitor.feed_many(accel_batches(walk(30.0)))
    events = monitor.feed_many(accel_batches(np.vstack([walk(10.0), signal]), start=27.0))
    assert [(e.kind, e.state) for e in events] == [("fall", "raised")]
    falls = monitor.detectors[0]
    assert (falls.clock_jumps, falls.late_batches) == (0, 3)  # the 3 s it went back


def test_an_old_message_sent_again_just_after_an_impact_does_not_cost_the_fall():
    # A broker's redelivery after a reconnect, of a minute ago: the stream goes on.
    signal, impact_s = fall_signal(lie_s=20.0)
    batches = list(accel_batches(np.vstack([walk(60.0), signal])))
    impact = int(60.0 + impact_s)
    monitor = HomeMonitor(home(), detectors=[FallEventDetector])
    events = monitor.feed_many([*batches[: impact + 1], *batches[3:5], *batches[impact + 1 :]])
    assert [(e.kind, e.state) for e in events] == [("fall", "raised")]
    falls = monitor.detectors[0]
    assert (falls.clock_jumps, falls.late_batches) == (0, 2)


def test_a_restart_while_a_clock_jump_is_being_told_loses_nothing():
    signal, impact_s = fall_signal(lie_s=20.0)
    readings = list(accel_batches(walk(30.0), start=3600.0))
    readings += accel_batches(np.vstack([walk(10.0), signal]))
    for cut in range(31, 37):  # the batches after the jump, before it is told
        monitor = HomeMonitor(home(), detectors=[FallEventDetector])
        events = monitor.feed_many(readings[:cut])
        state = json.loads(json.dumps(monitor.state_dict(), allow_nan=False))
        monitor = HomeMonitor(home(), detectors=[FallEventDetector], state=state)
        events += monitor.feed_many(readings[cut:])
        assert [(e.kind, e.state) for e in events] == [("fall", "raised")], cut
        assert abs(events[0].started - (T0 + 3630.0 + 10.0 + impact_s)) < 0.5, cut
        assert (monitor.detectors[0].clock_jumps, monitor.detectors[0].late_batches) == (1, 0)
    # A state saved before the correction existed: no wearable's clock is corrected for.
    del state["detectors"]["fall"]["clock_behind"]
    restored = HomeMonitor(home(), detectors=[FallEventDetector], state=state)
    assert restored.detectors[0].clock_behind == {}


def test_a_bracelet_fall_can_wait_for_are_you_ok_while_the_pendant_raises_at_once():
    config = home({"fall": {"wrist_confirm_s": 30}})
    monitor = HomeMonitor(config, detectors=[FallEventDetector, SosDetector])
    # The bracelet's fall waits 30 s for "I'm OK" (its button) ...
    assert monitor.feed(at(0, "bracelet", "fall_state", "fall")) == []
    assert monitor.feed(at(12, "bracelet", "sos", True)) == []
    assert monitor.advance(T0 + 100) == []
    # ... and, not cancelled, is raised when the window ends, started at the fall.
    monitor.feed(at(200, "bracelet", "fall_state", "fall"))
    events = monitor.advance(T0 + 231)
    assert [(e.state, e.ts - T0, e.started - T0) for e in events] == [("raised", 230, 200)]
    assert events[0].evidence["not_cancelled_within_s"] == 30
    # The pendant has no such wait.
    raised = monitor.feed(at(400, "pendant", "fall_state", "fall"))
    assert [(e.state, e.evidence["source"]) for e in raised] == [("updated", "device_flag")]


def test_a_restart_restores_the_wearable_streams_with_the_current_model():
    signal, impact_s = fall_signal()
    batches = list(accel_batches(np.vstack([walk(5.0), signal])))
    cut = 12  # between the impact and its decision
    monitor = HomeMonitor(home(), detectors=[FallEventDetector])
    assert monitor.feed_many(batches[:cut]) == []
    state = monitor.state_dict()
    saved = state["detectors"]["fall"]["wearables"]["pendant"]
    saved["config"]["weights"] = {"bias": 99.0}  # whatever the release that saved it used
    saved["version"] = 2
    restarted = HomeMonitor(home(), detectors=[FallEventDetector], state=state)
    events = restarted.feed_many(batches[cut:])
    assert [(e.kind, e.state) for e in events] == [("fall", "raised")]
    assert abs(events[0].started - (T0 + 5.0 + impact_s)) < 0.5
