"""Recording loaders, the fall evaluation and the scorer's fit: synthetic folders always, the
real recordings of ../shared/data when they are present."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from analytics.falls import TRUNK_WEIGHTS, WRIST_WEIGHTS, FallWeights
from eldercare.eval_falls import evaluate_falls, evaluate_loso, fit_recordings, main
from eldercare.fit_falls import balance_point, detected_by, fit_scorer, run_trial
from eldercare.recordings import (
    RecordingError,
    Trial,
    activity_from_filename,
    load_trials,
    read_csv_trial,
    read_sisfall_file,
    resample_trial,
)
from tests.analytics.falls.signals import (
    fall_signal,
    hold,
    lying_down_on_a_bed,
    noisy,
    rolling_over_with_a_thump,
    walk,
)
from tests.support.shared_data import shared_data


def write_csv_trial(path: Path, x: np.ndarray, rate: float, jitter: float = 0.0) -> None:
    t = np.arange(len(x)) / rate
    t = t + np.random.default_rng(1).uniform(-jitter, jitter, len(t)) * (np.arange(len(t)) > 0)
    rows = "\n".join(f"{a:.4f},{b:.5f},{c:.5f},{d:.5f}" for a, (b, c, d) in zip(t, x, strict=True))
    path.write_text("t,ax,ay,az\n" + rows + "\n")


def quiet(rate: float) -> np.ndarray:
    return noisy(np.vstack([walk(5, rate), hold((0.0, 0.0, 1.0), 8, rate)]))


@pytest.fixture
def csv_folder(tmp_path: Path) -> Path:
    rate = 20.4
    write_csv_trial(tmp_path / "S01_Fall_forwardFall_1.csv", fall_signal(rate)[0], rate, 0.01)
    write_csv_trial(tmp_path / "S01_ADL_Walking_1.csv", quiet(rate), rate, jitter=0.01)
    write_csv_trial(tmp_path / "S02_ADL_Walking_2.csv", quiet(rate), rate)
    (tmp_path / "labels.csv").write_text(
        "file,label,subject\n"
        "S01_Fall_forwardFall_1.csv,fall,U01\n"
        "S01_ADL_Walking_1.csv,adl,U01\n"
        "S02_ADL_Walking_2.csv,adl,U02\n"
    )
    return tmp_path


def test_csv_trials_are_evaluated_per_activity_and_per_subject(csv_folder: Path):
    r = evaluate_falls(csv_folder, "waist")
    assert (r["tp"], r["fn"], r["tn"], r["fp"]) == (1, 0, 2, 0)
    assert r["sensitivity"] == 1.0 and r["specificity"] == 1.0
    assert r["trials"] == 3 and r["subjects"] == 2
    assert r["per_activity"]["Fall_forwardFall"]["tp"] == 1
    assert r["per_activity"]["ADL_Walking"]["tn"] == 2
    assert r["per_subject"]["U01"] == {
        "falls": 1,
        "detected": 1,
        "adls": 1,
        "false_alarms": 0,
        "sensitivity": 1.0,
        "specificity": 1.0,
    }
    assert r["per_subject"]["U02"]["sensitivity"] is None  # no falls to miss
    assert r["worst_subject"]["sensitivity"] == {"subject": "U01", "value": 1.0}
    assert r["placement"] == "waist" and r["paths"] == [str(csv_folder)]
    assert r["detector_us_per_batch"] > 0
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


def test_a_trial_listed_twice_counts_once(csv_folder: Path):
    labels = csv_folder / "labels.csv"
    labels.write_text(labels.read_text() + "S01_Fall_forwardFall_1.csv,fall,U01\n")
    r = evaluate_falls(csv_folder, "waist")
    assert (r["trials"], r["tp"]) == (3, 1)
    assert [s["reason"] for s in r["skipped"]] == ["listed again in labels.csv; counted once"]


def test_a_glitch_beyond_the_sensor_range_drops_its_batch_as_the_edge_would(csv_folder: Path):
    trial = read_csv_trial(csv_folder / "S01_Fall_forwardFall_1.csv", "fall", "U01")
    samples = trial.samples.copy()
    samples[20] = (0.0, 104.0, 0.0)  # a reading no wearable can make
    run = run_trial(Trial(**{**trial.__dict__, "samples": samples}), "waist")
    assert run.dropped_batches == 1
    assert len(run.detections) == 1  # the fall later on is still found


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


@pytest.fixture
def sisfall_folder(tmp_path: Path) -> Path:
    subject = tmp_path / "SA01"
    subject.mkdir()
    (subject / "F01_SA01_R01.txt").write_text(sisfall_lines(fall_signal(200.0)[0]))
    (subject / "D07_SA01_R01.txt").write_text(sisfall_lines(noisy(hold((0, -1.0, 0), 12, 200))))
    (subject / "D08_SA01_R01.txt").write_text("garbage;\r\n")
    (tmp_path / "Readme.txt").write_text("not a trial")
    return tmp_path


def test_sisfall_layout_is_recognised_and_converted_to_g(sisfall_folder: Path):
    trials = {t.name: t for t in load_trials(sisfall_folder, on_error=lambda e: None)}
    assert set(trials) == {"F01_SA01_R01", "D07_SA01_R01"}
    still = trials["D07_SA01_R01"]
    assert still.rate_hz == 200.0 and still.label == "adl" and still.subject == "SA01"
    assert np.linalg.norm(still.samples, axis=1).mean() == pytest.approx(1.0, abs=0.02)
    r = evaluate_falls(sisfall_folder, "waist")
    assert (r["tp"], r["fn"], r["tn"], r["fp"]) == (1, 0, 1, 0)
    assert [Path(s["path"]).name for s in r["skipped"]] == ["D08_SA01_R01.txt"]


def test_sisfall_at_200_hz_can_be_evaluated_as_a_50_hz_pendant_would_record_it(sisfall_folder):
    r = evaluate_falls(sisfall_folder, "waist", rate_hz=50)
    assert r["rate_hz"] == 50 and (r["tp"], r["fn"], r["tn"], r["fp"]) == (1, 0, 1, 0)


def test_resampling_keeps_posture_and_removes_what_the_slower_rate_cannot_hold():
    t = np.arange(2000) / 200.0
    hum = 0.3 * np.sin(2 * np.pi * 60.0 * t)  # above a 50 Hz device's 25 Hz limit
    x = np.column_stack([hum, np.zeros_like(t), np.ones_like(t)])
    trial = Trial("D07_SA01_R01", "SA01", "D07", "adl", 200.0, 0.0, x)
    down = resample_trial(trial, 50.0)
    assert down.rate_hz == 50.0 and down.samples.shape == (500, 3)
    assert np.abs(down.samples[20:-20, 2] - 1.0).max() < 1e-3  # gravity stays 1 g
    assert np.abs(down.samples[20:-20, 0]).max() < 0.01  # the 60 Hz hum is filtered out
    slow = Trial("S01_ADL_Walking_1", "U01", "ADL_Walking", "adl", 20.4, 0.0, x[:200])
    assert resample_trial(slow, 50.0) is slow  # never upsampled
    assert resample_trial(trial, 30.0).rate_hz == pytest.approx(30.0)


def test_activity_code_comes_from_the_file_name():
    assert activity_from_filename("S01_ADL_Aplausing_1.csv") == "ADL_Aplausing"
    assert activity_from_filename("S12_Fall_lateralFall_3.csv") == "Fall_lateralFall"
    assert activity_from_filename("D13_SA05_R01.csv") == "D13"  # SisFall's naming
    assert activity_from_filename("F05_SE06_R02.csv") == "F05"


def test_main_prints_the_json_report(csv_folder: Path, capsys):
    assert main([str(csv_folder), "--placement", "chest"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"tp", "fn", "tn", "fp", "sensitivity", "specificity", "per_subject"} <= set(out)
    assert out["placement"] == "chest"
    assert main([str(csv_folder / "no-such-folder")]) == 2


def test_a_fall_is_still_raised_through_jittered_stamps_and_a_lost_message(
    csv_folder: Path, capsys
):
    """`--stream-faults`: the fall of the folder reaches the edge's path as 1-s messages,
    raised as recorded, with start times jittered by +-2 ms, and with each of the messages
    1-4 s after the impact lost in turn (before, the jitter dropped messages as late and one
    lost message ended the stream before the impact could be judged)."""
    assert main([str(csv_folder), "--stream-faults"]) == 0
    report = json.loads(capsys.readouterr().out)
    (row,) = report["folders"].values()
    assert (row["falls"], row["raised"], row["jittered"]) == (1, 1, 1)
    assert row["lost"] == {"1": 1, "2": 1, "3": 1, "4": 1}
    assert main([str(csv_folder), "--stream-faults", "--table"]) == 0
    assert "one lost" in capsys.readouterr().out


def test_a_subject_seen_walking_in_her_recordings_is_known_to_be_lying_when_she_rolls_over(
    tmp_path: Path, capsys
):
    """By default the trunk's detector knows each subject's upright from the walking in her
    recordings (a pendant worn all day): her roll-over in bed is no false alarm. With
    `--fresh-wearable` every trial meets a pendant just put on, which cannot tell."""
    rate = 50.0
    write_csv_trial(tmp_path / "S01_ADL_Walking_1.csv", noisy(walk(30, rate)), rate)
    write_csv_trial(tmp_path / "S01_ADL_Rolling_1.csv", rolling_over_with_a_thump(rate), rate)
    write_csv_trial(tmp_path / "S01_Fall_forward_1.csv", fall_signal(rate)[0], rate)
    (tmp_path / "labels.csv").write_text(
        "file,label,subject\n"
        "S01_ADL_Walking_1.csv,adl,U01\n"
        "S01_ADL_Rolling_1.csv,adl,U01\n"
        "S01_Fall_forward_1.csv,fall,U01\n"
    )
    worn = evaluate_falls(tmp_path, "waist")
    assert (worn["tp"], worn["fp"], worn["wearable"]) == (1, 0, "worn")
    lying = worn["lying_already"]  # what the gate met, for docs/falls.md's figures
    assert lying["falls_found_began_at_most_deg"] < 30  # she fell from walking
    assert (lying["daily_impacts_lying_already"], lying["of_them_a_fall_to_the_scorer"]) == (1, 1)
    assert 85 < lying["those_began_deg"][0] <= lying["those_began_deg"][1] < 95
    assert lying["their_largest_impulse_gs"] < 0.15
    assert main([str(tmp_path), "--fresh-wearable"]) == 0
    fresh = json.loads(capsys.readouterr().out)
    assert (fresh["tp"], fresh["false_alarms"], fresh["wearable"]) == (
        1,
        ["S01_ADL_Rolling_1"],
        "fresh",
    )
    assert main([str(tmp_path), "--loso", "--gates", "30", "--fresh-wearable"]) == 0
    assert json.loads(capsys.readouterr().out)["wearable"] == "fresh"
    assert main([str(tmp_path), "--table"]) == 0
    assert "lying already" in capsys.readouterr().out
    assert main([str(tmp_path), "--stream-faults", "--fresh-wearable"]) == 2
    assert "just put on already" in capsys.readouterr().err


# --- fitting and leave-one-subject-out -----------------------------------------------------


def subjects_folder(folder: Path, count: int) -> Path:
    """``count`` people: each falls twice, lies down on a bed twice and walks once."""
    rate, rows = 50.0, ["file,label,subject"]
    for s in range(1, count + 1):
        trials = {
            "Fall_forward_1": ("fall", noisy(fall_signal(rate)[0], seed=s)),
            "Fall_forward_2": ("fall", noisy(fall_signal(rate, lie_s=10)[0], seed=10 + s)),
            "ADL_Bed_1": ("adl", noisy(lying_down_on_a_bed(rate), seed=20 + s)),
            "ADL_Bed_2": ("adl", noisy(lying_down_on_a_bed(rate), seed=30 + s)),
            "ADL_Walking_1": ("adl", noisy(walk(20, rate), seed=40 + s)),
        }
        for name, (label, x) in trials.items():
            file = f"S0{s}_{name}.csv"
            write_csv_trial(folder / file, x, rate)
            rows.append(f"{file},{label},P{s}")
    (folder / "labels.csv").write_text("\n".join(rows) + "\n")
    return folder


@pytest.fixture
def three_subjects(tmp_path: Path) -> Path:
    return subjects_folder(tmp_path, 3)


def test_leave_one_subject_out_reports_each_subject_and_the_worst(three_subjects: Path):
    r = evaluate_loso(three_subjects, "waist")
    assert r["mode"] == "leave-one-subject-out"
    assert set(r["fold_weights"]) == set(r["per_subject"]) == {"P1", "P2", "P3"}
    assert (r["tp"], r["fn"], r["tn"], r["fp"]) == (6, 0, 9, 0)
    assert r["worst_subject"]["specificity"]["value"] == 1.0
    assert r["subject_mean"] == {"sensitivity": 1.0, "specificity": 1.0}


def test_the_readable_table_has_a_row_per_subject_and_the_worst(three_subjects: Path, capsys):
    assert main([str(three_subjects), "--loso", "--table"]) == 0
    table = capsys.readouterr().out
    for row in ("P1", "P2", "P3", "all", "mean", "worst"):
        assert any(line.strip().startswith(row) for line in table.splitlines()), row
    assert "leave-one-subject-out" in table


def test_fit_gives_weights_that_separate_what_it_was_shown(three_subjects: Path):
    r = fit_recordings(three_subjects, "waist")
    weights = FallWeights(**r["weights"])
    assert weights.turn > 0 and weights.impulse > 0  # a harder hit, a bigger turn: a fall
    assert r["fitted"]["sensitivity"] == 1.0 and r["fitted"]["specificity"] == 1.0
    assert r["python"].startswith("FallWeights(bias=")


def test_the_threshold_sits_at_the_balance_point_of_held_out_scores():
    scores = np.array([3.0, 2.0, 1.0, -np.inf, 0.5, -1.0, -2.0])
    is_fall = np.array([True, True, True, True, False, False, False])
    cut = balance_point(scores, is_fall)
    assert 0.5 < cut <= 1.0  # 3 of 4 falls and 3 of 3 daily activities: the best worst-case
    rng = np.random.default_rng(0)
    falls = [rng.normal([1.0, 0.5], 0.1, (3, 2)) for _ in range(20)]
    adls = [rng.normal([-1.0, -0.5], 0.1, (3, 2)) for _ in range(20)]
    bags = [np.column_stack([b, b]) for b in falls + adls]  # four columns, as the model has
    subjects = [f"P{i % 5}" for i in range(40)]
    w = fit_scorer(bags, [True] * 20 + [False] * 20, subjects)
    assert all(detected_by(b, w) for b in bags[:20])
    assert not any(detected_by(b, w) for b in bags[20:])


# --- the real recordings (read in place, never copied) -------------------------------------


TRUNK = ("sisfall", "sisfall-50hz", "umafall-waist")
# Goals on subjects the model never saw (leave-one-subject-out), per folder.
GOALS = {
    "sisfall": (0.97, 0.98),
    "sisfall-50hz": (0.97, 0.98),
    "umafall-waist": (0.95, 0.95),
    "umafall-wrist": (0.90, 0.90),
}


@pytest.fixture(scope="module")
def trunk_runs():
    from eldercare.eval_falls import run_recordings

    runs, _ = run_recordings([shared_data(name) for name in TRUNK], "waist")
    return runs


@pytest.fixture(scope="module")
def wrist_runs():
    from eldercare.eval_falls import run_recordings

    runs, _ = run_recordings([shared_data("umafall-wrist")], "wrist")
    return runs


def refit(runs) -> FallWeights:
    trials = [run for _, run in runs]
    return fit_scorer(
        [r.fit_bag for r in trials], [r.is_fall for r in trials], [r.trial.subject for r in trials]
    )


def deployed_weights_are_refitted(runs, shipped: FallWeights) -> None:
    """What is fitted is what is deployed: refitting every development recording, with the
    detector's own gates and features, gives back the shipped weights (two decimals)."""
    fitted = refit(runs)
    for name, value in fitted.__dict__.items():
        assert value == pytest.approx(getattr(shipped, name), abs=0.011), name


