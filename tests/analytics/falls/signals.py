"""Hand-built accelerometer signals (g, sensor frame) for the fall detector's tests.

A sample is the specific force: standing still it reads 1 g pointing up, in free fall 0.
"""

from __future__ import annotations

import numpy as np

RATE = 50.0
T0 = 1_700_000_000.0
UP = (0.0, 0.0, 1.0)  # gravity along the sensor's z while upright
LYING = (1.0, 0.0, 0.0)


def hold(vec, seconds: float, rate: float = RATE) -> np.ndarray:
    return np.tile(np.asarray(vec, dtype=float), (round(seconds * rate), 1))


def ramp(a, b, seconds: float, rate: float = RATE) -> np.ndarray:
    w = np.linspace(0.0, 1.0, round(seconds * rate))[:, None]
    return (1 - w) * np.asarray(a, float) + w * np.asarray(b, float)


def unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)


def turn(a, b, seconds: float, rate: float = RATE) -> np.ndarray:
    """Gravity direction turning from a to b (a limb rotating): |a| stays 1 g throughout."""
    w = np.linspace(0.0, 1.0, round(seconds * rate))[:, None]
    w = w * w * (3 - 2 * w)
    return np.array([unit(v) for v in (1 - w) * unit(a) + w * unit(b)])


def walk(seconds: float, rate: float = RATE, amp: float = 0.35) -> np.ndarray:
    """Upright gait: vertical bounce at 2 steps/s plus sideways sway, peaks below 1.4 g."""
    t = np.arange(round(seconds * rate)) / rate
    x = np.zeros((len(t), 3))
    x[:, 2] = 1.0 + amp * np.sin(2 * np.pi * 2.0 * t)
    x[:, 1] = 0.15 * np.sin(2 * np.pi * 1.0 * t)
    return x


def noisy(x: np.ndarray, sd: float = 0.01, seed: int = 0) -> np.ndarray:
    return x + np.random.default_rng(seed).normal(0.0, sd, x.shape)


def bump(x: np.ndarray, at_s: float, direction, peak_g: float, width_s: float, rate: float = RATE):
    """Add a short Gaussian pulse of force (an impact, a mattress giving) along ``direction``."""
    t = np.arange(len(x)) / rate
    pulse = np.exp(-0.5 * ((t - at_s) / width_s) ** 2)
    return x + peak_g * pulse[:, None] * unit(direction)[None, :]


def fall_signal(rate: float = RATE, lie_s: float = 12.0) -> tuple[np.ndarray, float]:
    """Walk, trip, fall and lie still; returns samples and the impact offset in seconds."""
    before = np.vstack([walk(6, rate), ramp(UP, (0.2, 0.0, 0.3), 0.4, rate)])  # free fall
    impact = hold((3.0, 0.5, 3.0), 0.1, rate)  # ~4.3 g
    x = np.vstack([before, impact, hold(LYING, lie_s, rate)])
    return noisy(x), len(before) / rate


# The two daily activities below are built with the median figures of SisFall's trials of
# them (D13, D14; 30 subjects): a 1.6 g landing whose area above 1 g is about 0.05 g s,
# a turn of 60-75 degrees, lying still afterwards.


def lying_down_on_a_bed(rate: float = RATE) -> np.ndarray:
    """Sitting on the edge of the bed, then lying back quickly onto the pillow: the trunk
    turns 70 degrees in a second and lands on the mattress (no free fall, a short bump)."""
    seated = unit((0.17, 0.0, 0.98))  # trunk leaning back 10 degrees
    lying = unit((0.98, 0.0, 0.17))  # head and shoulders on the pillow
    x = np.vstack([hold(seated, 6, rate), turn(seated, lying, 1.0, rate), hold(lying, 14, rate)])
    return noisy(bump(x, 7.0, lying, 0.6, 0.033, rate))  # |a| about 1.6 g


def rolling_over_in_bed(rate: float = RATE) -> np.ndarray:
    """Lying on the back, rolling onto the side (75 degrees: the hips stay half turned),
    landing on the mattress with a 1.5 g thump."""
    back, side = unit((0.0, 0.0, 1.0)), unit((0.0, 0.97, 0.26))
    x = np.vstack([hold(back, 6, rate), turn(back, side, 1.0, rate), hold(side, 14, rate)])
    return noisy(bump(x, 7.0, side, 0.5, 0.04, rate))


def rolling_over_with_a_thump(rate: float = RATE) -> np.ndarray:
    """Lying on the back, rolling a full 90 degrees onto the side and landing with a 2 g
    thump (0.08 g s, a roll-over of the kind the scorer alone takes for a fall)."""
    back, side = unit(LYING), unit((0.0, 1.0, 0.0))
    x = np.vstack([hold(back, 8, rate), turn(back, side, 1.0, rate), hold(side, 14, rate)])
    return noisy(bump(x, 9.0, side, 1.0, 0.03, rate))


def falling_out_of_bed(rate: float = RATE) -> np.ndarray:
    """Lying on the back, rolling over the edge of the bed and dropping 0.45 m onto the
    floor (0.3 s of free fall, a 4 g impact that stops her 3 m/s), lying on the side."""
    back, side = unit(LYING), unit((0.0, 1.0, 0.0))
    x = np.vstack(
        [
            hold(back, 8, rate),
            turn(back, side, 0.7, rate),
            0.2 * hold(side, 0.3, rate),  # free fall
            hold(4.0 * side, 0.08, rate),  # the floor
            hold(side, 14, rate),
        ]
    )
    return noisy(x)


def rotation(seed: int) -> np.ndarray:
    """A random proper rotation: the same wearable clipped or strapped on another way."""
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q
