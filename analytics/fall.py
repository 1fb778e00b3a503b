"""Fall detection from a wearable accelerometer (belt/chest pendant or wrist bracelet).

A fall has a physical signature, and each stage gives one feature:

1. a **drop**: the body falls for a few tenths of a second before it lands, so |a| is off
   its resting value (partial free fall, or an arm flailing) in the second before the
   impact; the deepest dip is reported too (a clean free fall reads below ~0.6 g);
2. an **impact**: a peak of the signal vector magnitude |a| (g);
3. the impact **stands out** from what the wearer was doing just before (a fall while
   walking, not the 30th step of a jog or the 10th clap of a round of applause) and is not
   one of a **series** of comparable impacts around it (applause, hammering, knocking);
4. a **change of orientation**: the angle between the mean gravity direction in the seconds
   before the fall and the one after it. No absolute "up" is assumed, so any sensor
   mounting works; the trunk ends lying or slumped (>= ~30 degrees), the forearm on the
   floor (real wrist falls turn it >= 60 degrees; a hand knocking a table barely turns);
5. **relative stillness** afterwards: the median movement over the 1-5 s after impact, and
   the share of that time spent still.

Physical gates reject what cannot be a fall: moving on afterwards; for the trunk, too small
a turn; for the wrist, no drop before the impact (a hand brought down on a table), too small
a turn, or an impact that is one of a series with the arm not still afterwards (a round of
applause). A logistic combination of peak, turn, movement and standing-out scores what
passes. Its few fixed weights were derived once from public recordings (SisFall, UMAFall;
see ``eldercare.eval_falls``, which can refit them and cross-validate by subject); scoring
is kept apart from deciding, so a caller can read ``FallDetection.score`` or move the
threshold.

Every input rate (10-1000 Hz) is brought to one analysis rate (20 Hz, with a box-car
anti-alias filter when faster), so thresholds mean the same for a 20 Hz bracelet and a
200 Hz lab sensor. Impacts last 20-50 ms, less than an analysis step: they are read from
an impact channel holding the largest filtered |a| within each step, so a hit reads the same
whatever the sampling phase. Time comes only from the data. The detector is a pure library
object: batches can be split anywhere and the state saved and restored without changing a
result.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .errors import AnalyticsError

Placement = Literal["waist", "wrist", "chest"]
PLACEMENTS: tuple[str, ...] = ("waist", "wrist", "chest")

MIN_RATE_HZ = 10.0
MAX_RATE_HZ = 1000.0
_STATE_VERSION = 2  # 2: the impact channel (peak, carry)
_MOTION_FLOOR_G = 0.02  # sensor noise floor: below this, "stiller" means nothing


class FallDetectorError(AnalyticsError, ValueError):
    """Bad input or state for the fall detector; ``reason`` and the batch context say why."""

    def __init__(self, reason: str, *, t0: float | None = None, rate_hz: float | None = None):
        self.reason = reason
        self.t0 = t0
        self.rate_hz = rate_hz
        ctx = []
        if t0 is not None:
            ctx.append(f"t0={t0!r}")
        if rate_hz is not None:
            ctx.append(f"rate_hz={rate_hz!r}")
        super().__init__(f"{reason} ({', '.join(ctx)})" if ctx else reason, detector="fall")
        self.reason = reason


@dataclass(frozen=True)
class FallWeights:
    """Logistic weights: z = bias + peak*ln(peak g) + orientation*(deg/90)
    + motion*log10(motion g + 0.02) + prominence*ln(peak / max(1 g, earlier peak))."""

    bias: float
    peak: float
    orientation: float
    motion: float
    prominence: float

    def as_array(self) -> np.ndarray:
        return np.array([self.bias, self.peak, self.orientation, self.motion, self.prominence])


# Derived with ``eldercare.eval_falls.fit_weights`` (multiple-instance logistic regression:
# in a fall trial the best-scoring impact that passes the gates is the positive, every gated
# impact of a daily-activity trial a negative, classes balanced), on the impact channel and
# with the gates of ``FallConfig.for_placement``. Trunk: SisFall SA01/SA02/SE01/SE06 +
# UMAFall waist (9 subjects, 701 trials), rounded to one decimal; wrist: UMAFall wrist
# (5 subjects, 180 trials), two decimals. Across leave-one-subject-out folds the trunk
# weights moved by < 0.8, the wrist ones by < 0.9 (UMAFall has few wrist activities that
# pass the wrist gates, so those weights rest on few negatives).
# How to read them: on the trunk, turning 90 degrees counts as much as a 3.6x harder
# impact, and stillness afterwards little (the gate already demands it); on the wrist, once
# the gates have demanded a drop, a turn and no series, size and turn add almost nothing,
# stillness counts for most (lying still vs. a hand that goes on doing things), and an
# impact standing out from what the arm did just before for more than its size.
# Operating points: the wrist bias is the fitted balance point. The trunk bias sits ~0.3
# above it, in the middle of the gap above the training trials of rolling over in bed
# (SisFall D14): the soft falls it gives up are a judo expert's (SE06), while rolling over
# in bed, the false alarms it avoids, is what every resident does every night.
TRUNK_WEIGHTS = FallWeights(bias=-5.68, peak=2.1, orientation=2.7, motion=-1.0, prominence=1.0)
WRIST_WEIGHTS = FallWeights(bias=-7.07, peak=0.13, orientation=0.16, motion=-4.98, prominence=1.41)


@dataclass(frozen=True)
class FallConfig:
    """Thresholds and windows; every duration in seconds, every acceleration in g."""

    analysis_rate_hz: float = 20.0
    candidate_g: float = 1.4  # |a| peak worth examining (1 g is standing still)
    peak_window_s: float = 0.5  # an impact is the highest |a| within +-this
    free_fall_window_s: float = 1.0  # where to look for the free-fall dip (evidence only)
    reference_s: float = 6.0  # pre-fall posture: 1 s means from this far back ...
    reference_end_s: float = 1.0  # ... up to this long before the impact (before the fall)
    prominence_window_s: tuple[float, float] = (4.0, 1.0)  # "what was going on before"
    post_start_s: float = 1.0  # skip the bounce and the settling after the impact
    post_end_s: float = 5.0  # a decision is made this long after the impact
    block_s: float = 0.5  # stillness is measured per block, then the median taken
    min_post_s: float = 1.5  # at end of stream, less data than this cannot be judged
    max_post_motion_g: float = 0.2  # gate: moving more than this afterwards is not a fall
    min_orientation_deg: float = 0.0  # gate: trunk must turn at least this much
    min_prominence: float = -math.inf  # gate: ln(peak / largest |a| in the seconds before)
    pre_impact_window_s: tuple[float, float] = (1.0, 0.1)  # where to look for the drop
    pre_impact_g: float = 0.15  # |a| this far off its resting value counts as dropping
    min_pre_impact_s: float = 0.0  # gate: dropping at least this long before the impact
    series_window_s: float = 2.0  # a series: other impacts within +-this of the impact ...
    series_gap_s: float = 0.25  # ... at least this far from it (closer is its own bounce) ...
    series_ratio: float = 0.4  # ... and at least this fraction of its peak
    max_series: float = math.inf  # gate: this many such impacts make a series, not a fall ...
    series_still_fraction: float = 0.2  # ... unless at least this share of the after is still
    still_g: float = 0.05  # a 0.5 s stretch (block_s) this quiet counts as "still"
    weights: FallWeights = field(default_factory=lambda: TRUNK_WEIGHTS)
    threshold: float = 0.5  # on the probability-like score
    refractory_s: float = 10.0  # one fall, one detection: later bounces are the same event
    max_bridge_s: float = 1.0  # gaps up to this are interpolated; longer ones end a segment

    def __post_init__(self) -> None:
        if not self.analysis_rate_hz > 0:
            raise FallDetectorError("analysis_rate_hz must be positive")
        if not 0 < self.post_start_s < self.post_end_s:
            raise FallDetectorError("need 0 < post_start_s < post_end_s")
        if not self.reference_s > self.reference_end_s + self.block_s:
            raise FallDetectorError("reference_s must exceed reference_end_s + block_s")
        if not 0 < self.threshold < 1:
            raise FallDetectorError("threshold is a probability, strictly between 0 and 1")
        for name in ("post_start_s", "post_end_s", "block_s", "reference_s", "reference_end_s"):
            steps = getattr(self, name) * self.analysis_rate_hz
            if abs(steps - round(steps)) > 1e-9:
                raise FallDetectorError(f"{name} must be a whole number of analysis samples")

    @classmethod
    def for_placement(cls, placement: Placement, **overrides: Any) -> FallConfig:
        """Defaults for where the sensor sits; keyword overrides win."""
        if placement not in PLACEMENTS:
            raise FallDetectorError(f"unknown placement {placement!r}, expected {PLACEMENTS}")
        if placement == "wrist":
            # A hand also claps, hammers and bangs on tables. A fall at the wrist is a drop
            # (|a| off rest for >= 0.1 s in the second before; real falls >= 0.2 s, a hand
            # brought down on a table hardly any), a hit at least ~1.35x harder than
            # anything in the seconds before, a forearm that ends elsewhere (>= 20 degrees;
            # real falls >= 60, a knock on the table barely turns it), and not one of a run
            # of >= 4 comparable hits within +-2 s (applause) unless the arm then lies still
            # for a fifth of the time (real falls with bounces and flails: >= a third).
            base = cls(
                weights=WRIST_WEIGHTS,
                min_orientation_deg=20.0,
                min_prominence=0.3,
                min_pre_impact_s=0.1,
                max_series=3,
            )
        else:
            # The trunk ends lying or slumped; an upright trunk after a hard landing is a
            # jump, a stumble or a heavy sit-down.
            base = cls(weights=TRUNK_WEIGHTS, min_orientation_deg=30.0)
        return replace(base, **overrides)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["prominence_window_s"] = list(self.prominence_window_s)
        d["pre_impact_window_s"] = list(self.pre_impact_window_s)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FallConfig:
        d = dict(d)
        d["weights"] = FallWeights(**d["weights"])
        d["prominence_window_s"] = tuple(d["prominence_window_s"])
        if "pre_impact_window_s" in d:
            d["pre_impact_window_s"] = tuple(d["pre_impact_window_s"])
        return cls(**d)


@dataclass(frozen=True)
class FallDetection:
    ts: float  # event time (epoch seconds) of the impact
    placement: str
    score: float  # 0..1, compared with FallConfig.threshold
    evidence: dict[str, float]  # plain numbers, see FallDetector._evidence

    def summary(self) -> str:
        """One line for a dispatcher: why the detector thinks this was a fall."""
        e = self.evidence
        return (
            f"impact {e['peak_g']:.1f} g, turned {e['orientation_change_deg']:.0f} deg, "
            f"still {e['still_s']:.1f} of {e['post_window_s']:.1f} s after (score {self.score:.2f})"
        )


# --- features ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Steps:
    """Config durations in analysis samples."""

    peak: int
    free_fall: int
    ref_start: int
    ref_end: int
    prom_start: int
    prom_end: int
    pre_start: int
    pre_end: int
    series: int
    series_gap: int
    post_start: int
    post_end: int
    block: int
    min_post: int

    @classmethod
    def of(cls, c: FallConfig) -> _Steps:
        r = c.analysis_rate_hz

        def n(s: float) -> int:
            return round(s * r)

        return cls(
            peak=max(1, n(c.peak_window_s)),
            free_fall=n(c.free_fall_window_s),
            ref_start=n(c.reference_s),
            ref_end=n(c.reference_end_s),
            prom_start=n(c.prominence_window_s[0]),
            prom_end=n(c.prominence_window_s[1]),
            pre_start=n(c.pre_impact_window_s[0]),
            pre_end=max(1, n(c.pre_impact_window_s[1])),
            series=n(c.series_window_s),
            series_gap=max(1, n(c.series_gap_s)),
            post_start=n(c.post_start_s),
            post_end=n(c.post_end_s),
            block=max(1, n(c.block_s)),
            min_post=n(c.min_post_s),
        )

    @property
    def history(self) -> int:
        # how far before a not-yet-decided impact the windows reach
        return max(
            self.ref_start,
            self.prom_start,
            self.pre_start,
            self.series + 1,
            self.free_fall,
            self.peak,
        )


def _gather(buf: np.ndarray, k0: int, k_end: int, starts: np.ndarray, length: int):
    """Rows [start, start+length) of the stream for each start, with a validity mask.

    Windows are gathered (not prefix-summed) so a value depends only on the samples in it,
    never on where the buffer happened to begin: that keeps batch splits bit-identical.
    """
    idx = starts[:, None] + np.arange(length)[None, :]
    valid = (idx >= k0) & (idx < k_end)
    vals = buf[np.clip(idx - k0, 0, len(buf) - 1)]
    return vals, valid


def _masked_median(vals: np.ndarray, ok: np.ndarray, default: float) -> np.ndarray:
    """Row medians of ``vals`` over the entries where ``ok``; ``default`` for empty rows."""
    n_ok = ok.sum(axis=1)
    srt = np.sort(np.where(ok, vals, np.inf), axis=1)
    last = vals.shape[1] - 1
    rows = np.arange(len(vals))
    lo = srt[rows, np.clip((n_ok - 1) // 2, 0, last)]
    hi = srt[rows, np.clip(n_ok // 2, 0, last)]
    return np.where(n_ok > 0, 0.5 * (lo + hi), default)


FEATURE_NAMES = ("ln_peak", "orientation_90", "log_motion", "prominence")


def candidate_features(
    buf: np.ndarray,
    k0: int,
    k_end: int,
    impacts: np.ndarray,
    config: FallConfig,
    peak_mag: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Features of impacts at analysis-sample indices ``impacts`` of a stream held in ``buf``
    (sample k at ``buf[k - k0]``, known up to ``k_end``; ``peak_mag`` is the detector's
    impact channel, |buf| if not given). Vectorised over impacts."""
    st = _Steps.of(config)
    mag = np.linalg.norm(buf, axis=1)
    hit = mag if peak_mag is None else peak_mag
    pos = impacts - k0
    peak = hit[pos]

    ff_vals, ff_ok = _gather(mag[:, None], k0, k_end, impacts - st.free_fall, st.free_fall + 1)
    free_fall = np.where(ff_ok, ff_vals[..., 0], np.inf).min(axis=1)

    # After the impact: mean posture, and movement as the median of per-block spreads.
    n_blocks = (st.post_end - st.post_start) // st.block
    post, post_ok = _gather(buf, k0, k_end, impacts + st.post_start, n_blocks * st.block)
    post_b = post.reshape(len(impacts), n_blocks, st.block, 3)
    block_ok = post_ok.reshape(len(impacts), n_blocks, st.block).all(axis=2)
    block_sd = np.sqrt(post_b.var(axis=2).sum(axis=2))
    n_ok = block_ok.sum(axis=1)
    motion = _masked_median(block_sd, block_ok, default=np.inf)  # median of complete blocks
    w = block_ok[:, :, None, None]
    post_mean = (post_b * w).sum(axis=(1, 2)) / np.maximum(n_ok * st.block, 1)[:, None]
    still_s = (block_ok & (block_sd < config.still_g)).sum(axis=1) * config.block_s
    # The same, from a block-long window slid one sample at a time: a share of the whole
    # after that does not jump by a block when the sampling phase moves by one sample.
    slid = sliding_window_view(post, st.block, axis=1)  # (impacts, positions, 3, block)
    slid_ok = sliding_window_view(post_ok, st.block, axis=1).all(axis=2)
    slid_still = slid_ok & (np.sqrt(slid.var(axis=3).sum(axis=2)) < config.still_g)
    still_fraction = slid_still.sum(axis=1) / np.maximum(slid_ok.sum(axis=1), 1)

    # Before the fall: 1 s mean postures every half second; the largest turn to the final
    # posture counts (a faint slumps for seconds before the impact, so "just before" can
    # already be half-way down).
    n_half = (st.ref_start - st.ref_end) // st.block
    pre, pre_ok = _gather(buf, k0, k_end, impacts - st.ref_start, n_half * st.block)
    half_ok = pre_ok.reshape(len(impacts), n_half, st.block).all(axis=2)
    half_sum = pre.reshape(len(impacts), n_half, st.block, 3).sum(axis=2) * half_ok[..., None]
    ref_sum = half_sum[:, :-1] + half_sum[:, 1:]
    ref_ok = half_ok[:, :-1] | half_ok[:, 1:]
    dot = (ref_sum * post_mean[:, None, :]).sum(axis=2)
    norms = np.linalg.norm(ref_sum, axis=2) * np.linalg.norm(post_mean, axis=1)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.clip(dot / norms, -1.0, 1.0)
    ang = np.where(ref_ok & (norms > 0), np.degrees(np.arccos(cos)), -1.0).max(axis=1)
    orientation = np.maximum(ang, 0.0)

    pr_vals, pr_ok = _gather(
        hit[:, None], k0, k_end, impacts - st.prom_start, st.prom_start - st.prom_end
    )
    before = np.where(pr_ok, pr_vals[..., 0], 1.0).max(axis=1)
    prominence = np.log(peak / np.maximum(before, 1.0))

    # The drop: in the second before the impact, how long |a| was off its resting value
    # (median over the pre-fall reference period). A body falling leaves the wrist in partial
    # free fall or flailing for a few tenths of a second; a hand brought down on a table, a
    # forearm swung for a clap, is on its support or barely off it until the impact. The last
    # sample before the impact is left out: it can already hold the impact's rising edge.
    rest_vals, rest_ok = _gather(
        mag[:, None], k0, k_end, impacts - st.ref_start, st.ref_start - st.ref_end
    )
    rest = _masked_median(rest_vals[..., 0], rest_ok, default=1.0)
    dr_vals, dr_ok = _gather(
        mag[:, None], k0, k_end, impacts - st.pre_start, st.pre_start - st.pre_end + 1
    )
    off = dr_ok & (np.abs(dr_vals[..., 0] - rest[:, None]) > config.pre_impact_g)
    pre_impact_s = off.sum(axis=1) / config.analysis_rate_hz

    # A series: applause, hammering, knocking again and again, jogging steps are runs of
    # impacts of comparable size a fraction of a second apart; a fall is one hit and its
    # bounces. Count the local maxima of the impact channel within +-series_window_s, at
    # least series_gap_s away and at least series_ratio of this impact's peak.
    sr_vals, sr_ok = _gather(hit[:, None], k0, k_end, impacts - st.series - 1, 2 * st.series + 3)
    sr = np.where(sr_ok, sr_vals[..., 0], -np.inf)
    mid = sr[:, 1:-1]
    local_max = (mid > sr[:, :-2]) & (mid >= sr[:, 2:])
    offset = np.abs(np.arange(-st.series, st.series + 1))
    comparable = mid >= np.maximum(config.candidate_g, config.series_ratio * peak)[:, None]
    series_impacts = (local_max & comparable & (offset >= st.series_gap)[None, :]).sum(axis=1)

    return {
        "peak_g": peak,
        "free_fall_min_g": free_fall,
        "orientation_change_deg": orientation,
        "post_motion_g": motion,
        "prior_peak_g": np.maximum(before, 1.0),
        "prominence": prominence,
        "pre_impact_s": pre_impact_s,
        "series_impacts": series_impacts.astype(float),
        "still_fraction": still_fraction,
        "still_s": still_s.astype(float),
        "post_window_s": n_ok * st.block / config.analysis_rate_hz,
        "judgeable": (np.minimum(k_end, impacts + st.post_end) - impacts >= st.min_post)
        & (n_ok > 0),
    }


