"""Fall detection from one wearable's accelerometer (belt/chest pendant or wrist bracelet).

Impacts (local peaks of |a| above ``candidate_g``) are found as batches arrive; each is
decided once its window after has passed (5 s on the trunk, 10 s at the wrist): physical
gates first (the body part must end turned; on the trunk, not moving on, and not lying
already by her upright learned from her walking), then the logistic scorer of ``model``.
Time comes only from the data; the detector is a pure library object: batches can be split
anywhere and the state saved and restored without changing a result.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .config import PLACEMENTS, FallConfig, FallDetectorError, Placement
from .features import Steps, candidate_features, passes_gates
from .grid import AnalysisGrid
from .model import score_features
from .upright import Upright

MIN_RATE_HZ = 10.0
MAX_RATE_HZ = 1000.0
# 2: the impact channel; 3: the four-feature model (same stream state); 4: her upright
_STATE_VERSION = 4

# Called with the impact times (s) and features of every batch of decided candidates.
CandidateObserver = Callable[[np.ndarray, dict[str, np.ndarray]], None]


@dataclass(frozen=True)
class FallDetection:
    ts: float  # event time (epoch seconds) of the impact
    placement: str
    score: float  # 0..1, compared with FallConfig.threshold
    evidence: dict[str, float | None]  # plain numbers, see FallDetector._evidence

    def summary(self) -> str:
        """One line for a dispatcher: why the detector thinks this was a fall."""
        e = self.evidence
        return (
            f"impact {e['peak_g']:.1f} g, turned {e['orientation_change_deg']:.0f} deg, "
            f"still {e['still_s']:.1f} of {e['post_window_s']:.1f} s after (score {self.score:.2f})"
        )


class FallDetector:
    """Streaming fall detector for one wearable.

    Feed it batches of (n, 3) accelerometer samples in g, in time order; it returns the falls
    it has decided, ``post_end_s`` after each impact, and ``flush()`` decides what is still
    pending when the stream ends.

    >>> import numpy as np
    >>> rate = 50.0
    >>> def still(vec, seconds):
    ...     return np.tile(vec, (int(seconds * rate), 1))
    >>> signal = np.vstack([
    ...     still([0.0, 0.0, 1.0], 8),    # standing: gravity along z
    ...     still([0.0, 0.0, 0.3], 0.4),  # free fall
    ...     still([0.0, 3.0, 3.0], 0.1),  # impact, about 4.2 g
    ...     still([1.0, 0.0, 0.0], 10),   # lying still: gravity along x
    ... ])
    >>> det = FallDetector("waist")
    >>> falls = det.update(1_700_000_000.0, rate, signal) + det.flush()
    >>> [(round(f.ts - 1_700_000_000.0, 2), round(f.evidence["peak_g"], 1)) for f in falls]
    [(8.45, 4.2)]
    >>> round(falls[0].evidence["orientation_change_deg"])
    90
    """

    def __init__(
        self,
        placement: Placement = "waist",
        config: FallConfig | None = None,
        observer: CandidateObserver | None = None,
        upright: Upright | None = None,
    ):
        if placement not in PLACEMENTS:
            raise FallDetectorError(f"unknown placement {placement!r}, expected {PLACEMENTS}")
        self.placement: str = placement
        self.config = config if config is not None else FallConfig.for_placement(placement)
        self.observer = observer  # sees every decided candidate: for fitting and studying
        self._steps = Steps.of(self.config)
        self._grid = AnalysisGrid(self.config.analysis_rate_hz)
        self._last_fall_ts: float | None = None
        self._scan_k: int | None = None  # impacts before this index have been looked for
        self._pending: list[int] = []
        # Her upright, learned from her walking, where the config has a gate for lying
        # already (the trunk); ``upright`` one learned before (a wearable worn all day).
        self.upright: Upright | None = None
        if self.config.lying_deg is not None:
            self.upright = upright or Upright(self.config.analysis_rate_hz)

    def update(self, t0: float, rate_hz: float, samples: np.ndarray) -> list[FallDetection]:
        """Feed a batch of accelerometer samples (shape (n,3), in g) whose first sample is at
        t0 (epoch s), uniformly at rate_hz. Batches arrive in order, of any size, possibly
        with gaps between them (over up to ``max_hole_s`` of lost samples the stream goes
        on, those samples unknown; a longer gap ends it). Returns falls decided in this
        batch; the same detections come out whatever the batch split."""
        x = np.asarray(samples, dtype=np.float64)
        t0, rate_hz = float(t0), float(rate_hz)
        if x.ndim != 2 or x.shape[1] != 3:
            raise FallDetectorError(f"samples must have shape (n, 3), got {x.shape}", t0=t0)
        if not MIN_RATE_HZ <= rate_hz <= MAX_RATE_HZ:
            raise FallDetectorError(
                f"rate must be {MIN_RATE_HZ:g}-{MAX_RATE_HZ:g} Hz", t0=t0, rate_hz=rate_hz
            )
        if not math.isfinite(t0):
            raise FallDetectorError("t0 must be a finite epoch time", t0=t0, rate_hz=rate_hz)
        if not np.isfinite(x).all():
            raise FallDetectorError("samples contain NaN or infinity", t0=t0, rate_hz=rate_hz)
        if len(x) == 0:
            return []
        out = self._start_or_continue(t0, rate_hz)
        self._grid.append(x, rate_hz)
        if self._scan_k is None and len(self._grid.buf):
            self._scan_k = self._grid.k0
        out += self._process(final=False)
        return out

    def accepts(self, t0: float) -> bool:
        """Whether a batch starting at ``t0`` can follow what the stream holds: it must start
        after the stream's last sample. Up to half a sample early it continues the stream (a
        device clock rounded to the millisecond), later than that it starts a new segment
        at its own time; one that starts at or before a sample already held (a message sent
        again, or late) cannot be spliced into the past, and ``update`` refuses it."""
        grid = self._grid
        return grid.seg_rate is None or t0 > grid.segment_end - 1.0 / grid.seg_rate

    def flush(self) -> list[FallDetection]:
        """End of stream: decide what is pending (e.g. a trial ending 2 s after an impact)."""
        out = self._process(final=True)
        if self.upright is not None:
            self.upright.learn(self._grid.buf, self._grid.k0, self._grid.k_end)
            self.upright.new_stream()
        self._grid.reset()
        self._scan_k, self._pending = None, []
        return out

    def taken_off(self) -> None:
        """The wearable was taken off: her upright is learned anew once it is back on (it
        may sit another way), from nothing it holds now."""
        if self.upright is not None:
            self.upright.forget(self._grid.k_end)

    def _start_or_continue(self, t0: float, rate: float) -> list[FallDetection]:
        grid = self._grid
        if grid.seg_rate is not None:
            if grid.continues(t0, rate):
                return []  # contiguous: keep the segment's own clock, so splits can't drift
            last_t = grid.segment_end - 1.0 / grid.seg_rate
            if not self.accepts(t0):
                raise FallDetectorError(
                    f"batch starts before the previous one ended (at {last_t!r})",
                    t0=t0,
                    rate_hz=rate,
                )
            if t0 - grid.segment_end > self.config.max_hole_s + 0.5 / rate:
                out = self.flush()  # a long gap ends the stream; decide on what we have
                self._grid.new_segment(t0, rate)
                return out
            # A short gap is interpolated; a few lost batches leave a hole of unknown
            # samples, and an impact before it is judged on what comes after it too.
            grid.new_segment(t0, rate, after_hole=t0 - last_t > self.config.max_bridge_s)
            return []
        grid.new_segment(t0, rate)
        return []

    # -- finding and deciding impacts --

    def _process(self, final: bool) -> list[FallDetection]:
        grid = self._grid
        if self._scan_k is None or len(grid.buf) == 0:
            return []
        st, k_end = self._steps, grid.k_end
        scan_to = k_end if final else k_end - st.peak
        if scan_to > self._scan_k:
            self._pending += self._find_impacts(self._scan_k, scan_to)
            self._scan_k = scan_to
        ready = [k for k in self._pending if final or k + st.post_end <= k_end]
        out: list[FallDetection] = []
        if ready:
            self._pending = self._pending[len(ready) :]  # pending is in time order
            out = self._decide(np.array(ready, dtype=np.int64))
        keep = min([self._scan_k, *self._pending]) - st.history - st.peak
        if self.upright is not None:
            # Every later impact is at least history after keep: what is learned before
            # its posture is the same whatever the batches. The window it has not looked
            # at yet stays.
            self.upright.learn(grid.buf, grid.k0, keep)
            if (needed := self.upright.needs_from) is not None:
                keep = min(keep, needed)
        grid.trim(keep)
        return out

    def _find_impacts(self, lo: int, hi: int) -> list[int]:
        """Local |a| maxima above candidate_g in [lo, hi): strictly above the preceding
        ``peak_window_s`` and not below the following one (so ties go to the first)."""
        L, k0, mag = self._steps.peak, self._grid.k0, self._grid.peak
        mag = np.where(np.isnan(mag), -np.inf, mag)  # a hole's samples peak at nothing
        seg = mag[lo - k0 : hi - k0]
        hits = np.flatnonzero(seg >= self.config.candidate_g) + lo
        if len(hits) == 0:
            return []
        padded = np.concatenate([np.full(L, -np.inf), mag, np.full(L, -np.inf)])
        win = sliding_window_view(padded, 2 * L + 1)[hits - k0]  # centred on each hit
        centre = win[:, L]
        ok = (centre > win[:, :L].max(axis=1)) & (centre >= win[:, L + 1 :].max(axis=1))
        return [int(k) for k in hits[ok]]

    def _decide(self, impacts: np.ndarray) -> list[FallDetection]:
        grid, cfg = self._grid, self.config
        f = candidate_features(
            grid.buf,
            grid.k0,
            grid.k_end,
            impacts,
            cfg,
            grid.peak,
            self._steps,
            self._uprights(impacts),
        )
        if self.observer is not None:
            self.observer(impacts / cfg.analysis_rate_hz, f)
        score = score_features(f, cfg.weights, cfg.max_scored_turn_deg)
        fire = passes_gates(f, cfg) & (score >= cfg.threshold)
        out = []
        for j in np.flatnonzero(fire):
            ts = float(impacts[j]) / cfg.analysis_rate_hz
            if self._last_fall_ts is not None and ts - self._last_fall_ts < cfg.refractory_s:
                continue
            self._last_fall_ts = ts
            out.append(
                FallDetection(
                    ts=ts,
                    placement=self.placement,
                    score=round(float(score[j]), 4),
                    evidence=self._evidence(f, j, ts),
                )
            )
        return out

    def _uprights(self, impacts: np.ndarray) -> np.ndarray | None:
        """Her upright as learned from the walking before each impact's posture before
        (a row of NaN where not known yet)."""
        if self.upright is None:
            return None
        rows = np.full((len(impacts), 3), np.nan)
        for j, k in enumerate(impacts):
            self.upright.learn(self._grid.buf, self._grid.k0, int(k) - self._steps.before_start)
            if (known := self.upright.known_at(int(k))) is not None:
                rows[j] = known
        return rows

    def _evidence(self, f: dict[str, np.ndarray], j: int, ts: float) -> dict[str, float | None]:
        def r(key: str, nd: int = 3) -> float:
            return round(float(f[key][j]), nd)

        return {
            "impact_ts": ts,
            "peak_g": r("peak_g", 2),
            "impulse_gs": r("impulse_gs"),
            "prior_peak_g": r("prior_peak_g", 2),
            "orientation_change_deg": r("orientation_change_deg", 1),
            "post_motion_g": r("post_motion_g"),
            "still_s": r("still_s", 1),
            "post_window_s": r("post_window_s", 1),
            "hits_after": int(f["hits_after"][j]),
            "free_fall_min_g": r("free_fall_min_g", 2),
            # None: her upright not known yet (or no such gate here)
            "from_upright_deg": (
                r("from_upright_deg", 1) if np.isfinite(f["from_upright_deg"][j]) else None
            ),
            "rate_hz": float(self._grid.seg_rate or 0.0),
            "analysis_rate_hz": self.config.analysis_rate_hz,
        }

    # -- persistence --

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue, as plain JSON types."""
        return {
            "version": _STATE_VERSION,
            "placement": self.placement,
            "config": self.config.to_dict(),
            "last_fall_ts": self._last_fall_ts,
            **self._grid.state_dict(),
            "scan_k": self._scan_k,
            "pending": list(self._pending),
            "upright": None if self.upright is None else self.upright.state_dict(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], config: FallConfig | None = None) -> FallDetector:
        """A detector that continues exactly where the one that saved ``state`` stopped.

        ``config`` replaces the saved one (a home restarting on a newer model keeps its
        buffered samples and decides with the new model); states saved by an older version,
        whose settings no longer exist, get the placement's current defaults.
        """
        version = state.get("version")
        if version not in (1, 2, 3, _STATE_VERSION):
            raise FallDetectorError(f"unsupported fall detector state version {version!r}")
        try:
            placement = state["placement"]
            if config is None and version >= 3:
                # Settings added since (release 3: the lying gate) as the placement has them.
                config = FallConfig.from_dict(
                    {**FallConfig.for_placement(placement).to_dict(), **state["config"]}
                )
            elif config is None:
                config = FallConfig.for_placement(placement)
            if config.analysis_rate_hz != state["config"]["analysis_rate_hz"]:
                raise ValueError("saved samples are on another analysis grid")
            det = cls(placement, config)
            det._last_fall_ts = state["last_fall_ts"]
            det._grid.load_state(state)
            det._scan_k = state["scan_k"]
            det._pending = [int(k) for k in state["pending"]]
            if det.upright is not None and state.get("upright") is not None:
                det.upright.load_state(state["upright"])
        except (KeyError, TypeError, ValueError) as exc:
            raise FallDetectorError(f"corrupt fall detector state: {exc}") from exc
        return det
