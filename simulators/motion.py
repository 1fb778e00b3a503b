"""What a wearable accelerometer records around a jolt: a fall, or an everyday move that
looks like one (sitting down hard, lying down, bending, a knock on the table, clapping).

Wearables do not stream acceleration all day; they keep a few seconds in a ring buffer and
upload a window when something jolts them. So each gesture yields one window: a few seconds
before, the move itself, and 30-60 s after, sent in 1-2 s batches.

A sample is the specific force in g in the sensor's frame: standing still it reads +1 g
pointing up, in free fall it reads 0. The trace is built as
    gravity direction (keyframed orientation, plus wobble)  x  (1 - free-fall dip)
    + linear acceleration (steps, bounces, impacts)  + sensor noise.
Sensor frames: at the waist x points to her right, y down the trunk, z forward (upright
reads about (0, -1, 0)); at the wrist x runs along the forearm to the hand, y to the thumb,
z out of the watch face (arm hanging reads about (-1, 0, 0)).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

import numpy as np
from scipy.signal import lfilter

from .resident import ResidentProfile
from .routine import Gesture

Placement = Literal["wrist", "waist"]

WAIST_RATE_HZ = 50.0
ACCEL_RANGE_G = 16.0  # full scale of the wearables' accelerometers, as in eldercare/metrics.py
_WRIST_ONLY = frozenset({"wrist_bang", "clap"})  # the trunk hardly moves: a pendant stays quiet


@dataclass(frozen=True, eq=False)
class AccelWindow:
    """One upload: samples (n, 3) in g at rate_hz, the first at ``start`` (s after midnight)."""

    start: float
    rate_hz: float
    samples: np.ndarray

    def batches(self) -> Iterator[tuple[float, tuple[tuple[float, float, float], ...]]]:
        """1 s batches at 50 Hz or more, 2 s below: about 50 samples a message either way.

        Samples come as tuples of floats, the canonical form of an accel batch reading."""
        if (
            not np.isfinite(self.samples).all()
            or np.abs(self.samples).max(initial=0) > ACCEL_RANGE_G
        ):
            raise ValueError("accelerometer samples outside the sensor's range")
        size = _batch_size(self.rate_hz)
        x, y, z = self.samples.T.tolist()
        rows = list(zip(x, y, z, strict=True))
        for first in range(0, len(rows), size):
            yield self.start + first / self.rate_hz, tuple(rows[first : first + size])


def accel_window(
    gesture: Gesture,
    placement: Placement,
    rate_hz: float,
    profile: ResidentProfile,
    rng: np.random.Generator,
) -> AccelWindow | None:
    if placement == "waist" and gesture.kind in _WRIST_ONLY:
        return None
    body = _Waist(profile, rng) if placement == "waist" else _Wrist(rng)
    pre = rng.uniform(2.0, 5.0)
    post = rng.uniform(30.0, 60.0)
    if gesture.recover_after is not None:
        post = max(post, gesture.recover_after + rng.uniform(8.0, 15.0))
    lead = _LEAD.get(gesture.kind, 1.0)
    event = pre + lead  # the moment of contact, within the window
    batch = _batch_size(rate_hz)
    samples = math.ceil((event + post) * rate_hz / batch) * batch  # whole batches only
    track = _Track(samples / rate_hz, rate_hz, rng, noise=body.noise)
    _BUILDERS[gesture.kind](track, body, event, gesture, rng)
    samples = np.clip(np.round(track.render(), 3), -ACCEL_RANGE_G, ACCEL_RANGE_G)
    return AccelWindow(gesture.t - event, rate_hz, samples)


def _batch_size(rate_hz: float) -> int:
    return max(1, round(rate_hz * (1.0 if rate_hz >= 50 else 2.0)))


# Seconds of movement before contact: losing balance and falling, lowering onto a seat...
_LEAD = {
    "fall": 0.8,
    "fall_recovered": 0.8,
    "sit_hard": 1.2,
    "lie_down": 2.0,
    "pick_up": 1.5,
    "wrist_bang": 0.5,
    "clap": 0.8,
}


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _toward(up: np.ndarray, direction: np.ndarray, degrees: float) -> np.ndarray:
    """``up`` tipped by ``degrees`` toward ``direction`` (which need not be perpendicular)."""
    perpendicular = _unit(direction - np.dot(direction, up) * up)
    a = math.radians(degrees)
    return _unit(math.cos(a) * up + math.sin(a) * perpendicular)


def _jitter(v: np.ndarray, rng: np.random.Generator, degrees: float) -> np.ndarray:
    return _toward(_unit(v), rng.normal(size=3), rng.uniform(0, degrees))


class _Track:
    """An accelerometer window under construction, on a uniform time grid."""

    def __init__(
        self, duration: float, rate: float, rng: np.random.Generator, *, noise: float
    ) -> None:
        self.rate = rate
        self.rng = rng
        self.noise = noise
        self.t = np.arange(round(duration * rate)) / rate
        n = len(self.t)
        self.keys: list[tuple[float, np.ndarray]] = []
        self.wobble = np.zeros((n, 3))
        self.linear = np.zeros((n, 3))
        self.dip = np.zeros(n)
        self.impacts: list[tuple[float, float, np.ndarray, float]] = []

    def snap(self, t: float) -> float:
        return round(t * self.rate) / self.rate

    def span(self, t0: float, t1: float) -> np.ndarray:
        return (self.t >= t0) & (self.t < t1)

    def pose(self, t: float, up: np.ndarray) -> None:
        self.keys.append((t, _unit(np.asarray(up, dtype=float))))

    def gravity(self) -> np.ndarray:
        """Orientation between keyframes: slerp with ease-in/out, as limbs accelerate and stop."""
        keys = sorted(self.keys, key=lambda k: k[0])
        up = np.tile(keys[0][1], (len(self.t), 1))
        for (t0, a), (t1, b) in pairwise(keys):
            up[self.t >= t0] = a
            inside = self.span(t0, t1)
            if t1 > t0 and inside.any():
                s = (self.t[inside] - t0) / (t1 - t0)
                s = s * s * (3 - 2 * s)
                up[inside] = _slerp(a, b, s)
            up[self.t >= t1] = b
        return _unit(up + self.wobble)

    def sway(self, t0: float, t1: float, degrees: float, tau: float) -> None:
        """Slow wandering of orientation: posture shifts, a hand that never quite keeps still."""
        inside = self.span(t0, t1)
        count = int(inside.sum())
        if not count:
            return
        a = math.exp(-1 / (tau * self.rate))
        drift = lfilter([1 - a], [1, -a], self.rng.normal(size=(count, 3)), axis=0)
        drift *= math.radians(degrees) / max(1e-9, float(np.std(drift)) or 1.0)
        self.wobble[inside] += drift

    def jiggle(self, t0: float, t1: float, g: float, tau: float = 0.08) -> None:
        """Band-limited linear acceleration: handling things, shuffling, trembling."""
        inside = self.span(t0, t1)
        count = int(inside.sum())
        if not count:
            return
        a = math.exp(-1 / (tau * self.rate))
        shake = lfilter([1 - a], [1, -a], self.rng.normal(size=(count, 3)), axis=0)
        self.linear[inside] += shake * (g / max(1e-9, float(np.std(shake))))

    def oscillate(
        self, t0: float, t1: float, direction: np.ndarray, g: float, hz: float, phase: float = 0.0
    ) -> None:
        inside = self.span(t0, t1)
        wave = g * np.sin(2 * math.pi * hz * (self.t[inside] - t0) + phase)
        self.linear[inside] += wave[:, None] * _unit(np.asarray(direction, dtype=float))

    def ring(self, t0: float, direction: np.ndarray, g: float, hz: float, tau: float) -> None:
        """A damped bounce after contact: soft tissue, a sofa cushion, a mattress."""
        hz = min(hz, 0.4 * self.rate)
        after = self.t >= t0
        dt = self.t[after] - t0
        wave = g * np.exp(-dt / tau) * np.sin(2 * math.pi * hz * dt)
        self.linear[after] += wave[:, None] * _unit(np.asarray(direction, dtype=float))

    def bump(self, t: float, direction: np.ndarray, g: float, sigma: float = 0.08) -> None:
        shape = np.exp(-0.5 * ((self.t - t) / sigma) ** 2)
        self.linear += shape[:, None] * g * _unit(np.asarray(direction, dtype=float))

    def free_fall(self, t0: float, t1: float, reading: float) -> None:
        """Support gone: the sensor reads ``reading`` g instead of 1 g from t0 to t1."""
        ramp = 0.06
        s = np.clip(np.minimum(self.t - t0, t1 - self.t) / ramp, 0, 1)
        self.dip = np.maximum(self.dip, (1 - reading) * s * s * (3 - 2 * s))

    def impact(self, t: float, direction: np.ndarray, peak: float, sigma: float) -> None:
        """A hard stop reaching ``peak`` g (magnitude of the whole reading) at the sample at t."""
        self.impacts.append((self.snap(t), sigma, _unit(np.asarray(direction, dtype=float)), peak))

    def render(self) -> np.ndarray:
        g = self.gravity()
        total = g * (1 - self.dip)[:, None] + self.linear
        total += self.rng.normal(0, self.noise, total.shape)
        for t, sigma, direction, peak in self.impacts:
            i = int(np.argmin(np.abs(self.t - t)))
            base = total[i]
            # Scale the pulse so the sample at contact reads exactly ``peak`` g.
            b = float(np.dot(base, direction))
            k = -b + math.sqrt(max(0.0, b * b - float(np.dot(base, base)) + peak * peak))
            shape = np.exp(-0.5 * ((self.t - self.t[i]) / sigma) ** 2)
            total += shape[:, None] * k * direction
        return total


def _slerp(a: np.ndarray, b: np.ndarray, s: np.ndarray) -> np.ndarray:
    omega = math.acos(float(np.clip(np.dot(a, b), -1, 1)))
    if omega < 1e-6:
        return np.tile(a, (len(s), 1))
    return (np.sin((1 - s) * omega)[:, None] * a + np.sin(s * omega)[:, None] * b) / math.sin(omega)


class _Waist:
    """A belt-clip pendant: the trunk's orientation, steps felt as vertical bounce."""

    noise = 0.008

    def __init__(self, profile: ResidentProfile, rng: np.random.Generator) -> None:
        self.rng = rng
        self.upright = np.array(profile.waist_upright)
        self.right = _unit(np.array([1.0, 0, 0]) - self.upright[0] * self.upright)
        self.forward = np.cross(self.upright, self.right)
        self.cadence_hz = profile.cadence / 60.0

    def seated(self) -> np.ndarray:
        # Leaning back into a sofa: world-up moves toward the chest axis.
        return _toward(self.upright, self.forward, self.rng.uniform(15, 35))

    def lying(self, side: str) -> np.ndarray:
        directions = {
            "back": self.forward,
            "front": -self.forward,
            "right": -self.right,
            "left": self.right,
        }
        return _jitter(
            _toward(self.upright, directions[side], self.rng.uniform(72, 92)), self.rng, 8
        )

    def walk(self, track: _Track, t0: float, t1: float) -> None:
        f = self.cadence_hz * self.rng.uniform(0.95, 1.05)
        track.pose(t0, self.upright)
        track.oscillate(t0, t1, self.upright, self.rng.uniform(0.15, 0.28), f)
        track.oscillate(t0, t1, self.upright, self.rng.uniform(0.04, 0.08), 2 * f, phase=0.7)
        track.oscillate(t0, t1, self.forward, self.rng.uniform(0.05, 0.1), f, phase=1.3)
        track.oscillate(t0, t1, self.right, self.rng.uniform(0.04, 0.08), f / 2)
        track.sway(t0, t1, 2.0, 0.5)

    def stand(self, track: _Track, t0: float, t1: float) -> None:
        track.pose(t0, self.upright)
        track.sway(t0, t1, 1.5, 1.0)
        track.jiggle(t0, t1, 0.015)

    def sit(self, track: _Track, t0: float, t1: float) -> None:
        track.sway(t0, t1, 1.5, 2.0)
        track.jiggle(t0, t1, 0.01)

    def lie_still(self, track: _Track, t0: float, t1: float) -> None:
        up = track.keys[-1][1]
        track.oscillate(t0, t1, up, 0.005, self.rng.uniform(0.2, 0.3))  # breathing
        track.sway(t0, t1, 0.5, 3.0)

    def before(self, track: _Track, kind: str, t1: float) -> None:
        if kind == "walk":
            self.walk(track, 0.0, t1)
        elif kind == "sit":
            track.pose(0.0, self.seated())
            self.sit(track, 0.0, t1)
        else:
            self.stand(track, 0.0, t1)


