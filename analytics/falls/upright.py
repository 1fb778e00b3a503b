"""Her upright: the gravity direction a trunk sensor reads while she walks, learned from its
own stream.

The scored features are orientation-free, so they cannot tell lying from standing: a
pendant clipped upside down reads the same. But a trunk worn all day sees her walk, and
walking, the trunk is upright: over a stretch of steps the mean acceleration is gravity in
the sensor's own axes, however it is clipped or hangs. Against that direction the posture
before an impact says whether she was already lying (in bed, on a sofa) when it came, and
rolling over in bed is most of the trunk's false alarms (README, "Fall detector on real
recordings").

Steps are told from the stream alone: 2-s windows on the analysis grid whose |a| spreads
as steps do and whose mean is about 1 g, three of them in a row pointing the same way (a
roll in bed turns; it does not walk on for 6 s). Windows sit at fixed grid indices, so
what is learned never depends on how the stream was cut into batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .grid import AnalysisGrid


@dataclass(frozen=True)
class GaitSettings:
    window_s: float = 2.0
    # The spread (standard deviation) of |a| over a window of steps: from a slow walk at
    # the waist to a jog; quieter is standing or sitting, wilder is not steady steps.
    spread_g: tuple[float, float] = (0.08, 0.6)
    mean_g: tuple[float, float] = (0.85, 1.15)  # the window's mean vector: gravity, not a turn
    run: int = 3  # windows in a row before a stretch counts as walking
    turn_deg: float = 20.0  # a window further than this from the run's first starts a new run
    memory: int = 30  # windows: a sensor clipped on anew is learned again within a minute
    known_after: int = 5  # windows of walking before her upright is known


def angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    cos = float(a @ b) / float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


class Upright:
    """Learns the direction of gravity while she walks from grid windows fed in time order."""

    def __init__(self, rate_hz: float, settings: GaitSettings | None = None):
        self.settings = settings or GaitSettings()
        self.rate_hz = rate_hz
        self.window = max(1, round(self.settings.window_s * rate_hz))
        self.direction: np.ndarray | None = None  # unit vector, sensor axes
        self.walked = 0  # windows of walking learned from
        self.next_w: int | None = None  # the next window to look at: samples [w*L, (w+1)*L)
        self.run: list[np.ndarray] = []  # directions of the current run of step windows

    @property
    def known(self) -> np.ndarray | None:
        """Her upright, once she has been seen walking long enough; None before."""
        return self.direction if self.walked >= self.settings.known_after else None

    @property
    def needs_from(self) -> int | None:
        """The first grid sample of the window it will look at next (the stream must keep
        it), None before any."""
        return None if self.next_w is None else self.next_w * self.window

    def carried(self) -> Upright:
        """What was learned, to start another stream with (a wearable worn all day)."""
        other = Upright.__new__(Upright)
        other.settings, other.rate_hz, other.window = self.settings, self.rate_hz, self.window
        other.direction, other.walked = self.direction, self.walked
        other.next_w, other.run = None, []
        return other

    def new_stream(self) -> None:
        """The stream ended (a long gap): the next windows start afresh, the upright stays."""
        self.next_w, self.run = None, []

    def learn_recording(self, t0: float, rate_hz: float, samples: np.ndarray) -> None:
        """Learn from a whole recording (samples in g at ``rate_hz`` from ``t0``) as a stream
        of its own."""
        grid = AnalysisGrid(self.rate_hz)
        grid.new_segment(t0, rate_hz)
        grid.append(np.asarray(samples, dtype=np.float64), rate_hz)
        self.new_stream()
        self.learn(grid.buf, grid.k0, grid.k_end)
        self.new_stream()

    def learn(self, buf: np.ndarray, k0: int, upto: int) -> None:
        """Look at every window that ends at or before grid index ``upto``, in the samples
        ``buf`` (sample k at ``buf[k - k0]``)."""
        L = self.window
        first = -(-k0 // L)  # the first window wholly held
        if self.next_w is None or self.next_w < first:
            self.next_w, self.run = first, []  # its samples are gone: a run cannot go on
        while (self.next_w + 1) * L <= upto:
            start = self.next_w * L - k0
            self._window(buf[start : start + L])
            self.next_w += 1

    def _window(self, samples: np.ndarray) -> None:
        s = self.settings
        mean = samples.mean(axis=0)
        g = float(np.linalg.norm(mean))
        spread = float(np.linalg.norm(samples, axis=1).std())
        steps = s.spread_g[0] <= spread <= s.spread_g[1] and s.mean_g[0] <= g <= s.mean_g[1]
        if not steps:  # also a window with lost samples (NaN)
            self.run = []
            return
        d = mean / g
        if self.run and angle_deg(d, self.run[0]) > s.turn_deg:
            self.run = []
        self.run.append(d)
        if len(self.run) == s.run:
            for v in self.run:
                self._add(v)
        elif len(self.run) > s.run:
            self._add(d)

    def _add(self, d: np.ndarray) -> None:
        self.walked += 1
        if self.direction is None:
            self.direction = d
            return
        a = 1.0 / min(self.walked, self.settings.memory)
        v = (1.0 - a) * self.direction + a * d
        self.direction = v / np.linalg.norm(v)

    def state_dict(self) -> dict[str, Any]:
        return {
            "direction": None if self.direction is None else self.direction.tolist(),
            "walked": self.walked,
            "next_w": self.next_w,
            "run": [v.tolist() for v in self.run],
        }

    def load_state(self, state: dict[str, Any]) -> None:
        d = state["direction"]
        self.direction = None if d is None else np.array(d, dtype=np.float64).reshape(3)
        self.walked = int(state["walked"])
        self.next_w = state["next_w"]
        self.run = [np.array(v, dtype=np.float64).reshape(3) for v in state["run"]]
