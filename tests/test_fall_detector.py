"""Behaviour of the accelerometer fall detector on hand-built signals (always run)."""

from __future__ import annotations

import doctest
import json

import numpy as np
import pytest

import analytics.fall as fall_module
from analytics.fall import FallConfig, FallDetection, FallDetector, FallDetectorError

RATE = 50.0
T0 = 1_700_000_000.0
UP = (0.0, 0.0, 1.0)  # gravity along the sensor's z while upright
LYING = (1.0, 0.0, 0.0)


def hold(vec, seconds: float, rate: float = RATE) -> np.ndarray:
    return np.tile(np.asarray(vec, dtype=float), (round(seconds * rate), 1))


def ramp(a, b, seconds: float, rate: float = RATE) -> np.ndarray:
    w = np.linspace(0.0, 1.0, round(seconds * rate))[:, None]
    return (1 - w) * np.asarray(a, float) + w * np.asarray(b, float)


def walk(seconds: float, rate: float = RATE, amp: float = 0.35) -> np.ndarray:
    """Upright gait: vertical bounce at 2 steps/s plus sideways sway, peaks below 1.4 g."""
    t = np.arange(round(seconds * rate)) / rate
    x = np.zeros((len(t), 3))
    x[:, 2] = 1.0 + amp * np.sin(2 * np.pi * 2.0 * t)
    x[:, 1] = 0.15 * np.sin(2 * np.pi * 1.0 * t)
    return x


def noisy(x: np.ndarray, sd: float = 0.01, seed: int = 0) -> np.ndarray:
    return x + np.random.default_rng(seed).normal(0.0, sd, x.shape)


def fall_signal(rate: float = RATE, lie_s: float = 12.0) -> tuple[np.ndarray, float]:
    """Walk, trip, fall and lie still; returns samples and the impact offset in seconds."""
    before = np.vstack([walk(6, rate), ramp(UP, (0.2, 0.0, 0.3), 0.4, rate)])  # free fall
    impact = hold((3.0, 0.5, 3.0), 0.1, rate)  # ~4.3 g
    x = np.vstack([before, impact, hold(LYING, lie_s, rate)])
    return noisy(x), len(before) / rate


def feed(det: FallDetector, x: np.ndarray, sizes, t0: float = T0, rate: float = RATE):
    out: list[FallDetection] = []
    start = 0
    for n in sizes:
        if start >= len(x):
            break
        out += det.update(t0 + start / rate, rate, x[start : start + n])
        start += n
    assert start >= len(x), "split sizes must cover the signal"
    return out