def feature_matrix(f: dict[str, np.ndarray]) -> np.ndarray:
    """The scored features, columns in FEATURE_NAMES order."""
    return np.column_stack(
        [
            np.log(f["peak_g"]),
            f["orientation_change_deg"] / 90.0,
            np.log10(f["post_motion_g"] + _MOTION_FLOOR_G),
            f["prominence"],
        ]
    )


def score_features(f: dict[str, np.ndarray], weights: FallWeights) -> np.ndarray:
    w = weights.as_array()
    z = w[0] + feature_matrix(f) @ w[1:]
    return 1.0 / (1.0 + np.exp(-z))


def passes_gates(f: dict[str, np.ndarray], config: FallConfig) -> np.ndarray:
    return (
        f["judgeable"]
        & (f["post_motion_g"] <= config.max_post_motion_g)
        & (f["orientation_change_deg"] >= config.min_orientation_deg)
        & (f["prominence"] >= config.min_prominence)
        & (f["pre_impact_s"] >= config.min_pre_impact_s - 1e-9)
        & (
            (f["series_impacts"] < config.max_series)
            | (f["still_fraction"] >= config.series_still_fraction)
        )
    )


# --- the streaming detector ----------------------------------------------------------------


class FallDetector:
    """Streaming fall detector for one wearable.

    Feed it batches of (n, 3) accelerometer samples in g, in time order; it returns the falls
    it has decided, about ``post_end_s`` (5 s) after each impact, and ``flush()`` decides
    what is still pending when the stream ends.

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

    def __init__(self, placement: Placement = "waist", config: FallConfig | None = None):
        if placement not in PLACEMENTS:
            raise FallDetectorError(f"unknown placement {placement!r}, expected {PLACEMENTS}")
        self.placement: str = placement
        self.config = config if config is not None else FallConfig.for_placement(placement)
        self._steps = _Steps.of(self.config)
        self._feature_log: list[tuple[np.ndarray, dict[str, np.ndarray]]] | None = None
        self._last_fall_ts: float | None = None
        self._reset_stream()

    # -- resampling onto the analysis grid (sample k is at time k / analysis_rate_hz) --

    def _reset_stream(self) -> None:
        self._seg_rate: float | None = None  # input rate of the current contiguous segment
        self._seg_t0 = 0.0
        self._seg_n = 0  # input samples seen in the segment
        self._tail = np.zeros((0, 3))  # last raw samples, for the anti-alias filter
        self._last_pt: tuple[float, np.ndarray] | None = None  # last filtered point
        self._next_k: int | None = None
        self._buf = np.zeros((0, 3))
        self._peak = np.zeros(0)  # per analysis sample: the largest filtered |a| in its step
        self._carry = 0.0  # largest filtered |a| seen after the last analysis sample
        self._k0 = 0
        self._scan_k: int | None = None  # impacts before this index have been looked for
        self._pending: list[int] = []

    def update(self, t0: float, rate_hz: float, samples: np.ndarray) -> list[FallDetection]:
        """Feed a batch of accelerometer samples (shape (n,3), in g) whose first sample is at
        t0 (epoch s), uniformly at rate_hz. Batches arrive in order, of any size, possibly
        with gaps between them. Returns falls decided in this batch; the same detections
        come out whatever the batch split."""
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
        self._resample(x, rate_hz)
        out += self._process(final=False)
        return out

    def flush(self) -> list[FallDetection]:
        """End of stream: decide what is pending (e.g. a trial ending 2 s after an impact)."""
        out = self._process(final=True)
        last_fall = self._last_fall_ts
        self._reset_stream()
        self._last_fall_ts = last_fall
        return out

    def _start_or_continue(self, t0: float, rate: float) -> list[FallDetection]:
        if self._seg_rate is not None:
            expected = self._seg_t0 + self._seg_n / self._seg_rate
            if rate == self._seg_rate and abs(t0 - expected) <= 0.5 / rate:
                return []  # contiguous: keep the segment's own clock, so splits can't drift
            last_t = expected - 1.0 / self._seg_rate
            if t0 <= last_t:
                raise FallDetectorError(
                    f"batch starts before the previous one ended (at {last_t!r})",
                    t0=t0,
                    rate_hz=rate,
                )
            if t0 - last_t > self.config.max_bridge_s:
                out = self.flush()  # a long gap ends the stream; decide on what we have
                self._new_segment(t0, rate)
                return out
        self._new_segment(t0, rate)
        return []

    def _new_segment(self, t0: float, rate: float) -> None:
        self._seg_rate, self._seg_t0, self._seg_n = rate, t0, 0
        self._tail = np.zeros((0, 3))

    def _resample(self, x: np.ndarray, rate: float) -> None:
        r = self.config.analysis_rate_hz
        m = max(1, round(rate / r))  # box-car width: a cheap anti-alias filter
        raw = np.vstack([self._tail, x]) if len(self._tail) else x
        first_raw = self._seg_n - len(self._tail)
        self._seg_n += len(x)
        self._tail = raw[len(raw) - (m - 1) :] if m > 1 else np.zeros((0, 3))
        if len(raw) < m:
            return
        filt = sliding_window_view(raw, m, axis=0).mean(axis=2) if m > 1 else raw
        # filtered output j averages raw samples first_raw+j .. first_raw+j+m-1
        idx = first_raw + np.arange(len(filt)) + (m - 1) / 2.0
        times = self._seg_t0 + idx / rate
        fresh_t, fresh_mag = times, np.linalg.norm(filt, axis=1)
        if self._last_pt is not None:
            times = np.concatenate([[self._last_pt[0]], times])
            filt = np.vstack([self._last_pt[1][None, :], filt])
        k_first = self._next_k if self._next_k is not None else math.ceil(times[0] * r)
        k_last = math.floor(times[-1] * r)
        self._last_pt = (float(times[-1]), filt[-1].copy())
        if k_last < k_first:
            self._carry = max(self._carry, float(fresh_mag.max()))
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
        peak[0] = max(peak[0], self._carry)
        self._carry = float(fresh_mag[~inside].max(initial=0.0))
        if self._next_k is None:
            self._k0 = k_first
            self._scan_k = k_first
            self._buf = new
            self._peak = peak
        else:
            self._buf = np.vstack([self._buf, new])
            self._peak = np.concatenate([self._peak, peak])
        self._next_k = k_last + 1

    # -- finding and deciding impacts --

    def _process(self, final: bool) -> list[FallDetection]:
        if self._scan_k is None or len(self._buf) == 0:
            return []
        st, k0 = self._steps, self._k0
        k_end = k0 + len(self._buf)
        mag = self._peak
        scan_to = k_end if final else k_end - st.peak
        if scan_to > self._scan_k:
            self._pending += self._find_impacts(mag, self._scan_k, scan_to)
            self._scan_k = scan_to
        ready = [k for k in self._pending if final or k + st.post_end <= k_end]
        out: list[FallDetection] = []
        if ready:
            self._pending = self._pending[len(ready) :]  # pending is in time order
            out = self._decide(np.array(ready, dtype=np.int64), k_end)
        keep_from = min([self._scan_k, *self._pending]) - st.history - st.peak
        if keep_from > k0:
            self._buf = self._buf[keep_from - k0 :]
            self._peak = self._peak[keep_from - k0 :]
            self._k0 = keep_from
        return out

    def _find_impacts(self, mag: np.ndarray, lo: int, hi: int) -> list[int]:
        """Local |a| maxima above candidate_g in [lo, hi): strictly above the preceding
        ``peak_window_s`` and not below the following one (so ties go to the first)."""
        L, k0 = self._steps.peak, self._k0
        seg = mag[lo - k0 : hi - k0]
        hits = np.flatnonzero(seg >= self.config.candidate_g) + lo
        if len(hits) == 0:
            return []
        padded = np.concatenate([np.full(L, -np.inf), mag, np.full(L, -np.inf)])
        win = sliding_window_view(padded, 2 * L + 1)[hits - k0]  # centred on each hit
        centre = win[:, L]
        ok = (centre > win[:, :L].max(axis=1)) & (centre >= win[:, L + 1 :].max(axis=1))
        return [int(k) for k in hits[ok]]

    def _decide(self, impacts: np.ndarray, k_end: int) -> list[FallDetection]:
        f = candidate_features(self._buf, self._k0, k_end, impacts, self.config, self._peak)
        if self._feature_log is not None:
            self._feature_log.append((impacts / self.config.analysis_rate_hz, f))
        score = score_features(f, self.config.weights)
        fire = passes_gates(f, self.config) & (score >= self.config.threshold)
        out = []
        for j in np.flatnonzero(fire):
            ts = float(impacts[j]) / self.config.analysis_rate_hz
            if (
                self._last_fall_ts is not None
                and ts - self._last_fall_ts < self.config.refractory_s
            ):
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

    def _evidence(self, f: dict[str, np.ndarray], j: int, ts: float) -> dict[str, float]:
        def r(key: str, nd: int = 3) -> float:
            return round(float(f[key][j]), nd)

        return {
            "impact_ts": ts,
            "peak_g": r("peak_g", 2),
            "free_fall_min_g": r("free_fall_min_g", 2),
            "orientation_change_deg": r("orientation_change_deg", 1),
            "post_motion_g": r("post_motion_g"),
            "still_s": r("still_s", 1),
            "post_window_s": r("post_window_s", 1),
            "prior_peak_g": r("prior_peak_g", 2),
            "pre_impact_s": r("pre_impact_s", 2),
            "series_impacts": int(f["series_impacts"][j]),
            "rate_hz": float(self._seg_rate or 0.0),
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
            "seg_rate": self._seg_rate,
            "seg_t0": self._seg_t0,
            "seg_n": self._seg_n,
            "tail": self._tail.tolist(),
            "last_pt": None
            if self._last_pt is None
            else [self._last_pt[0], self._last_pt[1].tolist()],
            "next_k": self._next_k,
            "k0": self._k0,
            "buf": self._buf.tolist(),
            "peak": self._peak.tolist(),
            "carry": self._carry,
            "scan_k": self._scan_k,
            "pending": list(self._pending),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> FallDetector:
        """A detector that continues exactly where the one that saved ``state`` stopped."""
        if state.get("version") not in (1, _STATE_VERSION):
            raise FallDetectorError(
                f"unsupported fall detector state version {state.get('version')!r}"
            )
        try:
            det = cls(state["placement"], FallConfig.from_dict(state["config"]))
            det._last_fall_ts = state["last_fall_ts"]
            det._seg_rate = state["seg_rate"]
            det._seg_t0 = float(state["seg_t0"])
            det._seg_n = int(state["seg_n"])
            det._tail = np.array(state["tail"], dtype=np.float64).reshape(-1, 3)
            lp = state["last_pt"]
            det._last_pt = None if lp is None else (float(lp[0]), np.array(lp[1], dtype=np.float64))
            det._next_k = state["next_k"]
            det._k0 = int(state["k0"])
            det._buf = np.array(state["buf"], dtype=np.float64).reshape(-1, 3)
            if state["version"] == 1:  # before the impact channel: rebuild it from buf
                det._peak, det._carry = np.linalg.norm(det._buf, axis=1), 0.0
            else:
                det._peak = np.array(state["peak"], dtype=np.float64).reshape(-1)
                det._carry = float(state["carry"])
            if len(det._peak) != len(det._buf):
                raise ValueError("peak and buf lengths differ")
            det._scan_k = state["scan_k"]
            det._pending = [int(k) for k in state["pending"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise FallDetectorError(f"corrupt fall detector state: {exc}") from exc
        return det


def recording_candidates(
    t0: float,
    rate_hz: float,
    samples: np.ndarray,
    placement: Placement = "waist",
    config: FallConfig | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Every impact a detector would examine in one recording, with its features.

    For fitting and studying the scorer (eldercare.eval_falls); runs the same code as
    FallDetector, so what is fitted is what is deployed.
    """
    det = FallDetector(placement, config)
    det._feature_log = []
    det.update(t0, rate_hz, samples)
    det.flush()
    if not det._feature_log:
        return np.zeros(0), {}
    times = np.concatenate([t for t, _ in det._feature_log])
    keys = det._feature_log[0][1].keys()
    feats = {k: np.concatenate([f[k] for _, f in det._feature_log]) for k in keys}
    return times, feats
