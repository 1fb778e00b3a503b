"""Run the fall detector over labelled recordings and say how well it does.

``evaluate_falls(path, placement)`` feeds every trial to a fresh detector in ~1 s batches,
as a wearable would send them, then flushes; a trial counts as detected if at least one
fall is raised anywhere in it. ``leave_one_subject_out`` refits the scorer's weights
without each subject in turn and tests on that subject: the check that the weights in
``analytics.fall`` describe falls, not these particular people. ``fit_weights`` is how
those weights were derived.

Command line (``eldercare eval falls`` calls ``main``)::

    python -m eldercare.eval_falls PATH [--placement waist|wrist|chest] [--loso] [--fit]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize

from analytics.fall import (
    PLACEMENTS,
    FallConfig,
    FallDetection,
    FallDetector,
    FallWeights,
    Placement,
    feature_matrix,
    passes_gates,
    recording_candidates,
)
from eldercare.recordings import RecordingError, Trial, load_trials


def detect_trial(
    trial: Trial,
    placement: Placement = "waist",
    config: FallConfig | None = None,
    batch_s: float = 1.0,
) -> list[FallDetection]:
    """Falls raised in one trial, fed in batches of ``batch_s`` seconds then flushed."""
    det = FallDetector(placement, config)
    step = max(1, round(batch_s * trial.rate_hz))
    out: list[FallDetection] = []
    for start in range(0, len(trial.samples), step):
        t0 = trial.t0 + start / trial.rate_hz
        out += det.update(t0, trial.rate_hz, trial.samples[start : start + step])
    return out + det.flush()


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def summarise(outcomes: Iterable[tuple[Trial, bool]]) -> dict[str, Any]:
    """Confusion counts overall and per activity from (trial, detected) pairs."""
    total = {"tp": 0, "fn": 0, "tn": 0, "fp": 0}
    per: dict[str, dict[str, int]] = defaultdict(lambda: {"tp": 0, "fn": 0, "tn": 0, "fp": 0})
    labels: dict[str, str] = {}
    missed: list[str] = []
    false_alarms: list[str] = []
    for trial, detected in outcomes:
        if trial.label == "fall":
            key = "tp" if detected else "fn"
            if not detected:
                missed.append(trial.name)
        else:
            key = "fp" if detected else "tn"
            if detected:
                false_alarms.append(trial.name)
        total[key] += 1
        per[trial.activity][key] += 1
        labels[trial.activity] = trial.label
    per_activity: dict[str, dict[str, Any]] = {}
    for code in sorted(per):
        c = per[code]
        row: dict[str, Any] = {"label": labels[code], **c}
        if labels[code] == "fall":
            row["sensitivity"] = _rate(c["tp"], c["tp"] + c["fn"])
        else:
            row["specificity"] = _rate(c["tn"], c["tn"] + c["fp"])
        per_activity[code] = row
    return {
        **total,
        "sensitivity": _rate(total["tp"], total["tp"] + total["fn"]),
        "specificity": _rate(total["tn"], total["tn"] + total["fp"]),
        "trials": sum(total.values()),
        "per_activity": per_activity,
        "missed": sorted(missed),
        "false_alarms": sorted(false_alarms),
    }


def _load(path: str | Path) -> tuple[list[Trial], list[dict[str, str]]]:
    skipped: list[dict[str, str]] = []

    def note(err: RecordingError) -> None:
        skipped.append({"path": err.path, "reason": err.reason})

    return list(load_trials(path, on_error=note)), skipped


def evaluate_falls(
    path: str | Path,
    placement: Placement = "waist",
    config: FallConfig | None = None,
    batch_s: float = 1.0,
) -> dict[str, Any]:
    """tp/fn/tn/fp, sensitivity, specificity, per-activity counts for the recordings at path.

    Unreadable trials are listed under "skipped" and left out of the counts.
    """
    started = time.perf_counter()
    trials, skipped = _load(path)
    outcomes = [(t, bool(detect_trial(t, placement, config, batch_s))) for t in trials]
    return {
        **summarise(outcomes),
        "placement": placement,
        "path": str(path),
        "skipped": skipped,
        "elapsed_s": round(time.perf_counter() - started, 2),
    }


# --- fitting the scorer --------------------------------------------------------------------


def _bags(trials: Sequence[Trial], placement: Placement, config: FallConfig) -> list[np.ndarray]:
    """Per trial, the feature rows of the impacts that pass the detector's gates."""
    bags = []
    for t in trials:
        _, f = recording_candidates(t.t0, t.rate_hz, t.samples, placement, config)
        bags.append(feature_matrix(f)[passes_gates(f, config)] if f else np.zeros((0, 4)))
    return bags


