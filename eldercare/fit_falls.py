"""Fitting the fall scorer to labelled recordings, and checking it on people it never saw.

Every trial is run once through the deployed ``FallDetector``, fed in ~1 s batches as a
wearable sends them; an observer collects the features of every impact it decides on, and
the impacts that pass the gates form the trial's *bag*. The detector raises a fall in a
trial exactly when some impact of its bag scores at or above the threshold, so a bag is all
a refit needs: what is fitted is what is deployed.

``fit_scorer`` is how the weights in ``analytics.falls.model`` were derived: multiple-
instance logistic regression (a fall trial holds one fall among other impacts: its
positive is the impact the current model scores highest; every impact of a daily-activity
trial is a negative), classes balanced, lightly regularised; then the threshold is set on
subjects the fit did not see (subject-grouped cross-validation), at the point that
maximises the worse of sensitivity and specificity. ``leave_one_subject_out`` repeats all
of that without each subject in turn and tests on that subject.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from analytics.falls import (
    FallConfig,
    FallDetection,
    FallDetector,
    FallWeights,
    Placement,
    Upright,
    feature_matrix,
    passes_gates,
)
from contracts.metrics import metric
from eldercare.recordings import Trial

ACCEL_RANGE_G = float(metric("accel").maximum or 16.0)
L2 = 0.1  # ridge penalty on the standardised weights
MIL_ROUNDS = 5
THRESHOLD_FOLDS = 5


@dataclass(frozen=True, eq=False)
class TrialRun:
    """One trial through the detector: what it raised, and the gated impacts it weighed."""

    trial: Trial
    detections: list[FallDetection]
    bag: np.ndarray  # (impacts, features) of the gated impacts, FEATURE_NAMES order
    # The same without the gate for lying already, which only a wearable that has seen her
    # walk has: the scorer is fitted on these, so that it holds for one just put on too.
    fit_bag: np.ndarray
    # Per row of fit_bag: degrees from her upright of the posture before (NaN: not known),
    # and the impulse (g s): what the gate for lying already weighs.
    postures: np.ndarray
    dropped_batches: int  # batches the edge's decoder would refuse (beyond the sensor range)
    batches: int  # batches fed to the detector
    detector_s: float  # time spent in the detector (wall clock of this process)

    @property
    def is_fall(self) -> bool:
        return self.trial.label == "fall"


def wearable_batches(trial: Trial, batch_s: float = 1.0) -> Iterator[tuple[float, np.ndarray]]:
    """The trial as a wearable sends it: ``batch_s`` batches of samples with their start."""
    step = max(1, round(batch_s * trial.rate_hz))
    for start in range(0, len(trial.samples), step):
        yield trial.t0 + start / trial.rate_hz, trial.samples[start : start + step]


def walked_upright(trials: Sequence[Trial], config: FallConfig) -> Upright:
    """Her upright as a trunk wearable she has worn all day knows it: learned from the
    walking in every recording of hers given (unlabelled; each a stream of its own)."""
    upright = Upright(config.analysis_rate_hz)
    for trial in trials:
        upright.learn_recording(trial.t0, trial.rate_hz, trial.samples)
    return upright


def run_trial(
    trial: Trial,
    placement: Placement,
    config: FallConfig | None = None,
    batch_s: float = 1.0,
    upright: Upright | None = None,
) -> TrialRun:
    """Feed one trial to a detector, batch by batch, then flush: a fresh one, or one that
    knows her ``upright`` already (it is not changed).

    A batch holding a value beyond the accelerometer's range is dropped, as the edge's
    decoder refuses it (a glitch, not a reading); the detector then sees a gap.
    """
    cfg = config or FallConfig.for_placement(placement)
    not_lying = replace(cfg, lying_deg=None)
    rows: list[np.ndarray] = []
    fit_rows: list[np.ndarray] = []
    postures: list[np.ndarray] = []

    def observe(_times: np.ndarray, f: dict[str, np.ndarray]) -> None:
        features = feature_matrix(f, cfg.max_scored_turn_deg)
        rows.append(features[passes_gates(f, cfg)])
        fitted = passes_gates(f, not_lying)
        fit_rows.append(features[fitted])
        postures.append(np.column_stack([f["from_upright_deg"], f["impulse_gs"]])[fitted])

    detector = FallDetector(
        placement, cfg, observer=observe, upright=upright.carried() if upright else None
    )
    detections: list[FallDetection] = []
    dropped = fed = 0
    spent = 0.0
    for t0, samples in wearable_batches(trial, batch_s):
        if np.abs(samples).max() > ACCEL_RANGE_G:
            dropped += 1
            continue
        started = time.perf_counter()
        detections += detector.update(t0, trial.rate_hz, samples)
        spent += time.perf_counter() - started
        fed += 1
    detections += detector.flush()
    bag = np.vstack(rows) if rows else np.zeros((0, 4))
    fit_bag = np.vstack(fit_rows) if fit_rows else np.zeros((0, 4))
    posture_rows = np.vstack(postures) if postures else np.zeros((0, 2))
    return TrialRun(trial, detections, bag, fit_bag, posture_rows, dropped, fed, spent)


# --- the fit -------------------------------------------------------------------------------


def _logistic(x: np.ndarray, y: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Class-balanced, ridge-penalised logistic regression on standardised features, by
    Newton's method (a handful of 5x5 solves: fast, and the same answer on every machine)."""
    sw = np.where(y == 1, 1.0 / max(y.sum(), 1), 1.0 / max((1 - y).sum(), 1))
    xb = np.column_stack([np.ones(len(x)), x])
    ridge = np.full(xb.shape[1], 2 * L2)
    ridge[0] = 1e-9  # the bias is not penalised
    v = start.copy()
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(xb @ v, -50, 50)))
        grad = xb.T @ (sw * (p - y)) + ridge * v
        hess = (xb * (sw * p * (1 - p))[:, None]).T @ xb + np.diag(ridge)
        step = np.linalg.solve(hess, grad)
        v = v - step
        if np.abs(step).max() < 1e-12:
            break
    return v


