"""Behaviour of one wearable's fall detector on hand-built signals (always run)."""

from __future__ import annotations

import doctest
import json

import numpy as np
import pytest

import analytics.falls.wearable as wearable_module
from analytics.falls import FallConfig, FallDetection, FallDetector, FallDetectorError, Upright
from analytics.falls.model import score_features
from tests.analytics.falls.signals import (
    LYING,
    RATE,
    T0,
    UP,
    bump,
    fall_signal,
    falling_out_of_bed,
    hold,
    lying_down_on_a_bed,
    noisy,
    ramp,
    rolling_over_in_bed,
    rolling_over_with_a_thump,
    rotation,
    turn,
    unit,
    walk,
)


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


def candidates(x: np.ndarray, placement="waist", rate: float = RATE, t0: float = T0):
    """Every impact the detector weighed, with its features and its score."""
    seen: list[tuple[np.ndarray, dict[str, np.ndarray]]] = []
    det = FallDetector(placement, observer=lambda t, f: seen.append((t, f)))
    det.update(t0, rate, x)
    det.flush()
    times = np.concatenate([t for t, _ in seen])
    f = {k: np.concatenate([g[k] for _, g in seen]) for k in seen[0][1]}
    f["score"] = score_features(f, det.config.weights, det.config.max_scored_turn_deg)
    return times, f


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
    assert e["impulse_gs"] > 0.2
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


def test_lying_down_slowly_is_not_a_fall():
    x = noisy(np.vstack([hold(UP, 5), ramp(UP, LYING, 2.0), hold(LYING, 15)]))
    assert run(x) == []  # the posture changes, but nothing hits anything


@pytest.mark.parametrize("placement", ["waist", "chest"])
def test_lying_down_quickly_on_a_bed_does_not_alarm(placement):
    x = lying_down_on_a_bed()
    _, f = candidates(x, placement)
    landing = int(np.argmax(f["peak_g"]))
    assert f["peak_g"][landing] > 1.4  # the mattress is an impact worth examining ...
    assert f["orientation_change_deg"][landing] > 60  # ... she ends lying, still ...
    assert f["post_motion_g"][landing] < 0.05
    assert f["impulse_gs"][landing] < 0.06  # ... but the body lost little speed
    assert run(x, placement, batch=50) == []


def test_rolling_over_in_bed_does_not_alarm():
    x = rolling_over_in_bed()
    _, f = candidates(x)
    assert f["orientation_change_deg"].max() > 60
    assert run(x, batch=50) == []


# --- lying already: her upright, learned from her walking -------------------------------


def walked_before(seconds: float = 20.0, worn: np.ndarray | None = None) -> Upright:
    """What a trunk wearable worn since the morning knows: she walked ``seconds``."""
    upright = Upright(FallConfig().analysis_rate_hz)
    steps = noisy(walk(seconds))
    upright.learn_recording(T0 - 3600.0, RATE, steps if worn is None else steps @ worn.T)
    return upright


