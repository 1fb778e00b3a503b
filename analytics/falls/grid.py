"""A wearable's accelerometer stream brought onto one analysis grid, with its impact channel.

Every input rate (10-1000 Hz) is brought to one analysis rate (20 Hz, with a box-car
anti-alias filter when faster), so thresholds mean the same for a 20 Hz bracelet and a
200 Hz lab sensor: sample k of the grid is at time k / rate. Impacts last 20-50 ms, less than
an analysis step, so beside the resampled signal the grid keeps an impact channel holding
the largest filtered |a| within each step: a hit reads the same whatever the sampling phase.
Batches can be split anywhere; the state is plain JSON types. Where samples were lost (a
hole longer than the detector bridges), the grid samples are NaN: unknown, and left out of
every feature.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


class AnalysisGrid:
    """The samples of one contiguous segment on the grid; ``buf[k - k0]`` is sample k."""

    def __init__(self, rate_hz: float):
        self.rate_hz = rate_hz
        self.reset()

    def reset(self) -> None:
        self.seg_rate: float | None = None  # input rate of the current contiguous segment
        self.seg_t0 = 0.0
        self.seg_n = 0  # input samples seen in the segment
        self.tail = np.zeros((0, 3))  # last raw samples, for the anti-alias filter
        self.last_pt: tuple[float, np.ndarray] | None = None  # last filtered point
        self.next_k: int | None = None
        self.buf = np.zeros((0, 3))
        self.peak = np.zeros(0)  # per grid sample: the largest filtered |a| in its step
        self.carry = 0.0  # largest filtered |a| seen after the last grid sample
        self.k0 = 0

    @property
    def k_end(self) -> int:
        return self.k0 + len(self.buf)

    @property
    def segment_end(self) -> float:
        """When the next contiguous input sample is due."""
        assert self.seg_rate is not None
        return self.seg_t0 + self.seg_n / self.seg_rate

    def continues(self, t0: float, rate: float) -> bool:
        """Whether a batch at (t0, rate) carries on the segment without a gap."""
        return (
            self.seg_rate is not None
            and rate == self.seg_rate
            and abs(t0 - self.segment_end) <= 0.5 / rate
        )

    def new_segment(self, t0: float, rate: float, after_hole: bool = False) -> None:
        """A segment starting at ``t0``: after a short gap the grid interpolates across it;
        ``after_hole``, the grid samples up to ``t0`` are unknown (NaN) instead."""
        self.seg_rate, self.seg_t0, self.seg_n = rate, t0, 0
        self.tail = np.zeros((0, 3))
        if after_hole and self.last_pt is not None:
            # The largest |a| since the last grid sample goes to that sample: the next one
            # is in the hole.
            if len(self.peak):
                self.peak[-1] = max(self.peak[-1], self.carry)
            self.last_pt, self.carry = None, 0.0  # with next_k set: a hole until data comes

    def append(self, x: np.ndarray, rate: float) -> None:
        """Add contiguous input samples; the grid grows by the samples they complete."""
        r = self.rate_hz
        m = max(1, round(rate / r))  # box-car width: a cheap anti-alias filter
        raw = np.vstack([self.tail, x]) if len(self.tail) else x
        first_raw = self.seg_n - len(self.tail)
        self.seg_n += len(x)
        self.tail = raw[len(raw) - (m - 1) :] if m > 1 else np.zeros((0, 3))
        if len(raw) < m:
            return
        filt = sliding_window_view(raw, m, axis=0).mean(axis=2) if m > 1 else raw
        # filtered output j averages raw samples first_raw+j .. first_raw+j+m-1
        idx = first_raw + np.arange(len(filt)) + (m - 1) / 2.0
        times = self.seg_t0 + idx / rate
        fresh_t, fresh_mag = times, np.linalg.norm(filt, axis=1)
        if self.last_pt is None and self.next_k is not None:  # the first samples after a hole
            k_data = math.ceil(times[0] * r)
            if k_data > self.next_k:
                unknown = k_data - self.next_k
                self.buf = np.vstack([self.buf, np.full((unknown, 3), np.nan)])
                self.peak = np.concatenate([self.peak, np.full(unknown, np.nan)])
                self.next_k = k_data
        if self.last_pt is not None:
            times = np.concatenate([[self.last_pt[0]], times])
            filt = np.vstack([self.last_pt[1][None, :], filt])
        k_first = self.next_k if self.next_k is not None else math.ceil(times[0] * r)
        k_last = math.floor(times[-1] * r)
        self.last_pt = (float(times[-1]), filt[-1].copy())
        if k_last < k_first:
            self.carry = max(self.carry, float(fresh_mag.max()))
            return
        grid = np.arange(k_first, k_last + 1) / r
        new = np.column_stack([np.interp(grid, times, filt[:, a]) for a in range(3)])
        # The impact channel: sample k holds the largest filtered |a| in (t[k-1], t[k]], so
        # a 20-40 ms impact reads the same whatever the sampling phase (interpolation alone
        # can halve it), yet the box-car keeps it the same for every input rate.
        peak = np.linalg.norm(new, axis=1)
        step = np.searchsorted(grid, fresh_t, side="left")
        inside = step < len(grid)
        np.maximum.at(peak, step[inside], fresh_mag[inside])
        peak[0] = max(peak[0], self.carry)
        self.carry = float(fresh_mag[~inside].max(initial=0.0))
        if self.next_k is None:
            self.k0, self.buf, self.peak = k_first, new, peak
        else:
            self.buf = np.vstack([self.buf, new])
            self.peak = np.concatenate([self.peak, peak])
        self.next_k = k_last + 1

    def trim(self, keep_from: int) -> None:
        """Forget grid samples before index ``keep_from``."""
        if keep_from > self.k0:
            self.buf = self.buf[keep_from - self.k0 :]
            self.peak = self.peak[keep_from - self.k0 :]
            self.k0 = keep_from

    def state_dict(self) -> dict[str, Any]:
        return {
            "seg_rate": self.seg_rate,
            "seg_t0": self.seg_t0,
            "seg_n": self.seg_n,
            "tail": self.tail.tolist(),
            "last_pt": (
                None if self.last_pt is None else [self.last_pt[0], self.last_pt[1].tolist()]
            ),
            "next_k": self.next_k,
            "k0": self.k0,
            "buf": _json_floats(self.buf),
            "peak": _json_floats(self.peak),
            "carry": self.carry,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore ``state_dict``; a state saved before the impact channel rebuilds it."""
        self.seg_rate = state["seg_rate"]
        self.seg_t0 = float(state["seg_t0"])
        self.seg_n = int(state["seg_n"])
        self.tail = np.array(state["tail"], dtype=np.float64).reshape(-1, 3)
        lp = state["last_pt"]
        self.last_pt = None if lp is None else (float(lp[0]), np.array(lp[1], dtype=np.float64))
        self.next_k = state["next_k"]
        self.k0 = int(state["k0"])
        self.buf = np.array(state["buf"], dtype=np.float64).reshape(-1, 3)
        if "peak" in state:
            self.peak = np.array(state["peak"], dtype=np.float64).reshape(-1)
            self.carry = float(state["carry"])
        else:
            self.peak, self.carry = np.linalg.norm(self.buf, axis=1), 0.0
        if len(self.peak) != len(self.buf):
            raise ValueError("peak and buf lengths differ")


def _json_floats(values: np.ndarray) -> list[Any]:
    """``values`` as nested lists, the unknown samples of a hole (NaN) as None: strict JSON.
    ``np.array(..., dtype=np.float64)`` reads None back as NaN."""
    if not np.isnan(values).any():
        return values.tolist()
    return np.where(np.isnan(values), None, values).tolist()
