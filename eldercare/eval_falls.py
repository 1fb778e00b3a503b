"""Run the fall detector over labelled recordings and say how well it does, subject by subject.

Every trial is fed to a detector of its own in ~1 s batches, as a wearable sends them, then
flushed; a trial counts as detected if at least one fall is raised anywhere in it. On the
trunk that detector knows the subject's upright from the walking in all her recordings, as
a wearable she has worn all day would (``--fresh-wearable``: one just put on, which does
not, and cannot tell that she was lying already when an impact came). Results
come pooled, per activity, per subject (with the mean over subjects and the worst subject)
and, when several folders are given, per folder.

* default: the deployed detector, weights as shipped in ``analytics.falls.model``;
* ``--loso``: leave-one-subject-out, the scorer refitted without each subject (over every
  folder given) and tested on that subject: the check that the weights describe falls, not
  these particular people;
* ``--fit``: the weights these recordings give (how the shipped ones were derived).

``--rate 50`` brings faster recordings down to 50 Hz first (SisFall's 200 Hz to a pendant's
rate). JSON on stdout; ``--table`` prints a readable table instead.

Command line (``eldercare eval falls`` calls ``main``)::

    python -m eldercare.eval_falls PATH [PATH ...] [--placement waist|wrist|chest]
        [--rate HZ] [--loso | --fit] [--fresh-wearable] [--table]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from analytics.falls import FEATURE_NAMES, PLACEMENTS, FallConfig, FallWeights, Placement, Upright
from eldercare.fall_gates import evaluate_nested_gates
from eldercare.fall_stream_faults import format_table as format_faults
from eldercare.fall_stream_faults import stream_faults
from eldercare.fit_falls import (
    TrialRun,
    detected_by,
    fit_scorer,
    leave_one_subject_out,
    run_trial,
    walked_upright,
)
from eldercare.recordings import RecordingError, Trial, load_trials, resample_trial

PathLike = str | Path


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _per_subject(outcomes: Sequence[tuple[Trial, bool]]) -> dict[str, dict[str, Any]]:
    counts: dict[str, dict[str, int]] = defaultdict(
        lambda: {"falls": 0, "detected": 0, "adls": 0, "false_alarms": 0}
    )
    for trial, detected in outcomes:
        c = counts[trial.subject]
        if trial.label == "fall":
            c["falls"] += 1
            c["detected"] += detected
        else:
            c["adls"] += 1
            c["false_alarms"] += detected
    return {
        s: {
            **c,
            "sensitivity": _rate(c["detected"], c["falls"]),
            "specificity": _rate(c["adls"] - c["false_alarms"], c["adls"]),
        }
        for s, c in sorted(counts.items())
    }


def _across_subjects(per_subject: dict[str, dict[str, Any]]) -> tuple[dict, dict]:
    """Mean over subjects and the worst subject, for each of sensitivity and specificity."""
    mean: dict[str, float | None] = {}
    worst: dict[str, dict[str, Any] | None] = {}
    for key in ("sensitivity", "specificity"):
        values = {s: row[key] for s, row in per_subject.items() if row[key] is not None}
        mean[key] = round(sum(values.values()) / len(values), 4) if values else None
        if values:
            subject = min(values, key=lambda s: (values[s], s))
            worst[key] = {"subject": subject, "value": values[subject]}
        else:
            worst[key] = None
    return mean, worst


def summarise(outcomes: Iterable[tuple[Trial, bool]]) -> dict[str, Any]:
    """Confusion counts overall, per activity and per subject from (trial, detected) pairs."""
    outcomes = list(outcomes)
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
    per_subject = _per_subject(outcomes)
    mean, worst = _across_subjects(per_subject)
    return {
        **total,
        "sensitivity": _rate(total["tp"], total["tp"] + total["fn"]),
        "specificity": _rate(total["tn"], total["tn"] + total["fp"]),
        "trials": sum(total.values()),
        "subjects": len(per_subject),
        "subject_mean": mean,
        "worst_subject": worst,
        "per_subject": per_subject,
        "per_activity": per_activity,
        "missed": sorted(missed),
        "false_alarms": sorted(false_alarms),
    }


def load_recordings(
    paths: Sequence[PathLike], rate_hz: float | None = None
) -> tuple[list[tuple[str, Trial]], list[dict[str, str]]]:
    """(folder, trial) for every readable trial under ``paths``, brought down to ``rate_hz``
    when recorded faster; unreadable ones are listed, not fatal."""
    skipped: list[dict[str, str]] = []

    def note(err: RecordingError) -> None:
        skipped.append({"path": err.path, "reason": err.reason})

    trials = []
    for path in paths:
        for trial in load_trials(path, on_error=note):
            trials.append((str(path), resample_trial(trial, rate_hz) if rate_hz else trial))
    return trials, skipped


def run_recordings(
    paths: Sequence[PathLike],
    placement: Placement = "waist",
    rate_hz: float | None = None,
    config: FallConfig | None = None,
    batch_s: float = 1.0,
    worn: bool = True,
) -> tuple[list[tuple[str, TrialRun]], dict[str, Any]]:
    """Every trial through the detector, and what the report says about the run itself.
    ``worn``: the trunk's detector knows the subject's upright from her walking in all her
    recordings, as a wearable worn all day does (the recordings are minutes long); else
    each trial meets a wearable just put on."""
    started = time.perf_counter()
    trials, skipped = load_recordings(paths, rate_hz)
    cfg = config or FallConfig.for_placement(placement)
    uprights: dict[str, Upright] = {}
    if worn and cfg.lying_deg is not None:
        by_subject: dict[str, list[Trial]] = {}
        for _, t in trials:
            by_subject.setdefault(t.subject, []).append(t)
        uprights = {s: walked_upright(ts, cfg) for s, ts in by_subject.items()}
    runs = [
        (folder, run_trial(t, placement, config, batch_s, uprights.get(t.subject)))
        for folder, t in trials
    ]
    batches = sum(r.batches for _, r in runs)
    lying = lying_already([r for _, r in runs], cfg) if uprights else None
    about = {
        "placement": placement,
        # worn: the trunk's detector knew her upright from her walking; fresh: just put on
        "wearable": "worn" if worn else "fresh",
        **({"lying_already": lying} if lying else {}),
        "paths": [str(p) for p in paths],
        "rate_hz": rate_hz,
        "skipped": skipped,
        "dropped_batches": sum(r.dropped_batches for _, r in runs),
        "elapsed_s": round(time.perf_counter() - started, 2),
        # The detector's own cost per batch of one wearable (the note on speed in README)
        "detector_us_per_batch": round(1e6 * sum(r.detector_s for _, r in runs) / batches, 1)
        if batches
        else None,
    }
    return runs, about


def lying_already(runs: Sequence[TrialRun], config: FallConfig) -> dict[str, Any] | None:
    """What the gate for lying already meets in these recordings, scored with ``config``'s
    weights: how far from her upright the posture before the falls' best impacts was (the
    most), and the daily activities' impacts that began lying already: how many, their
    largest impulse, and where those the scorer alone would raise began. None where the
    placement has no such gate."""
    if config.lying_deg is None:
        return None
    w = config.weights.as_array()
    line = float(np.log(config.threshold / (1.0 - config.threshold)))
    falls: list[float] = []
    unknown = 0
    lying_impulses: list[float] = []
    stopped: list[float] = []
    for run in runs:
        if not len(run.fit_bag):
            continue
        logit = w[0] + run.fit_bag @ w[1:]
        degrees, impulse = run.postures[:, 0], run.postures[:, 1]
        if run.is_fall:
            best = int(np.argmax(logit))
            if logit[best] < line:
                continue  # not found anyway
            if np.isnan(degrees[best]):
                unknown += 1
            else:
                falls.append(float(degrees[best]))
            continue
        lying = degrees >= config.lying_deg  # NaN: not known, not lying
        lying_impulses += impulse[lying].tolist()
        stopped += degrees[lying & (logit >= line)].tolist()

    def deg(values: list[float]) -> float | None:
        return round(max(values), 1) if values else None

    return {
        "lying_deg": config.lying_deg,
        "falls_found_began_at_most_deg": deg(falls),
        "falls_found_upright_not_known": unknown,
        "daily_impacts_lying_already": len(lying_impulses),
        "their_largest_impulse_gs": round(max(lying_impulses), 3) if lying_impulses else None,
        "of_them_a_fall_to_the_scorer": len(stopped),
        "those_began_deg": [round(min(stopped), 1), round(max(stopped), 1)] if stopped else None,
    }


def _report(
    runs: Sequence[tuple[str, TrialRun]], detected: Sequence[bool], about: dict[str, Any]
) -> dict[str, Any]:
    outcomes = [(run.trial, d) for (_, run), d in zip(runs, detected, strict=True)]
    result = {**summarise(outcomes), **about}
    folders = list(dict.fromkeys(folder for folder, _ in runs))
    if len(folders) > 1:
        result["datasets"] = {
            folder: summarise(o for (f, _), o in zip(runs, outcomes, strict=True) if f == folder)
            for folder in folders
        }
    return result


def evaluate_falls(
    paths: PathLike | Sequence[PathLike],
    placement: Placement = "waist",
    config: FallConfig | None = None,
    batch_s: float = 1.0,
    rate_hz: float | None = None,
    worn: bool = True,
) -> dict[str, Any]:
    """tp/fn/tn/fp, sensitivity, specificity, per activity and per subject, of the detector
    as deployed. Unreadable trials are listed under "skipped" and left out of the counts."""
    paths = [paths] if isinstance(paths, str | Path) else list(paths)
    runs, about = run_recordings(paths, placement, rate_hz, config, batch_s, worn)
    detected = [bool(run.detections) for _, run in runs]
    return {"mode": "deployed", **_report(runs, detected, about)}


def _weights_dict(w: FallWeights, digits: int = 3) -> dict[str, float]:
    return {k: round(v, digits) for k, v in w.__dict__.items()}


def evaluate_loso(
    paths: PathLike | Sequence[PathLike],
    placement: Placement = "waist",
    rate_hz: float | None = None,
    config: FallConfig | None = None,
    worn: bool = True,
) -> dict[str, Any]:
    """Leave-one-subject-out over every trial of every folder given."""
    paths = [paths] if isinstance(paths, str | Path) else list(paths)
    runs, about = run_recordings(paths, placement, rate_hz, config, worn=worn)
    started = time.perf_counter()
    detected, folds = leave_one_subject_out([run for _, run in runs])
    about["elapsed_s"] = round(about["elapsed_s"] + time.perf_counter() - started, 2)
    result = {"mode": "leave-one-subject-out", **_report(runs, detected, about)}
    result["fold_weights"] = {s: _weights_dict(w) for s, w in folds.items()}
    return result


def fit_recordings(
    paths: PathLike | Sequence[PathLike],
    placement: Placement = "waist",
    rate_hz: float | None = None,
    config: FallConfig | None = None,
    worn: bool = True,
) -> dict[str, Any]:
    """The scorer's weights fitted on every trial given, rounded as they are shipped; they
    do not depend on ``worn`` (they are fitted without the gate for lying already)."""
    paths = [paths] if isinstance(paths, str | Path) else list(paths)
    runs, about = run_recordings(paths, placement, rate_hz, config, worn=worn)
    trial_runs = [run for _, run in runs]
    weights = fit_scorer(
        [r.fit_bag for r in trial_runs],
        [r.is_fall for r in trial_runs],
        [r.trial.subject for r in trial_runs],
    )
    rounded = _weights_dict(weights, 2)
    shipped = FallWeights(**rounded)
    detected = [detected_by(r.bag, shipped) for r in trial_runs]
    fitted = _report(runs, detected, about)
    return {
        "mode": "fit",
        "weights": rounded,
        "features": list(FEATURE_NAMES),
        "python": f"FallWeights({', '.join(f'{k}={v}' for k, v in rounded.items())})",
        "fitted": {k: fitted[k] for k in ("tp", "fn", "tn", "fp", "sensitivity", "specificity")},
        **about,
    }


# --- the readable table --------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def _subject_table(title: str, summary: dict[str, Any]) -> list[str]:
    lines = [
        title,
        f"  {'subject':<10}{'falls':>7}{'detected':>10}{'sensitivity':>13}"
        f"{'daily':>8}{'false alarms':>14}{'specificity':>13}",
    ]
    for subject, row in summary["per_subject"].items():
        lines.append(
            f"  {subject:<10}{row['falls']:>7}{row['detected']:>10}{_pct(row['sensitivity']):>13}"
            f"{row['adls']:>8}{row['false_alarms']:>14}{_pct(row['specificity']):>13}"
        )
    mean, worst = summary["subject_mean"], summary["worst_subject"]
    falls, adls = summary["tp"] + summary["fn"], summary["tn"] + summary["fp"]
    lines.append(
        f"  {'all':<10}{falls:>7}{summary['tp']:>10}{_pct(summary['sensitivity']):>13}"
        f"{adls:>8}{summary['fp']:>14}{_pct(summary['specificity']):>13}"
    )
    lines.append(
        f"  {'mean':<10}{'':>17}{_pct(mean['sensitivity']):>13}"
        f"{'':>22}{_pct(mean['specificity']):>13}"
    )

    def who(key: str) -> str:
        w = worst[key]
        return "-" if w is None else f"{w['subject']} {_pct(w['value'])}"

    lines.append(f"  {'worst':<10}{who('sensitivity'):>30}{who('specificity'):>35}")
    return lines


def format_table(result: dict[str, Any]) -> str:
    """The report as a table per folder: one row per subject, then all, mean and worst."""
    head = f"fall detector, {result['mode']}, placement {result['placement']}"
    if result.get("rate_hz"):
        head += f", at {result['rate_hz']:g} Hz"
    if result.get("wearable") == "fresh" and result["placement"] != "wrist":
        head += ", wearables just put on"
    if result["mode"] == "fit":
        lines = [head, f"  weights: {result['python']}"]
        f = result["fitted"]
        lines.append(f"  on these recordings: {_pct(f['sensitivity'])} / {_pct(f['specificity'])}")
        return "\n".join(lines) + "\n"
    lines = [head]
    sections = result.get("datasets") or {", ".join(result["paths"]): result}
    for folder, summary in sections.items():
        lines += _subject_table(folder, summary)
    if "datasets" in result:
        lines += _subject_table("all folders", result)
    if result["skipped"]:
        lines.append(
            f"skipped {len(result['skipped'])} trials, unreadable or listed twice "
            '("skipped" in the JSON says which and why)'
        )
    if lying := result.get("lying_already"):
        lines.append(
            f"lying already (shipped weights): the falls found began at most "
            f"{lying['falls_found_began_at_most_deg']} deg from her upright "
            f"({lying['falls_found_upright_not_known']} where it was not known); "
            f"{lying['daily_impacts_lying_already']} impacts of daily activities began "
            f"{lying['lying_deg']:g} deg or more from it, at most "
            f"{lying['their_largest_impulse_gs']} g s, {lying['of_them_a_fall_to_the_scorer']} "
            f"of them a fall to the scorer alone"
            + (f" (begun {began[0]}-{began[1]} deg)" if (began := lying["those_began_deg"]) else "")
        )
    if result["dropped_batches"]:
        lines.append(f"dropped {result['dropped_batches']} batches beyond the sensor's range")
    return "\n".join(lines) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run the fall detector over labelled trials (SisFall, UMAFall or CSV folders) and "
        "print sensitivity and specificity pooled, per activity and per subject, with the "
        "worst subject. --loso refits the scorer without each subject and tests it on that "
        "subject: how it does on bodies it has never seen."
    )
    parser.add_argument("path", nargs="+", help="folders of recordings")
    parser.add_argument(
        "--placement",
        choices=PLACEMENTS,
        default="waist",
        help="where the sensor was worn: the waist (a pendant, a belt) or the wrist "
        "(a bracelet); default waist",
    )
    parser.add_argument(
        "--rate", type=float, default=None, help="bring faster recordings down to this rate (Hz)"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--loso", action="store_true", help="leave-one-subject-out: refit per held-out subject"
    )
    mode.add_argument(
        "--fit", action="store_true", help="the scorer weights fitted on these recordings"
    )
    mode.add_argument(
        "--stream-faults",
        action="store_true",
        help="the falls through the edge's path (1-s messages), then with start times "
        "jittered by +-2 ms and with one message lost 1-4 s after the impact: how many are "
        "still raised",
    )
    parser.add_argument(
        "--gate",
        type=float,
        metavar="DEG",
        help="the turn gate (degrees the body part must end turned) instead of the "
        "placement's: what another gate would give",
    )
    parser.add_argument(
        "--gates",
        metavar="DEG,DEG,...",
        help="with --loso: the gate chosen per held-out subject among these, by an inner "
        "leave-one-subject-out on the others (the figures of a gate chosen without the "
        "subject it is measured on)",
    )
    parser.add_argument(
        "--fresh-wearable",
        action="store_true",
        help="each trial meets a wearable just put on: the trunk's detector has not seen "
        "the subject walk, so it cannot tell she was lying already (by default it has "
        "learned her upright from the walking in all her recordings, as one worn all day)",
    )
    parser.add_argument("--table", action="store_true", help="a readable table, not JSON")


def run(args: argparse.Namespace) -> int:
    table = format_table
    config = None
    if args.gate is not None:
        config = FallConfig.for_placement(args.placement, min_orientation_deg=args.gate)
    try:
        gates = [float(g) for g in args.gates.split(",")] if args.gates else None
    except ValueError:
        print(
            f"error: --gates takes degrees separated by commas, not {args.gates!r}", file=sys.stderr
        )
        return 2
    if args.fresh_wearable and args.stream_faults:
        print(
            "error: --stream-faults runs every trial on a wearable just put on already",
            file=sys.stderr,
        )
        return 2
    if gates is not None and not args.loso:
        print(
            "error: --gates chooses the gate per held-out subject: it needs --loso", file=sys.stderr
        )
        return 2
    worn = not args.fresh_wearable
    try:
        if args.stream_faults:
            result, table = stream_faults(args.path, args.placement, args.rate), format_faults
        elif args.fit:
            result = fit_recordings(args.path, args.placement, args.rate, config, worn)
        elif gates:
            result = evaluate_nested_gates(args.path, args.placement, gates, args.rate, worn)
        elif args.loso:
            result = evaluate_loso(args.path, args.placement, args.rate, config, worn)
        else:
            result = evaluate_falls(args.path, args.placement, config, rate_hz=args.rate, worn=worn)
    except RecordingError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.table:
        sys.stdout.write(table(result))
    else:
        json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="eldercare eval falls",
        description="Fall detector over labelled recordings (SisFall layout, or CSV trials "
        "with labels.csv): prints JSON with tp, fn, tn, fp, sensitivity, specificity, "
        "per subject and the worst subject.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
