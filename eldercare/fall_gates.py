"""`eldercare eval falls PATH... --loso --gates 10,15,20,25,30`: the turn gate chosen the
way the weights are, on subjects held out.

The gate (``FallConfig.min_orientation_deg``: how far the body part must end turned) is a
choice made on recordings like the weights. Chosen by looking at every subject, the
leave-one-subject-out figures would flatter it. Here, for each held-out subject, each gate
is tried in an inner leave-one-subject-out over the other subjects; the one that does best
there (the larger of the smaller of sensitivity and specificity, then of their sum; the
first listed on a tie) is fitted on all the others and judges the held-out subject. The
figures are then those of a gate chosen without the subject it is measured on.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from analytics.falls import FallConfig
from analytics.falls.config import Placement

from .fit_falls import TrialRun, detected_by, fit_scorer, leave_one_subject_out


def _inner_score(runs: Sequence[TrialRun]) -> tuple[float, float]:
    """(min, sum) of sensitivity and specificity of a leave-one-subject-out over ``runs``;
    a gate no fall of some fold passes cannot be fitted, and finds nothing."""
    try:
        detected, _ = leave_one_subject_out(runs)
    except ValueError:
        detected = [False] * len(runs)
    falls = [hit for run, hit in zip(runs, detected, strict=True) if run.is_fall]
    passed = [not hit for run, hit in zip(runs, detected, strict=True) if not run.is_fall]
    sensitivity = sum(falls) / len(falls) if falls else 1.0
    specificity = sum(passed) / len(passed) if passed else 1.0
    return min(sensitivity, specificity), sensitivity + specificity


def evaluate_nested_gates(
    paths: Sequence[str | Path],
    placement: Placement,
    gates: Sequence[float],
    rate_hz: float | None = None,
    worn: bool = True,
) -> dict[str, Any]:
    """Leave-one-subject-out with the gate chosen per held-out subject (module docstring);
    ``worn`` as in ``run_recordings``."""
    from .eval_falls import _report, run_recordings

    by_gate = {
        gate: run_recordings(
            paths,
            placement,
            rate_hz,
            FallConfig.for_placement(placement, min_orientation_deg=gate),
            worn=worn,
        )
        for gate in gates
    }
    first = by_gate[gates[0]]
    subjects = np.array([run.trial.subject for _, run in first[0]])
    detected = [False] * len(subjects)
    chosen: dict[str, float] = {}
    for subject in sorted(set(subjects)):
        others = np.flatnonzero(subjects != subject)
        scores = {gate: _inner_score([by_gate[gate][0][i][1] for i in others]) for gate in gates}
        best = max(gates, key=lambda gate: (scores[gate], -gates.index(gate)))
        chosen[str(subject)] = best
        runs = [run for _, run in by_gate[best][0]]
        try:
            weights = fit_scorer(
                [runs[i].fit_bag for i in others],
                [runs[i].is_fall for i in others],
                subjects[others],
            )
        except ValueError:  # no fall passes the gate chosen: it finds nothing
            continue
        for i in np.flatnonzero(subjects == subject):
            detected[i] = detected_by(runs[i].bag, weights)
    result = {
        "mode": "leave-one-subject-out, gate chosen per fold",
        **_report(first[0], detected, first[1]),
    }
    result["gates"] = list(gates)
    result["chosen_gate"] = chosen
    return result