class _Wrist:
    """A bracelet: the forearm turns a lot and never keeps still, even sitting."""

    noise = 0.012

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.cadence_hz = rng.uniform(1.4, 1.75)
        self.hanging = _jitter(np.array([-1.0, -0.15, 0.15]), rng, 10)

    def on_lap(self) -> np.ndarray:
        if self.rng.random() < 0.6:
            return _jitter(np.array([-0.25, 0.1, 0.95]), self.rng, 12)  # palm down
        return _jitter(np.array([-0.4, 0.8, 0.4]), self.rng, 12)  # thumb up

    def in_bed(self) -> np.ndarray:
        options = ([0.05, 0.1, 0.99], [0.1, 0.95, 0.2], [-0.1, -0.1, -0.98], [0.2, -0.9, 0.3])
        return _jitter(np.array(options[self.rng.integers(len(options))]), self.rng, 15)

    def walk(self, track: _Track, t0: float, t1: float) -> None:
        f = self.cadence_hz
        track.pose(t0, self.hanging)
        swing = np.cross(self.hanging, [0.0, 1.0, 0.0])
        # The arm swings once per two steps; the wrist also feels each heel strike.
        track.wobble[track.span(t0, t1)] += (
            math.radians(self.rng.uniform(12, 22))
            * np.sin(math.pi * f * (track.t[track.span(t0, t1)] - t0))[:, None]
            * _unit(swing)
        )
        track.oscillate(t0, t1, swing, self.rng.uniform(0.15, 0.3), f / 2)
        track.oscillate(t0, t1, self.hanging, self.rng.uniform(0.1, 0.2), f, phase=0.4)
        track.jiggle(t0, t1, 0.04)

    def stand(self, track: _Track, t0: float, t1: float) -> None:
        track.pose(t0, self.hanging)
        track.sway(t0, t1, 6, 0.8)
        track.jiggle(t0, t1, 0.03)

    def sit(self, track: _Track, t0: float, t1: float) -> None:
        track.sway(t0, t1, self.rng.uniform(5, 12), 0.7)
        track.jiggle(t0, t1, self.rng.uniform(0.03, 0.06))

    def lie_still(self, track: _Track, t0: float, t1: float) -> None:
        track.sway(t0, t1, 1.5, 2.0)
        track.jiggle(t0, t1, 0.008)

    def before(self, track: _Track, kind: str, t1: float) -> None:
        if kind == "walk":
            self.walk(track, 0.0, t1)
        elif kind == "sit":
            track.pose(0.0, self.on_lap())
            self.sit(track, 0.0, t1)
        else:
            self.stand(track, 0.0, t1)


