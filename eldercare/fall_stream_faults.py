"""`eldercare eval falls PATH... --stream-faults`: the fall trials of the recordings through
the edge's path, as a wearable's messages reach it, with the faults of a real stream.

Each fall trial is fed to a home's ``HomeMonitor`` with its wearable fall detector (the
edge's path: canonical ``accel`` readings of 1-s messages; a message holding a value beyond
the sensor's range is refused, as the edge's decoder refuses it; a worn sensor goes on
sending, so 15 s of the trial's last posture follow it). A fall the detector raises so is
then fed again:

- with each message's start time jittered by up to +-2 ms (timestamps rounded, or stamped
  when a batch is read out);
- with one message lost 1, 2, 3 or 4 s after the impact's (QoS 0, a radio gap), one run
  each.

It counts how many are still raised. Falls only: a stream fault raises nothing by itself
(a lost message is a gap, not an impact).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from analytics import HomeMonitor
from analytics.falls import FallEventDetector
from analytics.falls.config import Placement
from contracts import HomeConfig, Reading

from .fit_falls import ACCEL_RANGE_G, wearable_batches
from .recordings import Trial

JITTER_S = 0.002
LOST_AFTER_S = (1, 2, 3, 4)
WORN_ON_S = 15
T0 = 1_795_900_000.0  # 2026-11-29: any time will do, the detector reads only differences
HOME = "h-falls"
DEVICE = "wearable"


def _home(placement: Placement) -> HomeConfig:
    kind = "bracelet" if placement == "wrist" else "fall_pendant"
    return HomeConfig.model_validate(
        {
            "home": HOME,
            "station": "st-eval",
            "timezone": "UTC",
            "resident": {"name": "test", "birth_year": 1945},
            "devices": [{"id": DEVICE, "kind": kind, "role": placement, "source": "native"}],
        }
    )


def raised(
    trial: Trial,
    home: HomeConfig,
    *,
    jitter_s: float = 0.0,
    lose: int | None = None,
    rng: random.Random | None = None,
) -> float | None:
    """When the first fall is raised (the impact's time, as the detector says it began),
    the trial fed in 1-s messages; ``jitter_s``: start times moved by up to that much
    either way; ``lose``: the index of a message that never arrives."""
    monitor = HomeMonitor(home, detectors=[FallEventDetector])
    messages = [samples for _, samples in wearable_batches(trial)]
    step = len(messages[0])
    messages += [np.tile(trial.samples[-1], (step, 1)) for _ in range(WORN_ON_S)]
    for index, samples in enumerate(messages):
        if index == lose or np.abs(samples).max() > ACCEL_RANGE_G:
            continue
        shift = rng.uniform(-jitter_s, jitter_s) if rng is not None and jitter_s else 0.0
        reading = Reading(
            ts=T0 + index * _message_s(trial) + shift,
            home=HOME,
            device=DEVICE,
            metric="accel",
            value=samples.tolist(),
            rate_hz=trial.rate_hz,
        )
        for event in monitor.feed(reading):
            if event.kind == "fall" and event.state == "raised":
                return event.started if event.started is not None else event.ts
    return None


def _message_s(trial: Trial) -> float:
    """How long one of the trial's 1-s messages (fit_falls.wearable_batches) lasts."""
    return max(1, round(trial.rate_hz)) / trial.rate_hz


def stream_faults(
    paths: Sequence[str | Path],
    placement: Placement = "waist",
    rate_hz: float | None = None,
    seed: int = 3,
) -> dict[str, Any]:
    """For each folder: the fall trials raised as recorded, and of those how many are
    still raised with jittered start times and with one message lost after the impact."""
    from .eval_falls import load_recordings

    began = time.perf_counter()
    trials, skipped = load_recordings(paths, rate_hz)
    home = _home(placement)
    rng = random.Random(seed)
    folders: dict[str, dict[str, Any]] = {}
    for folder, trial in trials:
        if trial.label != "fall":
            continue
        row = folders.setdefault(
            folder,
            {"falls": 0, "raised": 0, "jittered": 0, "lost": {str(k): 0 for k in LOST_AFTER_S}},
        )
        row["falls"] += 1
        impact = raised(trial, home)
        if impact is None:
            continue
        row["raised"] += 1
        row["jittered"] += raised(trial, home, jitter_s=JITTER_S, rng=rng) is not None
        impact_message = int((impact - T0) // _message_s(trial))
        for after in LOST_AFTER_S:
            lost = raised(trial, home, lose=impact_message + after)
            row["lost"][str(after)] += lost is not None
    for row in folders.values():
        row["lost_total"] = sum(row["lost"].values())
        row["lost_runs"] = row["raised"] * len(LOST_AFTER_S)
    return {
        "mode": "stream-faults",
        "placement": placement,
        "rate_hz": rate_hz,
        "jitter_s": JITTER_S,
        "lost_after_s": list(LOST_AFTER_S),
        "folders": folders,
        "skipped": skipped,
        "elapsed_s": round(time.perf_counter() - began, 1),
    }


def format_table(result: dict[str, Any]) -> str:
    lines = [
        f"{'folder':<40} {'falls':>6} {'raised':>7} {'jittered':>9} {'one lost':>12}",
    ]
    for folder, row in result["folders"].items():
        lost = f"{row['lost_total']}/{row['lost_runs']}"
        lines.append(
            f"{folder[-40:]:<40} {row['falls']:>6} {row['raised']:>7} "
            f"{row['jittered']:>9} {lost:>12}"
        )
    return "\n".join(lines) + "\n"