def run(x: np.ndarray, placement="waist", batch: int | None = None, rate: float = RATE):
    det = FallDetector(placement)
    n = batch or len(x)
    return feed(det, x, [n] * (len(x) // n + 1), rate=rate) + det.flush()


# --- what a resident's family and the dispatcher would notice ------------------------------


def test_fall_while_walking_is_detected_with_readable_evidence():
    x, impact_s = fall_signal()
    falls = run(x, batch=50)
    assert len(falls) == 1
    f = falls[0]
    assert f.ts == pytest.approx(T0 + impact_s, abs=0.15)
    assert f.placement == "waist"
    assert f.score >= 0.5
    e = f.evidence
    assert e["peak_g"] > 3.5
    assert e["free_fall_min_g"] < 0.6
    assert 70 <= e["orientation_change_deg"] <= 110
    assert e["still_s"] >= 3.5
    assert e["rate_hz"] == RATE
    json.dumps(e)  # goes onto MQTT as is
    assert "impact" in f.summary() and "g" in f.summary()


def test_hard_sit_down_is_not_a_fall():
    x = noisy(
        np.vstack(
            [
                walk(5),
                ramp(UP, (0.0, 0.0, 0.6), 0.4),  # dropping onto the chair
                hold((0.3, 0.0, 2.6), 0.1),  # hard landing, 2.6 g
                hold((0.34, 0.0, 0.94), 15),  # seated: pelvis tilted 20 degrees, still
            ]
        )
    )
    assert run(x) == []


def test_stumble_that_walks_on_is_not_a_fall():
    x = noisy(np.vstack([walk(6), hold((0.5, 0.3, 3.2), 0.1), walk(15)]))
    assert run(x) == []


def test_jogging_impacts_are_not_falls():
    t = np.arange(round(30 * RATE)) / RATE
    x = np.zeros((len(t), 3))
    x[:, 2] = 1.0 + 1.6 * np.maximum(np.sin(2 * np.pi * 2.8 * t), -0.6)  # ~2.6 g footfalls
    assert run(noisy(x)) == []


def test_lying_down_on_a_bed_is_not_a_fall():
    x = noisy(np.vstack([hold(UP, 5), ramp(UP, LYING, 2.0), hold(LYING, 15)]))
    assert run(x) == []  # the posture changes, but nothing hits anything


def test_wrist_fall_is_detected():
    arm_down = (-1.0, 0.0, 0.0)
    swing = walk(6) @ np.array([[0, 0, 0], [0, 1, 0], [-1, 0, 0]])  # gait, forearm hanging
    x = noisy(
        np.vstack(
            [
                swing,
                ramp(arm_down, (-0.2, 0.1, 0.2), 0.4),
                hold((-2.0, 4.0, 3.0), 0.1),  # hand hits the floor, ~5.4 g
                hold((0.0, 0.3, 0.95), 12),  # forearm flat on the floor
            ]
        )
    )
    falls = run(x, placement="wrist", batch=25)
    assert len(falls) == 1
    assert falls[0].placement == "wrist"


def test_clapping_then_resting_the_arm_is_not_a_wrist_fall():
    clap_cycle = np.vstack([hold((0.0, 0.2, 0.98), 0.34), hold((-1.0, 5.0, 0.5), 0.06)])
    x = noisy(
        np.vstack(
            [
                hold((-1.0, 0.0, 0.0), 3),  # arm hanging
                ramp((-1.0, 0.0, 0.0), (0.0, 0.2, 0.98), 0.5),  # hands up
                np.vstack([clap_cycle] * 12),  # a round of applause, 5 g claps
                ramp((0.0, 0.2, 0.98), (-1.0, 0.0, 0.0), 0.7),
                hold((-1.0, 0.0, 0.0), 12),  # arm resting, still
            ]
        )
    )
    assert run(x, placement="wrist") == []


def unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)


def turn(a, b, seconds: float, rate: float = RATE) -> np.ndarray:
    """Gravity direction turning from a to b (a limb rotating): |a| stays 1 g throughout."""
    w = np.linspace(0.0, 1.0, round(seconds * rate))[:, None]
    w = w * w * (3 - 2 * w)
    return np.array([unit(v) for v in (1 - w) * unit(a) + w * unit(b)])


def table_knock(rate: float, peak: float = 4.0) -> np.ndarray:
    """Forearm on the table, hand lifted ~20 degrees and brought down (no drop: the arm only
    rotates), a one-sample knock, then the arm rests, still, about 10 degrees from before."""
    table = unit((-0.25, 0.1, 0.95))  # palm down on the table
    lifted = unit((0.1, 0.1, 0.95))
    resting = unit((-0.25, -0.07, 0.97))
    x = np.vstack(
        [
            hold(table, 6, rate),
            turn(table, lifted, 0.2, rate),
            turn(lifted, table, 0.2, rate),
            [table * peak],  # the knock: a single sample, whatever the rate
            turn(table, resting, 0.3, rate),
            hold(resting, 12, rate),
        ]
    )
    return noisy(x, sd=0.005)


@pytest.mark.parametrize("rate", [20.0, 25.0, 50.0])
def test_knocking_on_the_table_then_resting_is_not_a_wrist_fall(rate):
    x = table_knock(rate)
    _, f = fall_module.recording_candidates(T0, rate, x, "wrist")
    knock = int(np.argmax(f["peak_g"]))
    assert f["peak_g"][knock] > 1.8  # examined as an impact ...
    assert f["pre_impact_s"][knock] == 0.0  # ... with no drop before it ...
    assert f["orientation_change_deg"][knock] < 20  # ... and the forearm barely turned
    assert f["post_motion_g"][knock] < 0.05  # though the arm is as still as after a fall
    for shift in (0.0, 0.013, 0.027):  # whatever the sampling phase
        assert run(x, placement="wrist", rate=rate) == []
        det = FallDetector("wrist")
        assert det.update(T0 + shift, rate, x) + det.flush() == []


def test_wrist_fall_from_a_chair_is_detected():
    lap = unit((-0.25, 0.1, 0.95))  # forearm on the lap, palm down
    floor = unit((0.3, 0.95, 0.1))  # on the floor, on its side
    rng = np.random.default_rng(3)
    x = np.vstack(
        [
            hold(lap, 6) + rng.normal(0.0, 0.03, (300, 3)),  # seated, fidgeting a little
            turn(lap, floor, 0.5) * 0.4,  # sliding off the seat: partial free fall
            hold((1.0, 3.5, 1.0), 0.06),  # the hand hits the floor, ~3.8 g
            hold(floor, 12),
        ]
    )
    falls = run(noisy(x), placement="wrist", batch=25)
    assert len(falls) == 1
    assert falls[0].evidence["pre_impact_s"] >= 0.2


def test_wrist_fall_with_a_few_flails_before_lying_still_is_detected():
    x, impact_s = fall_signal(lie_s=12)
    x = x @ np.array([[0, 0, 1.0], [0, 1.0, 0], [-1.0, 0, 0]])  # any mounting works
    k = round(impact_s * RATE)
    for dt in (0.5, 1.0, 1.5, 2.0):  # the arm flails, hitting the floor again ...
        x[k + round(dt * RATE)] *= 3.0
    falls = run(x, placement="wrist", batch=25)  # ... then lies still: still a fall
    assert len(falls) == 1
    assert falls[0].evidence["series_impacts"] >= 3


def test_a_short_impact_reads_the_same_whatever_the_sampling_phase():
    for rate in (20.0, 25.0, 50.0):
        x = table_knock(rate, peak=5.0)
        peaks = []
        for shift in np.arange(0.0, 1.0 / rate, 0.01):
            _, f = fall_module.recording_candidates(T0 + shift, rate, x, "wrist")
            peaks.append(f["peak_g"].max())
        assert max(peaks) - min(peaks) < 1e-9, (rate, peaks)


# --- streaming contract -------------------------------------------------------------------


def two_falls() -> np.ndarray:
    first, _ = fall_signal(lie_s=8)
    second, _ = fall_signal(lie_s=9)
    getting_up = ramp(LYING, UP, 2.0)
    return np.vstack([first, noisy(getting_up, seed=3), noisy(walk(10), seed=4), second])


def test_same_detections_whatever_the_batch_split():
    x = two_falls()
    reference = run(x)
    assert len(reference) == 2
    rng = np.random.default_rng(7)
    splits = {
        "one sample at a time": [1] * len(x),
        "odd sizes": [7, 333, 1, 49, 1000] * 10,
        "random": list(rng.integers(1, 400, size=len(x))),
    }
    for name, sizes in splits.items():
        det = FallDetector("waist")
        assert feed(det, x, sizes) + det.flush() == reference, name


def test_saved_state_continues_identically():
    x = two_falls()
    reference = run(x, batch=40)
    for cut in (1, 333, 470, 900, 1500, 2600):  # 470: between impact and decision
        det = FallDetector("waist")
        got = feed(det, x[:cut], [40] * (cut // 40 + 1))
        state = json.loads(json.dumps(det.state_dict()))  # through JSON, as it would be stored
        restored = FallDetector.from_state(state)
        got += feed(restored, x[cut:], [40] * (len(x) // 40 + 1), t0=T0 + cut / RATE)
        got += restored.flush()
        assert got == reference, f"cut at sample {cut}"


def test_state_saved_before_the_impact_channel_still_restores():
    x = two_falls()
    reference = run(x, batch=40)
    cut = 200  # while walking, before the first fall
    det = FallDetector("waist")
    got = feed(det, x[:cut], [40] * (cut // 40 + 1))
    state = json.loads(json.dumps(det.state_dict()))
    state["version"] = 1  # as saved by the detector before the impact channel
    del state["peak"], state["carry"]
    restored = FallDetector.from_state(state)
    got += feed(restored, x[cut:], [40] * (len(x) // 40 + 1), t0=T0 + cut / RATE)
    got += restored.flush()
    assert [round(f.ts, 1) for f in got] == [round(f.ts, 1) for f in reference]


def test_flush_decides_a_recording_that_ends_soon_after_the_impact():
    x, impact_s = fall_signal()
    x = x[: round((impact_s + 2.2) * RATE)]
    det = FallDetector("waist")
    assert det.update(T0, RATE, x) == []  # not enough aftermath yet to decide
    falls = det.flush()
    assert len(falls) == 1
    assert falls[0].evidence["post_window_s"] < 4.0


def test_fall_after_a_long_gap_is_found_at_its_own_time():
    det = FallDetector("waist")
    assert det.update(T0, RATE, noisy(hold(UP, 5))) == []
    x, impact_s = fall_signal()
    later = T0 + 3600.0
    falls = det.update(later, RATE, x) + det.flush()
    assert [round(f.ts - later - impact_s, 1) for f in falls] == [pytest.approx(0.0, abs=0.15)]


def test_the_same_fall_is_found_at_every_supported_rate():
    for rate in (20.0, 25.0, 50.0, 100.0, 200.0):
        x, impact_s = fall_signal(rate)
        falls = run(x, batch=round(rate), rate=rate)
        assert len(falls) == 1, rate
        assert falls[0].ts == pytest.approx(T0 + impact_s, abs=0.15), rate


def test_bad_input_is_refused_clearly():
    det = FallDetector("waist")
    with pytest.raises(FallDetectorError, match="NaN"):
        det.update(T0, RATE, np.array([[0.0, np.nan, 1.0]]))
    with pytest.raises(FallDetectorError, match="shape"):
        det.update(T0, RATE, np.zeros((10, 2)))
    with pytest.raises(FallDetectorError, match="rate") as err:
        det.update(T0, 2.0, np.zeros((10, 3)))
    assert err.value.rate_hz == 2.0
    det.update(T0, RATE, hold(UP, 2))
    with pytest.raises(FallDetectorError, match="before the previous one ended"):
        det.update(T0 + 1.0, RATE, hold(UP, 1))
    with pytest.raises(FallDetectorError, match="placement"):
        FallDetector("ankle")  # type: ignore[arg-type]


def test_placements_have_their_own_defaults():
    waist, wrist = FallConfig.for_placement("waist"), FallConfig.for_placement("wrist")
    assert FallConfig.for_placement("chest").weights == waist.weights
    assert wrist.weights != waist.weights
    assert waist.min_orientation_deg > wrist.min_orientation_deg
    assert FallConfig.for_placement("wrist", threshold=0.9).threshold == 0.9


def test_docstring_example_runs():
    result = doctest.testmod(fall_module)
    assert result.attempted > 0 and result.failed == 0
