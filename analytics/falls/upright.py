"""Her upright: the gravity direction a trunk sensor reads while she walks, learned from its
own stream.

The scored features are orientation-free, so they cannot tell lying from standing: a
pendant clipped upside down reads the same. But a trunk worn all day sees her walk, and
walking, the trunk is upright: over a stretch of steps the mean acceleration is gravity in
the sensor's own axes, however it is clipped or hangs. Against that direction the posture
before an impact says whether she was already lying (in bed, on a sofa) when it came, and
rolling over in bed is most of the trunk's false alarms (docs/falls.md, "Lying
already").

Steps are told from the stream alone: 2-s windows on the analysis grid whose |a| spreads
as steps do, at a step's cadence, and whose mean is about 1 g, three of them in a row
pointing the same way (a roll in bed turns; it does not walk on for 6 s). Windows sit at
fixed grid indices, so what is learned never depends on how the stream was cut into
batches.

A wrong upright is worse than none (an impact from standing would read as "lying
already"), so the upright is known only while it is sure: walking that points elsewhere
(the pendant clipped on another way) makes it unknown until a minute of such walking
teaches the new one; a day without walking, or the wearable taken off (``forget``),
forgets it. Unknown, the detector decides as without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .features import _angle_deg
from .grid import AnalysisGrid

HOUR = 3600.0


@dataclass(frozen=True)
class GaitSettings:
    window_s: float = 2.0
    # The spread (standard deviation) of |a| over a window of steps: from a slow walk at
    # the waist to a jog; quieter is standing or sitting, wilder is not steady steps.
    spread_g: tuple[float, float] = (0.08, 0.6)
    mean_g: tuple[float, float] = (0.85, 1.15)  # the window's mean vector: gravity, not a turn
    # Steps have a cadence: most of the swing of |a| is at 1-3.5 Hz, strongest there (a
    # vibrating bed or seat hums faster).
    cadence_hz: tuple[float, float] = (1.0, 3.5)
    cadence_share: float = 0.5
    run: int = 3  # windows in a row before a stretch counts as walking
    turn_deg: float = 20.0  # a window further than this from the run's first starts a new run
    memory: int = 30  # windows: how many the learned direction averages over
    known_after: int = 5  # windows of walking before her upright is known
    # Walking this far from the upright is the wearable worn another way: unknown until
    # ``relearn_after`` windows of such walking teach the new one.
    moved_deg: float = 40.0
    relearn_after: int = 30
    forget_after_s: float = 16 * HOUR  # without walking: a night in bed and more


def angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    """The angle between two directions, as the features measure a turn."""
    return float(_angle_deg(a[None, :], b[None, :])[0])


class _Direction:
    """A running mean direction (unit vector) over the last ``memory`` windows."""

    def __init__(self, memory: int, v: np.ndarray | None = None, count: int = 0):
        self.memory, self.v, self.count = memory, v, count

    def add(self, d: np.ndarray) -> None:
        self.count += 1
        if self.v is None:
            self.v = d
            return
        a = 1.0 / min(self.count, self.memory)
        v = (1.0 - a) * self.v + a * d
        self.v = v / np.linalg.norm(v)

    def state(self) -> dict[str, Any] | None:
        return None if self.v is None else {"v": self.v.tolist(), "count": self.count}

    @classmethod
    def load(cls, memory: int, state: dict[str, Any] | None) -> _Direction:
        if state is None:
            return cls(memory)
        return cls(memory, np.array(state["v"], dtype=np.float64).reshape(3), int(state["count"]))


class Upright:
    """Learns the direction of gravity while she walks from grid windows fed in time order."""

    def __init__(self, rate_hz: float, settings: GaitSettings | None = None):
        self.settings = settings or GaitSettings()
        self.rate_hz = rate_hz
        self.window = max(1, round(self.settings.window_s * rate_hz))
        self.upright = _Direction(self.settings.memory)
        self.elsewhere = _Direction(self.settings.memory)  # walking that disagrees with it
        self.walked_at: int | None = None  # grid index where she was last seen walking
        self.next_w: int | None = None  # the next window to look at: samples [w*L, (w+1)*L)
        self.run: list[np.ndarray] = []  # directions of the current run of step windows
        self.run_to: _Direction | None = None  # where the confirmed run is learned

    @property
    def walked(self) -> int:
        """Windows of walking her upright is learned from."""
        return self.upright.count

    def known_at(self, k: int) -> np.ndarray | None:
        """Her upright as known at grid index ``k``: None before she has been seen walking
        long enough, while her walking points elsewhere, or after a day without walking."""
        s = self.settings
        if self.upright.v is None or self.upright.count < s.known_after:
            return None
        if self.elsewhere.v is not None or self.walked_at is None:
            return None
        if (k - self.walked_at) / self.rate_hz > s.forget_after_s:
            return None
        return self.upright.v

    @property
    def needs_from(self) -> int | None:
        """The first grid sample of the window it will look at next (the stream must keep
        it), None before any."""
        return None if self.next_w is None else self.next_w * self.window

    def forget(self, seen_to: int) -> None:
        """The wearable was taken off: put back on, it may sit another way. The samples it
        has up to grid index ``seen_to`` and not looked at yet are the old way too."""
        self.upright = _Direction(self.settings.memory)
        self.elsewhere = _Direction(self.settings.memory)
        self.walked_at, self.run, self.run_to = None, [], None
        self.next_w = max(self.next_w or 0, -(-seen_to // self.window))

    def shift(self, seconds: float) -> None:
        """The stream's clock moved by ``seconds`` (a clock set back, then put right): when
        she last walked, on the new clock."""
        if self.walked_at is not None:
            self.walked_at += round(seconds * self.rate_hz)

    def carried(self) -> Upright:
        """What was learned, to start another stream with (a wearable worn all day)."""
        other = Upright(self.rate_hz, self.settings)
        other.load_state(self.state_dict())
        other.new_stream()
        return other

    def new_stream(self) -> None:
        """The stream ended (a long gap): the next windows start afresh, the upright stays."""
        self.next_w, self.run, self.run_to = None, [], None

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
            self.next_w, self.run, self.run_to = first, [], None  # a run cannot go on
        while (self.next_w + 1) * L <= upto:
            start = self.next_w * L - k0
            self._window(buf[start : start + L], (self.next_w + 1) * L)
            self.next_w += 1

    def _steps(self, samples: np.ndarray) -> np.ndarray | None:
        """The window's gravity direction if it holds steps (None if not, or samples lost)."""
        s = self.settings
        mean = samples.mean(axis=0)
        g = float(np.linalg.norm(mean))
        mag = np.linalg.norm(samples, axis=1)
        spread = float(mag.std())
        if not (s.spread_g[0] <= spread <= s.spread_g[1] and s.mean_g[0] <= g <= s.mean_g[1]):
            return None  # also a window with lost samples (NaN)
        power = np.abs(np.fft.rfft((mag - mag.mean()) * np.hanning(len(mag)))) ** 2
        power[0] = 0.0
        hz = np.fft.rfftfreq(len(mag), 1.0 / self.rate_hz)
        band = (hz >= s.cadence_hz[0]) & (hz <= s.cadence_hz[1])
        if not band[int(np.argmax(power))] or power[band].sum() < s.cadence_share * power.sum():
            return None
        return mean / g

    def _window(self, samples: np.ndarray, end: int) -> None:
        s = self.settings
        d = self._steps(samples)
        if d is None:
            self.run, self.run_to = [], None
            return
        if self.run and angle_deg(d, self.run[0]) > s.turn_deg:
            self.run, self.run_to = [], None
        self.run.append(d)
        if len(self.run) < s.run:
            return
        self.walked_at = end
        if self.run_to is None:  # a run of steps confirmed: whose is it?
            mean = np.sum(self.run, axis=0)
            agrees = self.upright.v is None or angle_deg(mean, self.upright.v) <= s.moved_deg
            if agrees:
                self.elsewhere = _Direction(s.memory)  # she walks as she did
            self.run_to = self.upright if agrees else self.elsewhere
            for v in self.run:
                self.run_to.add(v)
        else:
            self.run_to.add(d)
        if self.run_to is self.elsewhere and self.elsewhere.count >= s.relearn_after:
            # A minute of walking another way: the wearable sits another way now.
            self.upright, self.elsewhere = self.elsewhere, _Direction(s.memory)
            self.run_to = self.upright

    def state_dict(self) -> dict[str, Any]:
        return {
            "upright": self.upright.state(),
            "elsewhere": self.elsewhere.state(),
            "walked_at": self.walked_at,
            "next_w": self.next_w,
            "run": [v.tolist() for v in self.run],
            "run_to": (
                None
                if self.run_to is None
                else ("upright" if self.run_to is self.upright else "elsewhere")
            ),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        memory = self.settings.memory
        self.upright = _Direction.load(memory, state["upright"])
        self.elsewhere = _Direction.load(memory, state["elsewhere"])
        self.walked_at = state["walked_at"]
        self.next_w = state["next_w"]
        self.run = [np.array(v, dtype=np.float64).reshape(3) for v in state["run"]]
        self.run_to = {"upright": self.upright, "elsewhere": self.elsewhere, None: None}[
            state["run_to"]
        ]