def _fit_bags(
    bags: Sequence[np.ndarray], labels: Sequence[str], l2: float = 0.1, rounds: int = 5
) -> FallWeights:
    """Multiple-instance logistic regression on the gated impacts.

    A fall trial holds one fall among other impacts, so its positive is the impact the
    current model scores highest (first round: highest sum of standardised features); every
    impact of a daily-activity trial is a negative. Classes are balanced and lightly
    regularised; then the bias is moved to the trial-level operating point that maximises
    the worse of sensitivity and specificity (midpoint of the best interval).
    """
    nonempty = [b for b in bags if len(b)]
    if not nonempty or not any(lab == "fall" for lab in labels):
        raise ValueError("need fall trials with candidate impacts to fit weights")
    allx = np.vstack(nonempty)
    mu, sd = allx.mean(axis=0), allx.std(axis=0) + 1e-9
    w = np.zeros(allx.shape[1] + 1)
    for rnd in range(rounds):
        xs, ys = [], []
        for bag, lab in zip(bags, labels, strict=True):
            if not len(bag):
                continue
            z = (bag - mu) / sd
            if lab == "fall":
                j = int(np.argmax(z.sum(axis=1) if rnd == 0 else z @ w[1:]))
                xs.append(z[j : j + 1])
                ys.append(np.ones(1))
            else:
                xs.append(z)
                ys.append(np.zeros(len(z)))
        x, y = np.vstack(xs), np.concatenate(ys)
        sw = np.where(y == 1, 1.0 / max(y.sum(), 1), 1.0 / max((1 - y).sum(), 1))

        def loss(v: np.ndarray, x: np.ndarray = x, y: np.ndarray = y, sw: np.ndarray = sw):
            p = 1.0 / (1.0 + np.exp(-(x @ v[1:] + v[0])))
            nll = -(sw * (y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))).sum()
            g = sw * (p - y)
            grad = np.concatenate([[g.sum()], x.T @ g + 2 * l2 * v[1:]])
            return nll + l2 * float(v[1:] @ v[1:]), grad

        w = minimize(loss, w, jac=True, method="L-BFGS-B").x
    raw = w[1:] / sd
    bias = w[0] - float((w[1:] * mu / sd).sum())
    bias -= _best_offset(bags, labels, bias, raw)
    return FallWeights(float(bias), *(float(v) for v in raw))


def _best_offset(
    bags: Sequence[np.ndarray], labels: Sequence[str], bias: float, raw: np.ndarray
) -> float:
    top = np.array([(b @ raw + bias).max() if len(b) else -np.inf for b in bags])
    is_fall = np.array([lab == "fall" for lab in labels])
    finite = np.unique(top[np.isfinite(top)])
    cuts = np.concatenate([[finite[0] - 1.0], (finite[:-1] + finite[1:]) / 2, [finite[-1] + 1.0]])
    best, best_cuts = -1.0, []
    for c in cuts:
        det = top >= c
        se = det[is_fall].mean() if is_fall.any() else 1.0
        sp = (~det[~is_fall]).mean() if (~is_fall).any() else 1.0
        val = round(min(se, sp) + 1e-3 * (se + sp), 9)
        if val > best:
            best, best_cuts = val, [c]
        elif val == best:
            best_cuts.append(c)
    return float(np.median(best_cuts))


def fit_weights(
    trials: Sequence[Trial], placement: Placement = "waist", config: FallConfig | None = None
) -> FallWeights:
    """Weights for the detector's scorer, fitted on labelled trials (see ``_fit_bags``)."""
    cfg = config or FallConfig.for_placement(placement)
    return _fit_bags(_bags(trials, placement, cfg), [t.label for t in trials])


def leave_one_subject_out(
    path: str | Path, placement: Placement = "waist", config: FallConfig | None = None
) -> dict[str, Any]:
    """Refit without each subject, test on that subject, pool the results.

    A trial is detected when any gated impact scores at or above the threshold, which is
    exactly when the streaming detector raises at least one fall in it.
    """
    cfg = config or FallConfig.for_placement(placement)
    trials, skipped = _load(path)
    bags = _bags(trials, placement, cfg)
    subjects = sorted({t.subject for t in trials})
    outcomes: list[tuple[Trial, bool]] = []
    folds: dict[str, dict[str, float]] = {}
    for s in subjects:
        train = [i for i, t in enumerate(trials) if t.subject != s]
        w = _fit_bags([bags[i] for i in train], [trials[i].label for i in train])
        folds[s] = {k: round(v, 3) for k, v in w.__dict__.items()}
        wa = w.as_array()
        for i, t in enumerate(trials):
            if t.subject == s:
                b = bags[i]
                outcomes.append((t, bool(len(b)) and bool(((b @ wa[1:] + wa[0]) >= 0).any())))
    return {
        **summarise(outcomes),
        "placement": placement,
        "path": str(path),
        "skipped": skipped,
        "fold_weights": folds,
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="folder of recordings")
    parser.add_argument("--placement", choices=PLACEMENTS, default="waist")
    parser.add_argument(
        "--loso", action="store_true", help="leave-one-subject-out: refit per held-out subject"
    )
    parser.add_argument(
        "--fit", action="store_true", help="print scorer weights fitted on these recordings"
    )


def run(args: argparse.Namespace) -> int:
    try:
        if args.fit:
            trials, skipped = _load(args.path)
            w = fit_weights(trials, args.placement)
            result: dict[str, Any] = {
                "weights": {k: round(v, 3) for k, v in w.__dict__.items()},
                "trials": len(trials),
                "skipped": skipped,
            }
            cfg = replace(FallConfig.for_placement(args.placement), weights=w)
            result["fitted"] = {
                k: v
                for k, v in evaluate_falls(args.path, args.placement, cfg).items()
                if k in ("tp", "fn", "tn", "fp", "sensitivity", "specificity")
            }
        elif args.loso:
            result = leave_one_subject_out(args.path, args.placement)
        else:
            result = evaluate_falls(args.path, args.placement)
    except RecordingError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="eldercare eval falls",
        description="Fall detector over labelled recordings (SisFall layout, or CSV trials "
        "with labels.csv): prints JSON with tp, fn, tn, fp, sensitivity, specificity.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