def _fit_logit(bags: Sequence[np.ndarray], is_fall: np.ndarray) -> np.ndarray:
    """[bias, weights...] of the multiple-instance fit, on the features' own scale."""
    sizes = np.array([len(b) for b in bags])
    if not (sizes[is_fall] > 0).any():
        raise ValueError("need fall trials with impacts that pass the gates to fit weights")
    allx = np.vstack([b for b in bags if len(b)])
    mu, sd = allx.mean(axis=0), allx.std(axis=0) + 1e-9
    z = (allx - mu) / sd
    owner = np.repeat(np.arange(len(bags)), sizes)  # which trial each impact belongs to
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    falls = np.flatnonzero(is_fall & (sizes > 0))
    negative = ~is_fall[owner]
    w = np.zeros(z.shape[1] + 1)
    for rnd in range(MIL_ROUNDS):
        # A fall trial's positive: its impact the current model scores highest.
        score = z.sum(axis=1) if rnd == 0 else z @ w[1:]
        best = np.array(
            [first[i] + int(np.argmax(score[first[i] : first[i] + sizes[i]])) for i in falls]
        )
        x = np.vstack([z[best], z[negative]])
        y = np.concatenate([np.ones(len(best)), np.zeros(int(negative.sum()))])
        w = _logistic(x, y, w)
    raw = w[1:] / sd
    return np.concatenate([[w[0] - float((w[1:] * mu / sd).sum())], raw])


def trial_scores(bags: Sequence[np.ndarray], w: np.ndarray) -> np.ndarray:
    """Per trial, the highest logit of its gated impacts (-inf when it has none)."""
    return np.array([float((b @ w[1:] + w[0]).max()) if len(b) else -np.inf for b in bags])


def balance_point(scores: np.ndarray, is_fall: np.ndarray) -> float:
    """The cut on trial scores that maximises min(sensitivity, specificity) (ties: the
    larger sum), the median of the cuts that do equally well."""
    finite = np.unique(scores[np.isfinite(scores)])
    if len(finite) == 0:
        return 0.0
    cuts = np.concatenate([[finite[0] - 1.0], (finite[:-1] + finite[1:]) / 2, [finite[-1] + 1.0]])
    detected = scores[None, :] >= cuts[:, None]
    se = detected[:, is_fall].mean(axis=1) if is_fall.any() else np.ones(len(cuts))
    sp = (~detected[:, ~is_fall]).mean(axis=1) if (~is_fall).any() else np.ones(len(cuts))
    value = np.round(np.minimum(se, sp) + 1e-3 * (se + sp), 9)
    return float(np.median(cuts[value == value.max()]))


def subject_folds(subjects: Sequence[str], folds: int) -> np.ndarray:
    """Fold number of each trial: subjects dealt round-robin in sorted order."""
    order = {s: i % folds for i, s in enumerate(sorted(set(subjects)))}
    return np.array([order[s] for s in subjects])


def fit_scorer(
    bags: Sequence[np.ndarray], labels: Sequence[bool], subjects: Sequence[str]
) -> FallWeights:
    """The scorer's weights for these trials (bags of gated impacts, fall or not, whose)."""
    is_fall = np.asarray(labels, dtype=bool)
    w = _fit_logit(bags, is_fall)
    fold = subject_folds(subjects, THRESHOLD_FOLDS)
    held_out = np.full(len(bags), -np.inf)
    for k in np.unique(fold):
        train, test = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        wk = _fit_logit([bags[i] for i in train], is_fall[train])
        held_out[test] = trial_scores([bags[i] for i in test], wk)
    w[0] -= balance_point(held_out, is_fall)
    return FallWeights(*(float(v) for v in w))


def detected_by(bag: np.ndarray, weights: FallWeights, threshold: float = 0.5) -> bool:
    """Whether a detector with these weights raises a fall in a trial with this bag."""
    if not len(bag):
        return False
    w = weights.as_array()
    logit = float(np.log(threshold / (1.0 - threshold)))
    return bool(((bag @ w[1:] + w[0]) >= logit).any())


def leave_one_subject_out(
    runs: Sequence[TrialRun],
) -> tuple[list[bool], dict[str, FallWeights]]:
    """Per trial, whether it is detected by weights fitted without its subject; and those
    weights per subject."""
    subjects = np.array([r.trial.subject for r in runs])
    detected = [False] * len(runs)
    folds: dict[str, FallWeights] = {}
    for subject in sorted(set(subjects)):
        idx = np.flatnonzero(subjects != subject)
        weights = fit_scorer(
            [runs[i].fit_bag for i in idx], [runs[i].is_fall for i in idx], subjects[idx]
        )
        folds[str(subject)] = weights
        for i in np.flatnonzero(subjects == subject):
            detected[i] = detected_by(runs[i].bag, weights)
    return detected, folds