Body = _Waist | _Wrist


def _fall(
    track: _Track, body: Body, event: float, gesture: Gesture, rng: np.random.Generator
) -> None:
    """Loss of balance, 0.2-0.5 s of free fall, an impact of 2.5-6 g, then lying at 70-90°."""
    free = rng.uniform(0.2, 0.5)
    loss = event - free - 0.25
    body.before(track, gesture.before, loss)
    start = track.keys[-1][1]
    if isinstance(body, _Waist):
        lying = body.lying(
            str(rng.choice(["front", "back", "right", "left"], p=[0.35, 0.25, 0.2, 0.2]))
        )
    else:
        lying = _jitter(_toward(start, rng.normal(size=3), rng.uniform(72, 95)), rng, 5)
    track.pose(loss, start)
    track.pose(event + 0.12, lying)
    track.bump(loss + 0.08, rng.normal(size=3), rng.uniform(0.3, 0.6), sigma=0.06)  # the stumble
    track.free_fall(event - free - 0.02, event - 0.02, rng.uniform(0.2, 0.5))
    floor = _unit(lying + 0.35 * rng.normal(size=3))
    peak = rng.uniform(2.5, 6.0) if isinstance(body, _Waist) else rng.uniform(3.0, 6.0)
    track.impact(event, floor, peak, sigma=rng.uniform(0.02, 0.035))
    track.ring(event + 0.04, lying, rng.uniform(0.3, 0.7), rng.uniform(5, 8), rng.uniform(0.1, 0.2))
    track.bump(
        event + rng.uniform(0.15, 0.35), rng.normal(size=3), rng.uniform(0.3, 0.9), sigma=0.04
    )
    track.sway(event, event + 1.5, 4, 0.2)
    end = track.t[-1] + 1 / track.rate
    if gesture.recover_after is None:
        body.lie_still(track, event + 1.0, end)
        for _ in range(rng.integers(0, 3)):  # a hand reaching out, a groan: nothing more
            track.bump(
                rng.uniform(event + 5, end), rng.normal(size=3), rng.uniform(0.04, 0.12), 0.3
            )
        return
    up_at = event + gesture.recover_after
    getting_up = min(rng.uniform(4, 8), gesture.recover_after - 3)
    body.lie_still(track, event + 1.0, up_at - getting_up)
    upright = body.upright if isinstance(body, _Waist) else body.hanging
    track.pose(up_at - getting_up, lying)
    track.pose(up_at - 0.45 * getting_up, _unit(lying + upright))  # on hands and knees
    track.pose(up_at, upright)
    track.sway(up_at - getting_up, up_at, 8, 0.4)
    track.jiggle(up_at - getting_up, up_at, 0.12, tau=0.15)
    for push in np.linspace(up_at - getting_up + 0.5, up_at - 0.3, 3):
        track.bump(push, upright, rng.uniform(0.2, 0.4), sigma=0.12)
    steady = up_at + rng.uniform(2, 4)
    body.stand(track, up_at, steady)
    body.walk(track, steady, end)


