"""Loaders for labelled accelerometer recordings (fall / daily-activity trials).

Two layouts are recognised, both by looking at what is on disk:

* **SisFall** (Sucerquia et al., Sensors 2017): subject folders such as ``SA01/`` holding
  ``D01_SA01_R01.txt`` (daily activity) or ``F05_SE06_R02.txt`` (fall), 200 Hz, nine
  comma-separated integers per line ending with ``;``. Columns 1-3 are the ADXL345
  (13 bit, +-16 g), converted as the dataset's Readme says: ``g = raw * (2 * 16) / 2**13``.
* **CSV trials**: a folder with ``labels.csv`` (``file,label,subject``; label ``fall`` or
  ``adl``) and one CSV per trial with header ``t,ax,ay,az`` (seconds, g). Devices that
  timestamp on arrival give slightly irregular times, so each trial is resampled onto a
  uniform grid at its median rate. A file named like a SisFall trial (``D13_SA05_R01.csv``,
  SisFall converted to this format) takes its activity code from the name's first part.

``resample_trial`` brings a trial down to a wearable's rate (SisFall's 200 Hz to a
pendant's 50 Hz) with the anti-alias filter a device would apply.

A file that cannot be read is reported (``on_error``) and skipped: one corrupt trial must not
hide the results of the other five hundred.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Literal

import numpy as np
from scipy.signal import decimate, resample_poly

log = logging.getLogger(__name__)

Label = Literal["fall", "adl"]

SISFALL_RATE_HZ = 200.0
# ADXL345 at +-16 g with 13-bit output: (2 * range) / 2**resolution g per count.
SISFALL_G_PER_COUNT = (2 * 16) / 2**13

# Rates outside this are not accelerometer streams a fall detector can use.
MIN_RATE_HZ = 10.0
MAX_RATE_HZ = 1000.0

_SISFALL_NAME = re.compile(r"^(?P<code>[DF]\d\d)_(?P<subject>S[AE]\d\d)_R(?P<trial>\d\d)\.txt$")
_SISFALL_STEM = re.compile(r"^(?P<code>[DF]\d\d)_S[AE]\d\d_R\d\d$")


class RecordingError(Exception):
    """A recording (or a folder of them) cannot be read; ``path`` and ``reason`` say why."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass(frozen=True, eq=False)
class Trial:
    """One labelled recording: ``samples`` is (n, 3) in g, uniform at ``rate_hz`` from ``t0``."""

    name: str
    subject: str
    activity: str
    label: Label
    rate_hz: float
    t0: float
    samples: np.ndarray

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.rate_hz


ErrorHandler = Callable[[RecordingError], None]


def _log_error(err: RecordingError) -> None:
    log.warning("skipping recording %s", err)


def detect_layout(path: str | Path) -> Literal["sisfall", "csv"]:
    """Which layout ``path`` holds; RecordingError if neither."""
    root = Path(path)
    if not root.is_dir():
        raise RecordingError(root, "not a folder of recordings")
    if (root / "labels.csv").is_file():
        return "csv"
    if any(_SISFALL_NAME.match(p.name) for p in _sisfall_candidates(root)):
        return "sisfall"
    raise RecordingError(
        root,
        "neither a SisFall layout (subject folders with D01_SA01_R01.txt files) "
        "nor a folder of CSV trials with labels.csv",
    )


def load_trials(path: str | Path, on_error: ErrorHandler | None = None) -> Iterator[Trial]:
    """Yield the trials under ``path`` in a stable (sorted) order, auto-detecting the layout.

    Unreadable trials are passed to ``on_error`` (default: a logged warning) and skipped.
    A path that holds no recognisable layout raises RecordingError at once.
    """
    report = on_error or _log_error
    layout = detect_layout(path)
    if layout == "sisfall":
        yield from _load_sisfall(Path(path), report)
    else:
        yield from _load_csv_folder(Path(path), report)


# --- SisFall -------------------------------------------------------------------------------


def _sisfall_candidates(root: Path) -> list[Path]:
    # Either the dataset root (subject folders) or a single subject folder.
    files = [p for p in root.glob("*.txt") if p.is_file()]
    files += [p for p in root.glob("*/*.txt") if p.is_file()]
    return sorted(files)


def read_sisfall_file(path: str | Path) -> Trial:
    """One SisFall trial: ADXL345 columns converted to g."""
    p = Path(path)
    m = _SISFALL_NAME.match(p.name)
    if m is None:
        raise RecordingError(p, "file name is not <CODE>_<SUBJECT>_R<NN>.txt")
    try:
        # Some files end with a stray blank, hence the strip; ';' closes every line, so
        # treating it as a comment marker removes it for free.
        text = p.read_text(encoding="ascii").strip()
        raw = np.loadtxt(io.StringIO(text), delimiter=",", comments=";", ndmin=2)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise RecordingError(p, f"unreadable SisFall data: {exc}") from exc
    if raw.shape[0] == 0:
        raise RecordingError(p, "no samples")
    if raw.shape[1] != 9:
        raise RecordingError(p, f"expected 9 columns per line, found {raw.shape[1]}")
    code = m.group("code")
    return Trial(
        name=p.stem,
        subject=m.group("subject"),
        activity=code,
        label="fall" if code.startswith("F") else "adl",
        rate_hz=SISFALL_RATE_HZ,
        t0=0.0,
        samples=raw[:, 0:3] * SISFALL_G_PER_COUNT,
    )


