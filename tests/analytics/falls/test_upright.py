"""Her upright, learned from the walking a trunk wearable sees (hand-built signals)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analytics.falls import FallDetector, Upright
from analytics.falls.upright import angle_deg
from tests.analytics.falls.signals import (
    LYING,
    RATE,
    T0,
    UP,
    hold,
    noisy,
    ramp,
    rolling_over_in_bed,
    rotation,
    unit,
    walk,
)
from tests.analytics.falls.test_wearable import feed

GRID_HZ = 20.0


def learned(x: np.ndarray) -> Upright:
    upright = Upright(GRID_HZ)
    upright.learn_recording(T0, RATE, x)
    return upright


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_her_upright_is_where_gravity_points_while_she_walks_however_the_pendant_hangs(seed):
    worn = rotation(seed)
    upright = learned(noisy(np.vstack([walk(20), hold(LYING, 10)])) @ worn.T)
    assert upright.known is not None
    assert angle_deg(upright.known, worn @ np.asarray(UP)) < 3


def test_standing_sitting_lying_and_rolling_over_teach_nothing():
    quiet = np.vstack(
        [
            hold(UP, 20),
            hold(unit((0.3, 0.0, 1.0)), 20),  # seated
            ramp(UP, LYING, 2.0),
            hold(LYING, 10),
            rolling_over_in_bed(),
        ]
    )
    upright = learned(noisy(quiet))
    assert upright.known is None and upright.walked == 0


def test_a_few_steps_are_not_yet_her_upright():
    """Six seconds of steps: a run of walking, but not enough to know her by."""
    assert learned(noisy(walk(6))).known is None
    assert learned(noisy(walk(12))).known is not None


def test_a_pendant_clipped_on_anew_is_learned_again_within_a_minute_of_walking():
    upright = learned(noisy(walk(120)))
    turned = rotation(4)
    upright.learn_recording(T0 + 600, RATE, noisy(walk(60)) @ turned.T)
    assert upright.known is not None
    assert angle_deg(upright.known, turned @ np.asarray(UP)) < 20


def test_what_is_learned_is_the_same_whatever_the_batch_split_and_survives_a_restart():
    x = noisy(np.vstack([walk(13), hold(UP, 3), walk(9), ramp(UP, LYING, 2.0), hold(LYING, 5)]))
    whole = learned(x).state_dict()
    rng = np.random.default_rng(3)
    for sizes in ([1] * len(x), [7, 333, 1, 49] * 40, list(rng.integers(1, 300, size=len(x)))):
        det = FallDetector("waist")
        cut = len(x) // 2
        feed(det, x[:cut], sizes)
        state = json.loads(json.dumps(det.state_dict()))
        det = FallDetector.from_state(state)
        feed(det, x[cut:], sizes, t0=T0 + cut / RATE)
        det.flush()
        assert det.upright is not None
        got = det.upright.state_dict()
        assert got["walked"] == whole["walked"] > 0
        assert angle_deg(np.array(got["direction"]), np.array(whole["direction"])) < 1e-6