def _sit_hard(
    track: _Track, body: Body, event: float, gesture: Gesture, rng: np.random.Generator
) -> None:
    """Dropping onto a sofa or chair: a lurch down (no free fall), 1.5-2.5 g on the seat."""
    lower = event - 0.6
    body.before(track, gesture.before, lower)
    start = track.keys[-1][1]
    seated = body.seated() if isinstance(body, _Waist) else body.on_lap()
    track.pose(lower, start)
    track.pose(event + 0.3, seated)
    track.free_fall(lower, event - 0.1, rng.uniform(0.6, 0.8))
    if isinstance(body, _Waist):
        track.impact(event, seated, rng.uniform(1.5, 2.5), sigma=rng.uniform(0.05, 0.07))
        track.ring(event + 0.05, seated, rng.uniform(0.1, 0.25), 4, 0.15)
    else:
        track.impact(event, seated + 0.5 * rng.normal(size=3), rng.uniform(1.3, 2.2), sigma=0.05)
    body.sit(track, event + 0.5, track.t[-1] + 1)


def _lie_down(
    track: _Track, body: Body, event: float, gesture: Gesture, rng: np.random.Generator
) -> None:
    """Sitting on the bed, then lying back: a 75-90° turn in 1-2.5 s, no real impact."""
    turn = rng.uniform(1.2, 2.5)
    body.before(track, "sit", event - turn)
    start = track.keys[-1][1]
    lying = (
        body.lying(str(rng.choice(["back", "right", "left"])))
        if isinstance(body, _Waist)
        else body.in_bed()
    )
    track.pose(event - turn, start)
    track.pose(event, lying)
    track.bump(event - 0.2, lying, rng.uniform(0.15, 0.35), sigma=0.1)
    track.ring(event, lying, rng.uniform(0.08, 0.15), 3, 0.3)  # the mattress gives
    end = track.t[-1] + 1
    settle = event + rng.uniform(10, 30)
    body.lie_still(track, event + 0.5, end)
    track.sway(settle, settle + 2, 6, 0.4)  # pulling up the quilt