def _load_sisfall(root: Path, report: ErrorHandler) -> Iterator[Trial]:
    for p in _sisfall_candidates(root):
        if not _SISFALL_NAME.match(p.name):
            continue  # Readme.txt and other notes live beside the trials
        try:
            yield read_sisfall_file(p)
        except RecordingError as err:
            report(err)


# --- CSV trials ----------------------------------------------------------------------------


def activity_from_filename(name: str) -> str:
    """``S01_ADL_Aplausing_1.csv`` -> ``ADL_Aplausing``: drop the subject and trial number;
    ``D13_SA05_R01.csv`` (SisFall's naming) -> ``D13``."""
    sisfall = _SISFALL_STEM.match(Path(name).stem)
    if sisfall:
        return sisfall.group("code")
    parts = Path(name).stem.split("_")
    if len(parts) > 1 and re.fullmatch(r"[A-Za-z]{0,4}\d+", parts[0]):
        parts = parts[1:]
    if len(parts) > 1 and parts[-1].isdigit():
        parts = parts[:-1]
    return "_".join(parts)


def read_csv_trial(path: str | Path, label: Label, subject: str) -> Trial:
    """One CSV trial (``t,ax,ay,az``), resampled to a uniform grid at its median rate."""
    p = Path(path)
    try:
        with p.open(encoding="utf-8", newline="") as fh:
            header = [h.strip().lower() for h in fh.readline().split(",")]
            if header[:4] != ["t", "ax", "ay", "az"]:
                raise RecordingError(p, f"header must be t,ax,ay,az, found {','.join(header)}")
            data = np.loadtxt(fh, delimiter=",", usecols=(0, 1, 2, 3), ndmin=2)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise RecordingError(p, f"unreadable CSV trial: {exc}") from exc
    if len(data) < 2:
        raise RecordingError(p, "fewer than two samples")
    if not np.isfinite(data).all():
        raise RecordingError(p, "non-numeric or infinite values")
    t, xyz = data[:, 0], data[:, 1:4]
    dt = np.diff(t)
    if (dt < 0).any():
        raise RecordingError(p, f"timestamps go backwards at row {int(np.argmax(dt < 0)) + 2}")
    keep = np.concatenate(([True], dt > 0))  # a repeated timestamp adds nothing to interpolate
    t, xyz = t[keep], xyz[keep]
    rate = 1.0 / float(np.median(np.diff(t)))
    if not MIN_RATE_HZ <= rate <= MAX_RATE_HZ:
        raise RecordingError(p, f"sample rate {rate:.1f} Hz is outside {MIN_RATE_HZ}-{MAX_RATE_HZ}")
    n = int(np.floor((t[-1] - t[0]) * rate + 1e-9)) + 1
    grid = t[0] + np.arange(n) / rate
    samples = np.column_stack([np.interp(grid, t, xyz[:, k]) for k in range(3)])
    return Trial(
        name=p.stem,
        subject=subject,
        activity=activity_from_filename(p.name),
        label=label,
        rate_hz=rate,
        t0=float(t[0]),
        samples=samples,
    )


def _read_labels(labels: Path) -> list[tuple[str, Label, str]]:
    try:
        with labels.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise RecordingError(labels, f"unreadable labels file: {exc}") from exc
    if not rows or not {"file", "label", "subject"} <= set(rows[0]):
        raise RecordingError(labels, "labels.csv needs the columns file,label,subject")
    out: list[tuple[str, Label, str]] = []
    for row in rows:
        out.append((row["file"].strip(), row["label"].strip().lower(), row["subject"].strip()))  # type: ignore[arg-type]
    return out


def _load_csv_folder(root: Path, report: ErrorHandler) -> Iterator[Trial]:
    seen: dict[str, tuple[str, str]] = {}
    for name, label, subject in sorted(_read_labels(root / "labels.csv")):
        p = root / name
        if name in seen:
            # One file, one trial: a second line for it would count it twice.
            same = seen[name] == (label, subject)
            why = "listed again in labels.csv" if same else "listed again with another label"
            report(RecordingError(p, f"{why}; counted once"))
            continue
        seen[name] = (label, subject)
        if label not in ("fall", "adl"):
            report(RecordingError(p, f"label must be fall or adl, found {label!r}"))
            continue
        try:
            yield read_csv_trial(p, label, subject)
        except RecordingError as err:
            report(err)


# --- rates ---------------------------------------------------------------------------------


def resample_trial(trial: Trial, rate_hz: float) -> Trial:
    """The trial at ``rate_hz`` if it was recorded faster (unchanged otherwise): low-pass
    filtered (FIR, zero phase) and decimated, as SisFall's 50 Hz release was made."""
    if not MIN_RATE_HZ <= rate_hz <= MAX_RATE_HZ:
        raise RecordingError(
            trial.name, f"rate {rate_hz} Hz is outside {MIN_RATE_HZ}-{MAX_RATE_HZ} Hz"
        )
    if trial.rate_hz <= rate_hz * (1 + 1e-6):
        return trial
    ratio = trial.rate_hz / rate_hz
    if abs(ratio - round(ratio)) < 1e-6:
        x = decimate(trial.samples, round(ratio), ftype="fir", zero_phase=True, axis=0)
        new_rate = trial.rate_hz / round(ratio)
    else:
        up, down = _fraction(rate_hz / trial.rate_hz)
        x = resample_poly(trial.samples, up, down, axis=0)
        new_rate = trial.rate_hz * up / down
    return replace(trial, rate_hz=new_rate, samples=np.ascontiguousarray(x))


def _fraction(ratio: float) -> tuple[int, int]:
    f = Fraction(ratio).limit_denominator(1000)
    return f.numerator, f.denominator
