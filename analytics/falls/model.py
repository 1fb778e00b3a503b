"""The fall scorer: four physical features of an impact, weighed by a logistic model.

Every feature is orientation-free (it reads |a| or the angle between two gravity
directions of the same sensor), so how a pendant is clipped or a bracelet strapped on does
not change it:

* ``turn``: the angle between the posture before the fall (the earliest 2 s of the 6 s
  before the impact) and the posture after it (the last 3 s of the window after), over 90°;
  at the wrist a turn beyond 90° counts as 90° (``FallConfig.max_scored_turn_deg``: further
  is the forearm raised, to the ear or above the head, not lying on the floor);
* ``motion``: log10 of how much the wearer still moves afterwards (the median, over the
  half seconds from 1 s after the impact to the decision, of the spread of the acceleration
  vector: the root of its summed per-axis variances, which no rotation changes), + 0.02 g
  for the sensor's noise floor;
* ``prominence``: ln of the impact over the largest |a| in the seconds before (a fall
  stands out from walking; the 10th clap of a round of applause does not);
* ``impulse``: log10 of the area of |a| above 1 g within 0.25 s of the impact (g s),
  + 0.02: the speed the body lost when it hit. An area, unlike a peak, reads the same at
  20 Hz and at 200 Hz, and it is what tells a fall from lying down on a bed or rolling over
  in it; half a second, so that the next clap or step is not counted with it.

The weights are fitted, not tuned: ``eldercare eval falls ... --fit`` derives them from the
development recordings (see docs/falls.md), and a test checks
that refitting those recordings gives back exactly these numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FEATURE_NAMES = ("turn", "motion", "prominence", "impulse")
MOTION_FLOOR_G = 0.02  # sensor noise: below this, "stiller" means nothing
IMPULSE_FLOOR_GS = 0.02  # likewise for the area of an impact
_MAX_MOTION_G = 16.0  # a full-scale sensor; keeps "never still" finite


@dataclass(frozen=True)
class FallWeights:
    """z = bias + turn*(deg/90) + motion*log10(g + 0.02) + prominence*ln(ratio)
    + impulse*log10(g s + 0.02); the score is 1 / (1 + e^-z)."""

    bias: float
    turn: float
    motion: float
    prominence: float
    impulse: float

    def as_array(self) -> np.ndarray:
        return np.array([self.bias, self.turn, self.motion, self.prominence, self.impulse])


# Fitted by ``eldercare eval falls ../shared/data/sisfall ../shared/data/sisfall-50hz
# ../shared/data/umafall-waist --fit`` (trunk: 30 SisFall subjects at 200 and 50 Hz, 9
# UMAFall subjects at ~20 Hz) and ``... umafall-wrist --placement wrist --fit`` (10 UMAFall
# subjects): multiple-instance logistic regression on the impacts that pass the gates, the
# bias at the balance point of sensitivity and specificity on subjects held out of the fit.
# How to read them: on the trunk a hard impact and a body that ends lying carry the decision
# (an impulse 10x larger counts as much as turning 90 degrees; stillness little, the gate
# already demands it); at the wrist, where the arm keeps moving after many real falls, the
# turn up to square (a forearm turned further was raised: it counts as 90 degrees), stillness
# and impulse weigh about alike, prominence half as much.
TRUNK_WEIGHTS = FallWeights(bias=-1.66, turn=3.7, motion=-1.24, prominence=0.85, impulse=3.8)
WRIST_WEIGHTS = FallWeights(bias=-3.26, turn=2.0, motion=-1.68, prominence=1.04, impulse=1.85)


def feature_matrix(f: dict[str, np.ndarray], max_turn_deg: float | None) -> np.ndarray:
    """The scored features of candidate impacts, columns in FEATURE_NAMES order; a turn
    beyond ``max_turn_deg`` (None: no limit) scores as that turn."""
    turn = f["orientation_change_deg"]
    if max_turn_deg is not None:
        turn = np.minimum(turn, max_turn_deg)
    return np.column_stack(
        [
            turn / 90.0,
            np.log10(np.minimum(f["post_motion_g"], _MAX_MOTION_G) + MOTION_FLOOR_G),
            f["prominence"],
            np.log10(f["impulse_gs"] + IMPULSE_FLOOR_GS),
        ]
    )


def score_features(
    f: dict[str, np.ndarray], weights: FallWeights, max_turn_deg: float | None
) -> np.ndarray:
    """Probability-like score (0..1) of each candidate impact."""
    w = weights.as_array()
    z = w[0] + feature_matrix(f, max_turn_deg) @ w[1:]
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))