def _pick_up(
    track: _Track, body: Body, event: float, gesture: Gesture, rng: np.random.Generator
) -> None:
    """Bending to the floor and back up: the trunk tips 50-80° for a second or two."""
    body.before(track, gesture.before, event - 1.2)
    start = track.keys[-1][1]
    if isinstance(body, _Waist):
        bent = _toward(start, -body.forward, rng.uniform(50, 80))
        upright = body.upright
    else:
        bent = _toward(start, rng.normal(size=3), rng.uniform(30, 60))
        upright = body.hanging
    hold = rng.uniform(0.8, 2.0)
    track.pose(event - 1.2, start)
    track.pose(event, bent)
    track.pose(event + hold, bent)
    track.pose(event + hold + rng.uniform(1.0, 1.6), upright)
    track.bump(event - 0.6, -upright, rng.uniform(0.12, 0.25), sigma=0.15)
    track.bump(event + hold + 0.5, upright, rng.uniform(0.15, 0.3), sigma=0.15)
    track.jiggle(event - 0.3, event + hold, 0.05 if isinstance(body, _Waist) else 0.15)
    stood = event + hold + 1.6
    walk_from = stood + rng.uniform(3, 8)
    body.stand(track, stood, walk_from)
    body.walk(track, walk_from, track.t[-1] + 1)


