"""Recording loaders and the fall evaluation: synthetic folders always, real data when present."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from eldercare.eval_falls import evaluate_falls, leave_one_subject_out, main
from eldercare.recordings import (
    RecordingError,
    activity_from_filename,
    load_trials,
    read_csv_trial,
    read_sisfall_file,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


# Small hand-built signals (the detector's own tests have richer ones).
def hold(vec, seconds: float, rate: float) -> np.ndarray:
    return np.tile(np.asarray(vec, dtype=float), (round(seconds * rate), 1))


def noisy(x: np.ndarray, sd: float = 0.01) -> np.ndarray:
    return x + np.random.default_rng(0).normal(0.0, sd, x.shape)


def walk(seconds: float, rate: float) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return np.column_stack(
        [np.zeros_like(t), 0.15 * np.sin(2 * np.pi * t), 1.0 + 0.35 * np.sin(4 * np.pi * t)]
    )


def fall_signal(rate: float) -> np.ndarray:
    """Walk, free fall, a ~4.3 g impact, then lying still on the side."""
    w = np.linspace(0.0, 1.0, round(0.4 * rate))[:, None]
    free_fall = (1 - w) * np.array([0.0, 0.0, 1.0]) + w * np.array([0.2, 0.0, 0.3])
    return noisy(
        np.vstack(
            [walk(6, rate), free_fall, hold((3.0, 0.5, 3.0), 0.1, rate), hold((1, 0, 0), 12, rate)]
        )
    )


def write_csv_trial(path: Path, x: np.ndarray, rate: float, jitter: float = 0.0) -> None:
    t = np.arange(len(x)) / rate
    t = t + np.random.default_rng(1).uniform(-jitter, jitter, len(t)) * (np.arange(len(t)) > 0)
    rows = "\n".join(f"{a:.4f},{b:.5f},{c:.5f},{d:.5f}" for a, (b, c, d) in zip(t, x, strict=True))
    path.write_text("t,ax,ay,az\n" + rows + "\n")


@pytest.fixture
def csv_folder(tmp_path: Path) -> Path:
    rate = 20.4
    fall = fall_signal(rate)
    quiet = noisy(np.vstack([walk(5, rate), hold((0.0, 0.0, 1.0), 8, rate)]))
    write_csv_trial(tmp_path / "S01_Fall_forwardFall_1.csv", fall, rate, jitter=0.01)
    write_csv_trial(tmp_path / "S01_ADL_Walking_1.csv", quiet, rate, jitter=0.01)
    write_csv_trial(tmp_path / "S02_ADL_Walking_2.csv", quiet, rate)
    (tmp_path / "labels.csv").write_text(
        "file,label,subject\n"
        "S01_Fall_forwardFall_1.csv,fall,U01\n"
        "S01_ADL_Walking_1.csv,adl,U01\n"
        "S02_ADL_Walking_2.csv,adl,U02\n"
    )
    return tmp_path


def test_csv_trials_are_evaluated_per_activity(csv_folder: Path):
    r = evaluate_falls(csv_folder, "waist")
    assert (r["tp"], r["fn"], r["tn"], r["fp"]) == (1, 0, 2, 0)
    assert r["sensitivity"] == 1.0 and r["specificity"] == 1.0
    assert r["trials"] == 3
    assert r["per_activity"]["Fall_forwardFall"]["tp"] == 1
    assert r["per_activity"]["ADL_Walking"]["tn"] == 2
    assert r["placement"] == "waist" and r["path"] == str(csv_folder)
    json.dumps(r)


def test_irregular_csv_timestamps_are_resampled_to_a_uniform_rate(csv_folder: Path):
    trial = read_csv_trial(csv_folder / "S01_ADL_Walking_1.csv", "adl", "U01")
    assert trial.rate_hz == pytest.approx(20.4, rel=0.02)
    assert trial.samples.shape[1] == 3
    assert trial.duration_s == pytest.approx(13.0, abs=0.2)
    assert trial.activity == "ADL_Walking"


def test_a_bad_trial_is_reported_and_skipped_not_fatal(csv_folder: Path):
    (csv_folder / "S03_ADL_Walking_1.csv").write_text("t,ax,ay,az\n0.0,1,2,x\n0.05,oops\n")
    (csv_folder / "labels.csv").write_text(
        (csv_folder / "labels.csv").read_text()
        + "S03_ADL_Walking_1.csv,adl,U03\nmissing.csv,fall,U03\n"
    )
    r = evaluate_falls(csv_folder, "waist")
    assert r["trials"] == 3
    reasons = {Path(s["path"]).name: s["reason"] for s in r["skipped"]}
    assert set(reasons) == {"S03_ADL_Walking_1.csv", "missing.csv"}
    assert "unreadable" in reasons["S03_ADL_Walking_1.csv"]


def test_unreadable_files_raise_a_recording_error_with_path_and_reason(tmp_path: Path):
    bad = tmp_path / "D01_SA01_R01.txt"
    bad.write_text("1,2,3;\r\n4,5,6;\r\n")
    with pytest.raises(RecordingError) as err:
        read_sisfall_file(bad)
    assert err.value.path == str(bad)
    assert "9 columns" in err.value.reason
    header = tmp_path / "trial.csv"
    header.write_text("time,x,y,z\n0,0,0,1\n")
    with pytest.raises(RecordingError, match="t,ax,ay,az"):
        read_csv_trial(header, "adl", "U1")
    with pytest.raises(RecordingError, match="not a folder"):
        list(load_trials(tmp_path / "nowhere"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(RecordingError, match="neither a SisFall layout"):
        list(load_trials(tmp_path / "empty"))


def sisfall_lines(x_g: np.ndarray) -> str:
    raw = np.round(x_g * 256).astype(int)  # ADXL345 +-16 g, 13 bit: 256 counts per g
    other = np.zeros((len(raw), 6), dtype=int)
    rows = np.hstack([raw, other])
    return "".join(",".join(f"{v:4d}" for v in r) + ";\r\n" for r in rows) + " "


def test_sisfall_layout_is_recognised_and_converted_to_g(tmp_path: Path):
    subject = tmp_path / "SA01"
    subject.mkdir()
    fall = fall_signal(200.0)
    (subject / "F01_SA01_R01.txt").write_text(sisfall_lines(fall))
    (subject / "D07_SA01_R01.txt").write_text(sisfall_lines(noisy(hold((0, -1.0, 0), 12, 200))))
    (subject / "D08_SA01_R01.txt").write_text("garbage;\r\n")
    (tmp_path / "Readme.txt").write_text("not a trial")
    trials = {t.name: t for t in load_trials(tmp_path, on_error=lambda e: None)}
    assert set(trials) == {"F01_SA01_R01", "D07_SA01_R01"}
    still = trials["D07_SA01_R01"]
    assert still.rate_hz == 200.0 and still.label == "adl" and still.subject == "SA01"
    assert np.linalg.norm(still.samples, axis=1).mean() == pytest.approx(1.0, abs=0.02)
    r = evaluate_falls(tmp_path, "waist")
    assert (r["tp"], r["fn"], r["tn"], r["fp"]) == (1, 0, 1, 0)
    assert [Path(s["path"]).name for s in r["skipped"]] == ["D08_SA01_R01.txt"]


def test_activity_code_comes_from_the_file_name():
    assert activity_from_filename("S01_ADL_Aplausing_1.csv") == "ADL_Aplausing"
    assert activity_from_filename("S12_Fall_lateralFall_3.csv") == "Fall_lateralFall"


def test_main_prints_the_json_report(csv_folder: Path, capsys):
    assert main([str(csv_folder), "--placement", "chest"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"tp", "fn", "tn", "fp", "sensitivity", "specificity", "per_activity"} <= set(out)
    assert out["placement"] == "chest"
    assert main([str(csv_folder / "no-such-folder")]) == 2


# --- the real recordings (read in place, never copied) -------------------------------------


def real(name: str) -> Path:
    path = DATA / name
    if not path.is_dir():
        pytest.skip(f"real recordings not available: {path} is absent (see shared/data/README.md)")
    return path


@pytest.mark.parametrize(
    ("name", "placement", "min_sensitivity", "min_specificity"),
    [
        ("sisfall", "waist", 0.97, 0.98),
        ("umafall-waist", "waist", 0.95, 0.95),
        ("umafall-wrist", "wrist", 0.90, 0.90),
    ],
)
def test_quality_on_real_recordings(name, placement, min_sensitivity, min_specificity):
    r = evaluate_falls(real(name), placement)
    assert r["skipped"] == []
    assert r["sensitivity"] >= min_sensitivity, r["missed"]
    assert r["specificity"] >= min_specificity, r["false_alarms"]


def test_weights_refitted_without_each_subject_still_generalise():
    r = leave_one_subject_out(real("umafall-wrist"), "wrist")
    assert set(r["fold_weights"]) == {"UMA01", "UMA02", "UMA04", "UMA05", "UMA06"}
    assert r["sensitivity"] >= 0.9 and r["specificity"] >= 0.9


def test_deployed_weights_are_what_the_recordings_refit_to():
    """What is fitted is what is deployed: refitting on the same recordings, with the
    detector's own gates and impact channel, gives back the weights in analytics.fall."""
    from analytics.fall import TRUNK_WEIGHTS, WRIST_WEIGHTS
    from eldercare.eval_falls import fit_weights

    wrist = fit_weights(list(load_trials(real("umafall-wrist"))), "wrist")
    for name, value in wrist.__dict__.items():  # two decimals, bias at the balance point
        assert round(value, 2) == pytest.approx(getattr(WRIST_WEIGHTS, name)), name
    trials = list(load_trials(real("sisfall"))) + list(load_trials(real("umafall-waist")))
    trunk = fit_weights(trials, "waist")
    for name in ("peak", "orientation", "motion", "prominence"):  # one decimal
        assert round(getattr(trunk, name), 1) == pytest.approx(getattr(TRUNK_WEIGHTS, name)), name
    # the trunk's operating point sits a little above the fitted balance point
    assert -0.5 < TRUNK_WEIGHTS.bias - trunk.bias < 0.0