def streaming_decides_as_the_scorer(runs, shipped: FallWeights) -> None:
    for _, run in runs:
        assert bool(run.detections) == detected_by(run.bag, shipped), run.trial.name


def loso_by_folder(runs) -> dict[str, dict]:
    from eldercare.eval_falls import summarise
    from eldercare.fit_falls import leave_one_subject_out

    detected, _ = leave_one_subject_out([run for _, run in runs])
    by_folder: dict[str, list] = {}
    for (folder, run), d in zip(runs, detected, strict=True):
        by_folder.setdefault(Path(folder).name, []).append((run.trial, d))
    return {name: summarise(outcomes) for name, outcomes in by_folder.items()}


def unseen_subjects_meet_the_goals(runs) -> None:
    """Leave-one-subject-out over every development subject meets the goals in every folder,
    and no subject is left far behind (at least 4 in 5 of their falls found, 4 in 5 of their
    daily activities left alone)."""
    for name, r in loso_by_folder(runs).items():
        sensitivity, specificity = GOALS[name]
        assert r["sensitivity"] >= sensitivity, (name, r["missed"])
        assert r["specificity"] >= specificity, (name, r["false_alarms"])
        worst = r["worst_subject"]
        assert worst["sensitivity"]["value"] >= 0.8, (name, worst)
        assert worst["specificity"]["value"] >= 0.8, (name, worst)