def _wrist_bang(
    track: _Track, body: Body, event: float, gesture: Gesture, rng: np.random.Generator
) -> None:
    """A hand brought down on the table: a very short 2.5-5 g spike, orientation unchanged."""
    assert isinstance(body, _Wrist)
    table = _jitter(np.array([-0.25, 0.1, 0.95]), rng, 10)
    track.pose(0.0, table)
    body.sit(track, 0.0, event - 0.4)
    track.pose(event - 0.4, table)
    track.pose(
        event - 0.2, _toward(table, np.array([1.0, 0, 0]), rng.uniform(15, 30))
    )  # hand lifted
    track.pose(event, table)
    track.impact(event, table + 0.2 * rng.normal(size=3), rng.uniform(2.5, 5.0), sigma=0.012)
    track.ring(event + 0.02, table, rng.uniform(0.2, 0.4), 10, 0.05)
    body.sit(track, event + 0.3, track.t[-1] + 1)


def _clap(
    track: _Track, body: Body, event: float, gesture: Gesture, rng: np.random.Generator
) -> None:
    """Clapping along to the TV: 5-12 sharp 2-6 g spikes at 2-3 per second."""
    assert isinstance(body, _Wrist)
    body.before(track, "sit", event - 0.6)
    start = track.keys[-1][1]
    hands_up = _jitter(np.array([0.45, 0.85, 0.1]), rng, 12)
    track.pose(event - 0.6, start)
    track.pose(event - 0.1, hands_up)
    period = 1 / rng.uniform(2.0, 3.0)
    claps = int(rng.integers(5, 13))
    last = event + (claps - 1) * period
    palm = np.array([0.0, 1.0, 0.0])
    track.oscillate(event - period / 2, last + 0.05, palm, rng.uniform(0.5, 1.0), 1 / period)
    track.sway(event, last, 6, 0.3)
    for i in range(claps):
        track.impact(
            event + i * period, palm + 0.3 * rng.normal(size=3), rng.uniform(2.0, 6.0), sigma=0.012
        )
    track.pose(last + 0.3, hands_up)
    track.pose(last + 1.1, body.on_lap())
    body.sit(track, last + 1.1, track.t[-1] + 1)


_BUILDERS = {
    "fall": _fall,
    "fall_recovered": _fall,
    "sit_hard": _sit_hard,
    "lie_down": _lie_down,
    "pick_up": _pick_up,
    "wrist_bang": _wrist_bang,
    "clap": _clap,
}
