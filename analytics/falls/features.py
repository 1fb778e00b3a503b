"""What an impact looks like: the features of candidate impacts in a wearable's stream.

A fall has a physical signature, and each stage gives one number:

1. an **impact**: a local peak of |a|, and the area of |a| above 1 g around it (the
   ``impulse``, g s: the speed the body lost when it hit);
2. it **stands out** from what the wearer was doing just before (``prominence``: a fall
   while walking, not the 30th step of a jog or the 10th clap of a round of applause);
3. a **change of posture**: the angle between the gravity direction before the fall and
   the one after it. No absolute "up" is assumed, so any mounting works;
4. **stillness** afterwards: the median movement over the seconds after the impact;
5. not one of a **series** (at the wrist): clapping and knocking are runs of hits;
6. on the trunk, not **lying already**: the posture before, against her upright learned
   from her walking (``upright.py``), where it is known.

Everything is computed on the analysis grid (``AnalysisGrid``) and only from the samples
inside each window, so a value never depends on where a batch happened to begin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import FallConfig


@dataclass(frozen=True)
class Steps:
    """Config durations in analysis samples."""

    peak: int
    before_start: int
    before_end: int
    before_posture: int
    post_start: int
    post_end: int
    after_posture: int
    block: int
    prom_start: int
    prom_end: int
    impulse_before: int
    impulse_after: int
    series_start: int
    series_end: int
    free_fall: int
    min_post: int

    @classmethod
    def of(cls, c: FallConfig) -> Steps:
        r = c.analysis_rate_hz

        def n(s: float) -> int:
            return round(s * r)

        return cls(
            peak=max(1, n(c.peak_window_s)),
            before_start=n(c.before_window_s[0]),
            before_end=n(c.before_window_s[1]),
            before_posture=max(1, n(c.before_posture_s)),
            post_start=n(c.post_start_s),
            post_end=n(c.post_end_s),
            after_posture=max(1, n(c.after_posture_s)),
            block=max(1, n(c.block_s)),
            prom_start=n(c.prominence_window_s[0]),
            prom_end=n(c.prominence_window_s[1]),
            impulse_before=n(c.impulse_window_s[0]),
            impulse_after=n(c.impulse_window_s[1]),
            series_start=max(1, n(c.series_window_s[0])),
            series_end=n(c.series_window_s[1]),
            free_fall=n(c.free_fall_window_s),
            min_post=n(c.min_post_s),
        )

    @property
    def history(self) -> int:
        """How far before a not-yet-decided impact the windows reach."""
        return max(self.before_start, self.prom_start, self.impulse_before, self.free_fall) + 1


def _gather(
    buf: np.ndarray,
    k0: int,
    k_end: int,
    starts: np.ndarray,
    length: int,
    known: np.ndarray | None = None,
):
    """Rows [start, start+length) of the stream for each start, with a validity mask
    (sample k is at ``buf[k - k0]`` and known for k0 <= k < k_end, unless ``known`` says
    it was lost in a hole)."""
    rel = starts[:, None] - k0 + np.arange(length)[None, :]
    valid = (rel >= 0) & (rel < k_end - k0)
    at = np.minimum(np.maximum(rel, 0), len(buf) - 1)  # np.clip costs more, per call
    if known is not None:
        valid &= known[at]
    return buf[at], valid


def _masked_median(vals: np.ndarray, ok: np.ndarray, default: float) -> np.ndarray:
    """Row medians of ``vals`` over the entries where ``ok``; ``default`` for empty rows."""
    n_ok = ok.sum(axis=1)
    srt = np.sort(np.where(ok, vals, np.inf), axis=1)
    last = vals.shape[1] - 1
    rows = np.arange(len(vals))
    lo = srt[rows, np.clip((n_ok - 1) // 2, 0, last)]
    hi = srt[rows, np.clip(n_ok // 2, 0, last)]
    return np.where(n_ok > 0, 0.5 * (lo + hi), default)


def _posture(vals: np.ndarray, ok: np.ndarray, count: int, last: bool) -> np.ndarray:
    """Mean vector of the first (or last) ``count`` valid samples of each row; zero if none."""
    seen = np.cumsum(ok[:, ::-1] if last else ok, axis=1)
    take = ok & ((seen[:, ::-1] if last else seen) <= count)
    total = np.where(take[..., None], vals, 0.0).sum(axis=1)  # unknown samples are NaN
    return total / np.maximum(take.sum(axis=1), 1)[:, None]


def _angle_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.clip((a * b).sum(axis=1) / norms, -1.0, 1.0)
    return np.where(norms > 0, np.degrees(np.arccos(cos)), 0.0)


def candidate_features(
    buf: np.ndarray,
    k0: int,
    k_end: int,
    impacts: np.ndarray,
    config: FallConfig,
    peak_mag: np.ndarray | None = None,
    steps: Steps | None = None,
    uprights: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Features of impacts at analysis-sample indices ``impacts`` of a stream held in ``buf``
    (sample k at ``buf[k - k0]``, known up to ``k_end``; ``peak_mag`` is the impact
    channel, |buf| if not given; ``steps`` the config's, if already known; ``uprights``
    her upright as known at each impact, a row of NaN where it is not). Vectorised over
    impacts."""
    st = steps or Steps.of(config)
    lost = np.isnan(buf[:, 0])  # samples of a hole in the stream
    known = ~lost if lost.any() else None
    mag = np.linalg.norm(buf, axis=1)
    hit = mag if peak_mag is None else peak_mag
    peak = hit[impacts - k0]

    # After the impact: movement as the median of per-block spreads, and where it ends up.
    n_blocks = (st.post_end - st.post_start) // st.block
    post, post_ok = _gather(buf, k0, k_end, impacts + st.post_start, n_blocks * st.block, known)
    post_b = post.reshape(len(impacts), n_blocks, st.block, 3)
    block_ok = post_ok.reshape(len(impacts), n_blocks, st.block).all(axis=2)
    block_sd = np.sqrt(post_b.var(axis=2).sum(axis=2))
    n_ok = block_ok.sum(axis=1)
    motion = _masked_median(block_sd, block_ok, default=np.inf)
    still_s = (block_ok & (block_sd < config.still_g)).sum(axis=1) * config.block_s
    after = _posture(post, post_ok, st.after_posture, last=True)

    pre, pre_ok = _gather(
        buf, k0, k_end, impacts - st.before_start, st.before_start - st.before_end, known
    )
    before = _posture(pre, pre_ok, st.before_posture, last=False)
    orientation = _angle_deg(before, after)
    from_upright = np.full(len(impacts), np.nan)
    if uprights is not None:
        known_up = ~np.isnan(uprights).any(axis=1) & (np.linalg.norm(before, axis=1) > 0)
        from_upright[known_up] = _angle_deg(before[known_up], uprights[known_up])

    pr_vals, pr_ok = _gather(
        hit[:, None], k0, k_end, impacts - st.prom_start, st.prom_start - st.prom_end, known
    )
    prior = np.maximum(np.where(pr_ok, pr_vals[..., 0], 1.0).max(axis=1), 1.0)

    im_vals, im_ok = _gather(
        mag[:, None],
        k0,
        k_end,
        impacts - st.impulse_before,
        st.impulse_before + st.impulse_after,
        known,
    )
    impulse = (np.where(im_ok, np.maximum(im_vals[..., 0] - 1.0, 0.0), 0.0)).sum(axis=1)

    # Hits after: local maxima of the impact channel in the series window, comparable in size.
    span = st.series_end - st.series_start + 1
    sr_vals, sr_ok = _gather(
        hit[:, None], k0, k_end, impacts + st.series_start - 1, span + 2, known
    )
    sr = np.where(sr_ok, sr_vals[..., 0], -np.inf)
    mid = sr[:, 1:-1]
    local_max = (mid > sr[:, :-2]) & (mid >= sr[:, 2:])
    comparable = mid >= np.maximum(config.candidate_g, config.series_ratio * peak)[:, None]
    hits_after = (local_max & comparable).sum(axis=1)

    ff_vals, ff_ok = _gather(
        mag[:, None], k0, k_end, impacts - st.free_fall, st.free_fall + 1, known
    )
    free_fall = np.where(ff_ok, ff_vals[..., 0], np.inf).min(axis=1)

    return {
        "peak_g": peak,
        "impulse_gs": impulse / config.analysis_rate_hz,
        "prior_peak_g": prior,
        "prominence": np.log(peak / prior),
        "orientation_change_deg": orientation,
        "from_upright_deg": from_upright,
        "post_motion_g": motion,
        "still_s": still_s.astype(float),
        "still_fraction": still_s / np.maximum(n_ok * config.block_s, 1e-9),
        "hits_after": hits_after.astype(float),
        "post_window_s": n_ok * st.block / config.analysis_rate_hz,
        "free_fall_min_g": free_fall,
        "judgeable": (np.minimum(k_end, impacts + st.post_end) - impacts >= st.min_post)
        & (n_ok > 0),
    }


def passes_gates(f: dict[str, np.ndarray], config: FallConfig) -> np.ndarray:
    """Physical gates: what cannot be a fall whatever the score says."""
    ok = f["judgeable"] & (f["orientation_change_deg"] >= config.min_orientation_deg)
    if config.max_post_motion_g is not None:
        ok &= f["post_motion_g"] <= config.max_post_motion_g
    if config.lying_deg is not None and "from_upright_deg" in f:
        # Lying already (NaN, not known: not lying): rolling over, unless it hit as hard as
        # a fall out of bed onto the floor.
        lying = f["from_upright_deg"] >= config.lying_deg
        ok &= ~lying | (f["impulse_gs"] >= config.lying_min_impulse_gs)
    if config.max_series_hits is not None:
        ok &= (f["hits_after"] < config.max_series_hits) | (
            f["still_fraction"] >= config.series_still_fraction
        )
    return ok
