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


def learned(x: np.ndarray, upright: Upright | None = None, t0: float = T0) -> Upright:
    upright = upright or Upright(GRID_HZ)
    upright.learn_recording(t0, RATE, x)
    return upright


def known(upright: Upright, hours_later: float = 0.0) -> np.ndarray | None:
    """Her upright as known ``hours_later`` after she was last seen walking."""
    if upright.walked_at is None:
        return None
    return upright.known_at(upright.walked_at + round(hours_later * 3600 * GRID_HZ))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_her_upright_is_where_gravity_points_while_she_walks_however_the_pendant_hangs(seed):
    worn = rotation(seed)
    upright = known(learned(noisy(np.vstack([walk(20), hold(LYING, 10)])) @ worn.T))
    assert upright is not None
    assert angle_deg(upright, worn @ np.asarray(UP)) < 3


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
    assert known(upright) is None and upright.walked == 0


@pytest.mark.parametrize("hz", [6.0, 8.0])
def test_lying_on_a_vibrating_bed_teaches_nothing(hz):
    """A massage bed or a seat that hums shakes |a| as much as steps do, but not at a
    step's cadence."""
    t = np.arange(round(120 * RATE)) / RATE
    hum = 0.12 * np.sqrt(2) * np.sin(2 * np.pi * hz * t)
    x = hold(LYING, 120) * (1.0 + hum)[:, None]
    assert learned(noisy(x)).walked == 0


def test_a_few_steps_are_not_yet_her_upright():
    """Six seconds of steps: a run of walking, but not enough to know her by."""
    assert known(learned(noisy(walk(6)))) is None
    assert known(learned(noisy(walk(12)))) is not None


def test_a_pendant_clipped_on_another_way_is_not_trusted_until_learned_again():
    """Walking that points elsewhere: the old upright is doubted at once (a wrong one would
    take standing for lying), and a minute of such walking teaches the new one."""
    upright = learned(noisy(walk(120)))
    turned = np.diag([1.0, -1.0, -1.0])  # clipped upside down
    learned(noisy(walk(8)) @ turned.T, upright, T0 + 600)
    assert known(upright) is None
    learned(noisy(walk(60)) @ turned.T, upright, T0 + 700)
    assert angle_deg(known(upright), turned @ np.asarray(UP)) < 5


def test_walking_as_before_clears_a_doubt():
    upright = learned(noisy(walk(60)))
    learned(noisy(walk(8)) @ np.diag([1.0, -1.0, -1.0]), upright, T0 + 600)  # briefly
    learned(noisy(walk(8), seed=2), upright, T0 + 700)
    assert angle_deg(known(upright), np.asarray(UP)) < 5


def test_a_day_without_walking_or_the_wearable_taken_off_forgets_her_upright():
    upright = learned(noisy(walk(60)))
    assert known(upright, hours_later=12) is not None  # a night in bed
    assert known(upright, hours_later=20) is None
    upright.forget(0)
    assert known(upright) is None


def test_what_is_learned_is_the_same_whatever_the_batch_split_and_survives_a_restart():
    x = noisy(np.vstack([walk(13), hold(UP, 3), walk(9), ramp(UP, LYING, 2.0), hold(LYING, 5)]))
    whole = learned(x)
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
        assert det.upright.walked == whole.walked > 0
        assert det.upright.walked_at == whole.walked_at
        assert angle_deg(det.upright.upright.v, whole.upright.v) < 1e-6