def decided(x: np.ndarray, upright: Upright | None = None) -> list[FallDetection]:
    det = FallDetector("waist", upright=upright)
    return feed(det, x, [50] * (len(x) // 50 + 1)) + det.flush()


@pytest.mark.parametrize("seed", [None, 1, 2])
def test_rolling_over_in_bed_with_a_thump_alarms_only_until_she_has_been_seen_walking(seed):
    """A full roll onto the side that lands with a thump scores as a fall (SisFall's
    roll-overs raised 7 to 11 of 150 so); once the wearable has seen her walk, it knows she
    was lying already, and lying already only a hit as hard as a fall out of bed is one.
    However the pendant is worn."""
    worn = np.eye(3) if seed is None else rotation(seed)
    roll = rolling_over_with_a_thump() @ worn.T
    assert len(decided(roll)) == 1  # a wearable just put on cannot tell
    assert decided(roll, walked_before(worn=worn)) == []


def test_a_wearable_learns_her_upright_from_the_walking_in_its_own_stream():
    x = np.vstack(
        [
            noisy(walk(20), seed=5),
            noisy(ramp(UP, LYING, 3.0), seed=6),  # lying down slowly on her back
            rolling_over_with_a_thump(),
        ]
    )
    assert decided(x) == []
    assert len(decided(rolling_over_with_a_thump())) == 1


def test_a_fall_out_of_bed_is_still_a_fall():
    falls = decided(falling_out_of_bed(), walked_before())
    assert len(falls) == 1
    e = falls[0].evidence
    assert e["from_upright_deg"] > 80  # lying already ...
    assert e["impulse_gs"] > FallConfig().lying_min_impulse_gs  # ... but she hit the floor


def test_a_faint_from_a_chair_leaning_forward_is_still_a_fall():
    """Sitting bent forward 50 degrees (SisFall's falls start up to 57 degrees from
    upright), then slumping to the floor: not lying before, so a fall."""
    seated = unit((0.0, np.sin(np.radians(50)), np.cos(np.radians(50))))
    x = np.vstack(
        [
            hold(seated, 8),
            turn(seated, (0.0, 1.0, -0.2), 0.8),
            0.4 * hold(unit((0.0, 1.0, -0.2)), 0.25),  # dropping off the seat
            hold((0.0, 3.0, 0.5), 0.1),
            hold(unit((0.3, 1.0, -0.2)), 12),
        ]
    )
    falls = decided(noisy(x), walked_before())
    assert len(falls) == 1
    assert 45 < falls[0].evidence["from_upright_deg"] < 55


def test_the_bracelet_learns_no_upright():
    """A forearm's posture says nothing of lying: no such gate at the wrist."""
    assert FallDetector("wrist").upright is None
    assert FallDetector("waist").upright is not None
    assert run(rolling_over_with_a_thump())[0].evidence["from_upright_deg"] is None


def test_the_same_move_scores_the_same_however_the_wearable_is_worn():
    """Orientation-free: rotating every sample (a pendant clipped upside down, a bracelet
    strapped on the other way) changes no feature and no decision."""
    signals = {
        "fall": (fall_signal()[0], "waist"),
        "bed": (lying_down_on_a_bed(), "waist"),
        "wrist fall": (wrist_fall(), "wrist"),
    }
    for name, (x, placement) in signals.items():
        _, reference = candidates(x, placement)
        for seed in (1, 2, 3):
            _, rotated = candidates(x @ rotation(seed).T, placement)
            for key in ("score", "peak_g", "impulse_gs", "orientation_change_deg", "prominence"):
                np.testing.assert_allclose(
                    rotated[key], reference[key], atol=1e-9, err_msg=f"{name} {key}"
                )
            assert len(run(x @ rotation(seed).T, placement)) == len(run(x, placement)), name


# --- the wrist ---------------------------------------------------------------------------


def wrist_fall(after=None) -> np.ndarray:
    """Walking with the forearm hanging, a fall, the hand hits the floor (~5.4 g), then the
    forearm on the floor (``after``: what the arm does there, default lying still)."""
    arm_down = (-1.0, 0.0, 0.0)
    swing = walk(6) @ np.array([[0, 0, 0], [0, 1, 0], [-1, 0, 0]])  # gait, forearm hanging
    floor = hold((0.0, 0.3, 0.95), 12) if after is None else after
    return noisy(
        np.vstack(
            [swing, ramp(arm_down, (-0.2, 0.1, 0.2), 0.4), hold((-2.0, 4.0, 3.0), 0.1), floor]
        )
    )


def test_wrist_fall_is_detected():
    falls = run(wrist_fall(), placement="wrist", batch=25)
    assert len(falls) == 1
    assert falls[0].placement == "wrist"


def test_wrist_fall_is_decided_when_the_arm_has_come_to_rest():
    x = wrist_fall()
    det = FallDetector("wrist")
    decided_at = None
    for start in range(0, len(x), 50):  # one-second batches, as a bracelet sends them
        if det.update(T0 + start / RATE, RATE, x[start : start + 50]):
            decided_at = (start + 50) / RATE
    impact_s = 6.4
    assert decided_at is not None
    assert 10 <= decided_at - impact_s <= 11.5  # the wrist waits 10 s to see where it ends


def test_wrist_fall_with_the_arm_moving_for_seconds_afterwards_is_detected():
    """Many real falls: the arm reaches out and pushes for a few seconds, then rests on the
    floor. Stillness is not demanded at the wrist; where the arm ends up is."""
    floor = unit((0.0, 0.3, 0.95))
    rng = np.random.default_rng(5)
    reaching = hold(floor, 3) + rng.normal(0.0, 0.25, (150, 3))  # 0.25 g of flailing
    x = wrist_fall(after=np.vstack([reaching, turn(floor, floor, 0.2), hold(floor, 9)]))
    falls = run(x, placement="wrist", batch=25)
    assert [round(f.ts - T0, 1) for f in falls] == [pytest.approx(6.4, abs=0.15)]
    assert falls[0].evidence["still_s"] <= 7.0  # moving for a third of the window after


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


def table_knock(rate: float, peak: float = 4.0) -> np.ndarray:
    """Forearm on the table, hand lifted ~20 degrees and brought down, a one-sample knock,
    then the arm rests, still, about 10 degrees from before."""
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
    _, f = candidates(x, "wrist", rate)
    knock = int(np.argmax(f["peak_g"]))
    assert f["peak_g"][knock] > 1.8  # examined as an impact ...
    assert f["orientation_change_deg"][knock] < 20  # ... but the forearm barely turned
    for shift in (0.0, 0.013, 0.027):  # whatever the sampling phase
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
    assert len(run(noisy(x), placement="wrist", batch=25)) == 1


def test_wrist_fall_with_a_few_flails_before_lying_still_is_detected():
    x, impact_s = fall_signal(lie_s=12)
    x = x @ np.array([[0, 0, 1.0], [0, 1.0, 0], [-1.0, 0, 0]])  # any mounting works
    k = round(impact_s * RATE)
    for dt in (0.5, 1.0, 1.5, 2.0):  # the arm flails, hitting the floor again ...
        x[k + round(dt * RATE)] *= 3.0
    assert len(run(x, placement="wrist", batch=25)) == 1  # ... then lies still: a fall


def test_raising_a_phone_to_the_ear_is_not_a_wrist_fall():
    """Walking with the forearm hanging, the phone raised to the ear in half a second and
    knocked against it (1.8 g, as in UMAFall's calls), then held there through the call:
    the forearm turns about 155 degrees and rests. A turn far past square is the arm
    raised, not a fall, so it weighs as 90 degrees; the evidence still says how far."""
    hanging, at_ear = (-1.0, 0.0, 0.0), unit((0.9, 0.1, 0.42))
    swing = walk(6, amp=0.5) @ np.array([[0, 0, 0], [0, 1, 0], [-1, 0, 0]])
    x = np.vstack([swing, turn(hanging, at_ear, 0.5), hold(at_ear, 14)])
    x = noisy(bump(x, 6.5, at_ear, 0.8, 0.05), sd=0.02)
    _, f = candidates(x, "wrist")
    knock = int(np.argmax(f["peak_g"]))
    assert f["orientation_change_deg"][knock] > 150
    assert run(x, placement="wrist", batch=50) == []


def test_a_short_impact_reads_the_same_whatever_the_sampling_phase():
    for rate in (20.0, 25.0, 50.0):
        x = table_knock(rate, peak=5.0)
        peaks = []
        for shift in np.arange(0.0, 1.0 / rate, 0.01):
            _, f = candidates(x, "wrist", rate, t0=T0 + shift)
            peaks.append(f["peak_g"].max())
        assert max(peaks) - min(peaks) < 1e-9, (rate, peaks)


def test_a_soft_landing_weighs_less_than_a_hard_one():
    """The impulse, not the peak alone: the same 2 g peak held longer is a harder hit."""
    scores = []
    for width in (0.02, 0.06, 0.12):
        x, impact_s = fall_signal()
        x = np.vstack([x[: round(impact_s * RATE)], hold(LYING, 12)])
        x = noisy(bump(x, impact_s, LYING, 1.0, width))
        _, f = candidates(x)
        j = int(np.argmin(np.abs(_ - T0 - impact_s)))
        scores.append(f["score"][j])
    assert scores[0] < scores[1] < scores[2]


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


def test_a_state_saved_before_the_upright_restores_and_learns_it():
    """Release 3's state (no upright, a config without the lying gate) loads and goes on:
    the detector then learns her upright from her walking."""
    det = FallDetector("waist")
    feed(det, hold(UP, 2), [100])
    state = json.loads(json.dumps(det.state_dict()))
    state["version"] = 3
    del state["upright"]
    for name in ("lying_deg", "lying_min_impulse_gs"):
        del state["config"][name]
    restored = FallDetector.from_state(state)
    assert restored.config == FallConfig.for_placement("waist")
    bracelet = FallDetector("wrist").state_dict()
    bracelet["version"] = 3
    for name in ("lying_deg", "lying_min_impulse_gs"):
        del bracelet["config"][name]
    assert FallDetector.from_state(bracelet).upright is None  # the wrist has no such gate
    x = np.vstack([noisy(walk(20), seed=5), rolling_over_with_a_thump()])
    assert feed(restored, x, [50] * (len(x) // 50 + 1), t0=T0 + 2.0) + restored.flush() == []


@pytest.mark.parametrize("version", [1, 2])
def test_state_saved_by_an_older_release_restores_with_todays_model(version):
    x = two_falls()
    reference = run(x, batch=40)
    cut = 470  # between the first impact and its decision
    det = FallDetector("waist")
    got = feed(det, x[:cut], [40] * (cut // 40 + 1))
    state = json.loads(json.dumps(det.state_dict()))
    state["version"] = version
    # as the earlier model saved it: settings that no longer exist
    state["config"] = {"analysis_rate_hz": 20.0, "series_window_s": 2.0, "weights": {"peak": 2.1}}
    if version == 1:  # before the impact channel
        del state["peak"], state["carry"]
    restored = FallDetector.from_state(state)
    assert restored.config == FallConfig.for_placement("waist")
    got += feed(restored, x[cut:], [40] * (len(x) // 40 + 1), t0=T0 + cut / RATE)
    got += restored.flush()
    assert [round(f.ts, 1) for f in got] == [round(f.ts, 1) for f in reference]


def test_a_corrupt_state_is_refused_clearly():
    state = FallDetector("waist").state_dict()
    with pytest.raises(FallDetectorError, match="version"):
        FallDetector.from_state({**state, "version": 99})
    with pytest.raises(FallDetectorError, match="corrupt"):
        FallDetector.from_state({k: v for k, v in state.items() if k != "buf"})


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


def one_second_batches(x: np.ndarray, lost=(), rate: float = RATE):
    """The 1 s messages of a wearable sending ``x`` from T0, without those numbered ``lost``."""
    per = round(rate)
    for n, first in enumerate(range(0, len(x), per)):
        if n not in lost:
            yield T0 + first / rate, x[first : first + per]


@pytest.mark.parametrize("seconds_after", [1, 2, 3])
def test_a_fall_is_found_though_messages_just_after_the_impact_were_lost(seconds_after):
    # A 1 s message lost (QoS 0, or refused by the edge for a value beyond the sensor's
    # range) in the seconds after the impact, or three in a row: the stream goes on over
    # the hole, and the impact is judged on what came after it.
    x, impact_s = fall_signal(lie_s=20.0)
    first_lost = int(impact_s) + seconds_after
    for lost in ({first_lost}, set(range(first_lost, first_lost + 3))):
        det = FallDetector("waist")
        falls = [f for t0, b in one_second_batches(x, lost) for f in det.update(t0, RATE, b)]
        falls += det.flush()
        assert [f.ts for f in falls] == [pytest.approx(T0 + impact_s, abs=0.15)], lost
        assert falls[0].evidence["post_window_s"] < 4.0  # the hole is not made up


def test_a_silence_longer_than_a_few_seconds_ends_the_stream():
    x, impact_s = fall_signal(lie_s=20.0)
    cut = round((impact_s + 1.6) * RATE)  # 1.6 s of aftermath, then nothing for a while
    for silent_s, decided_at_once in ((3.0, False), (5.0, True)):
        det = FallDetector("waist")
        assert det.update(T0, RATE, x[:cut]) == []
        back = cut + round(silent_s * RATE)
        falls = det.update(T0 + back / RATE, RATE, x[back : back + 5])
        # past a few seconds the stream has ended: the impact is decided on what it had
        assert len(falls) == int(decided_at_once), silent_s


def test_a_hole_in_the_stream_is_saved_and_restored_in_plain_json():
    x, impact_s = fall_signal(lie_s=20.0)
    lost = {int(impact_s) + 1}
    batches = list(one_second_batches(x, lost))
    det = FallDetector("waist")
    reference = [f for t0, b in batches for f in det.update(t0, RATE, b)] + det.flush()
    assert len(reference) == 1
    for cut in range(len(batches)):
        det = FallDetector("waist")
        got = [f for t0, b in batches[:cut] for f in det.update(t0, RATE, b)]
        state = json.loads(json.dumps(det.state_dict(), allow_nan=False))
        det = FallDetector.from_state(state)
        got += [f for t0, b in batches[cut:] for f in det.update(t0, RATE, b)] + det.flush()
        assert got == reference, cut


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
    with pytest.raises(FallDetectorError, match="unknown fall detector settings"):
        FallConfig.from_dict({**FallConfig().to_dict(), "pre_impact_g": 0.15})
    with pytest.raises(FallDetectorError, match="bad fall detector settings"):
        FallConfig.from_dict({**FallConfig().to_dict(), "series_window_s": 2.0})


def test_placements_have_their_own_defaults():
    waist, wrist = FallConfig.for_placement("waist"), FallConfig.for_placement("wrist")
    assert FallConfig.for_placement("chest") == waist
    assert wrist.weights != waist.weights
    assert wrist.post_end_s > waist.post_end_s  # the wrist waits to see where the arm ends
    assert wrist.max_post_motion_g is None and waist.max_post_motion_g is not None
    assert FallConfig.for_placement("wrist", threshold=0.9).threshold == 0.9
    assert FallConfig.from_dict(json.loads(json.dumps(wrist.to_dict()))) == wrist


def test_docstring_example_runs():
    result = doctest.testmod(wearable_module)
    assert result.attempted > 0 and result.failed == 0