def decimated_to_50_hz_as_at_200_hz(trunk_runs) -> None:
    at_200 = {
        run.trial.name: bool(run.detections) for f, run in trunk_runs if f.endswith("sisfall")
    }
    r = evaluate_falls(shared_data("sisfall"), "waist", rate_hz=50)
    assert r["sensitivity"] >= 0.97 and r["specificity"] >= 0.98
    flipped = set(r["missed"] + r["false_alarms"]) ^ {
        name for name, d in at_200.items() if d != name.startswith("F")
    }
    assert len(flipped) <= 0.01 * len(at_200), sorted(flipped)


def test_the_waist_model_on_every_development_recording(trunk_runs):
    """One test, so that the trunk's 3,971 trials are read and run once (about 45 s), not
    once by each worker that would take one of four tests: the shipped weights are what
    refitting them gives; the streaming detector decides as the fitted scorer; subjects
    the model never saw meet the goals; SisFall decimated to a pendant's 50 Hz is detected
    as at 200 Hz."""
    deployed_weights_are_refitted(trunk_runs, TRUNK_WEIGHTS)
    streaming_decides_as_the_scorer(trunk_runs, TRUNK_WEIGHTS)
    unseen_subjects_meet_the_goals(trunk_runs)
    decimated_to_50_hz_as_at_200_hz(trunk_runs)


def test_the_wrist_model_on_every_development_recording(wrist_runs):
    """The same for the bracelet (no decimation: UMAFall's wrist is recorded at ~20 Hz)."""
    deployed_weights_are_refitted(wrist_runs, WRIST_WEIGHTS)
    streaming_decides_as_the_scorer(wrist_runs, WRIST_WEIGHTS)
    unseen_subjects_meet_the_goals(wrist_runs)


def test_the_turn_gate_can_be_set_and_chosen_per_held_out_subject(tmp_path: Path, capsys):
    """`--gate` replaces the placement's turn gate (a gate no fall reaches finds none);
    `--loso --gates` chooses one per held-out subject, on the others alone, and says
    which."""
    folder = subjects_folder(tmp_path, 4)
    assert main([str(folder), "--gate", "179"]) == 0
    assert json.loads(capsys.readouterr().out)["tp"] == 0
    assert main([str(folder), "--loso", "--gates", "179,30"]) == 0
    nested = json.loads(capsys.readouterr().out)
    assert nested["chosen_gate"] == dict.fromkeys(("P1", "P2", "P3", "P4"), 30.0)
    assert (nested["tp"], nested["fn"], nested["fp"]) == (8, 0, 0)
    assert main([str(folder), "--gates", "20,30"]) == 2  # a choice needs --loso
    assert "--loso" in capsys.readouterr().err
