"""A bug in one detector, or in the whereabouts model the activity detectors share, costs
only what depends on it (edge/detector_guard.py): the SOS and the falls still come through,
and the others' states are still saved, restored and kept across a pushed config."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from analytics.activity.base import ActivityDetector
from analytics.detector import Detector
from analytics.monitor import HomeMonitor, default_detectors
from analytics.whereabouts import Whereabouts
from edge.outbox import Outbox
from edge.pipeline import HomePipeline
from tests.support.factories import device_messages, home_config, make_home

CONFIG = make_home()  # a fall radar, an SOS button and a bracelet


class BrokenActivity(ActivityDetector):
    """An activity detector with a bug: it fails whatever the model tells it."""

    name = "broken_activity"
    kind = "broken_activity"
    kinds = ("broken_activity",)

    def learn(self, observation):
        raise ZeroDivisionError("a bug in learn")

    def check(self, upto):
        raise ZeroDivisionError("a bug in check")


def handle(pipeline: HomePipeline, device: str, metric: str, value) -> list[tuple[str, str]]:
    events = []
    for topic, payload in device_messages(device, metric, value, home=CONFIG):
        events += pipeline.handle_local(topic, payload, datetime.now(UTC))
    return [(e.kind, e.state) for e in events]


@pytest.fixture
def outbox(tmp_path: Path):
    with Outbox(tmp_path / "outbox.db", CONFIG.home) as outbox:
        yield outbox


def test_a_broken_activity_detector_does_not_silence_the_sos_or_a_fall(tmp_path, outbox):
    pipeline = HomePipeline(
        CONFIG, outbox, data_dir=tmp_path, detectors=(BrokenActivity, *default_detectors())
    )
    assert handle(pipeline, "sos_bed", "sos", True) == [("sos", "raised")]
    assert handle(pipeline, "radar_bath", "fall_state", "fall") == [("fall", "raised")]
    assert outbox.depth().events == 2
    assert pipeline.counts.detector_errors > 0
    assert pipeline.counts.internal_errors == 0


def test_a_bug_in_the_whereabouts_model_costs_no_sos_or_fall(tmp_path, outbox, monkeypatch):
    def broken(self, *args):
        raise KeyError("a bug in the whereabouts model")

    monkeypatch.setattr(Whereabouts, "observe", broken)
    monkeypatch.setattr(Whereabouts, "advance", broken)
    pipeline = HomePipeline(CONFIG, outbox, data_dir=tmp_path)
    assert handle(pipeline, "sos_bed", "sos", True) == [("sos", "raised")]
    assert handle(pipeline, "radar_bath", "fall_state", "fall") == [("fall", "raised")]
    assert pipeline.tick(datetime.now(UTC).timestamp() + 60) == []  # the clock goes on
    assert outbox.depth().events == 2
    assert pipeline.status("online")["counts"]["detector_errors"] > 0


class UnsavableDetector(Detector):
    """A detector with a bug in its state_dict."""

    name = "unsavable"
    kinds = ("unsavable",)

    def state_dict(self):
        raise ZeroDivisionError("a bug in state_dict")


def test_a_detector_that_cannot_save_its_state_blocks_no_config_and_no_save(tmp_path, outbox):
    pipeline = HomePipeline(
        CONFIG, outbox, data_dir=tmp_path, detectors=(UnsavableDetector, *default_detectors())
    )
    assert handle(pipeline, "sos_bed", "sos", True) == [("sos", "raised")]

    pushed = json.dumps(home_config(station="st-other")).encode()
    assert pipeline.apply_config(pushed), pipeline.config_state
    assert pipeline.config.station == "st-other"
    assert pipeline.save_detectors(tmp_path / "detectors.json")
    assert pipeline.counts.detector_errors == 2  # its state for the config, then for the save
    assert pipeline.counts.internal_errors == 0
    saved = json.loads((tmp_path / "detectors.json").read_text())
    assert saved["detectors"]["sos"]["presses"] == 1  # kept across the pushed config
    assert saved["detectors"]["unsavable"] is None  # it starts fresh when restored

    restored = HomePipeline(
        pipeline.config,
        outbox,
        data_dir=tmp_path,
        detectors=(UnsavableDetector, *default_detectors()),
    )
    assert restored.restore_detectors(tmp_path / "detectors.json")
    assert restored.counts.detector_errors == 0
    assert restored.monitor.state_dict()["detectors"]["sos"]["presses"] == 1


@pytest.mark.parametrize("broken", ["fall", "whereabouts"])
def test_a_saved_state_one_part_cannot_take_drops_only_that_parts_state(tmp_path, outbox, broken):
    pipeline = HomePipeline(CONFIG, outbox, data_dir=tmp_path)
    assert handle(pipeline, "sos_bed", "sos", True) == [("sos", "raised")]
    assert pipeline.save_detectors(tmp_path / "detectors.json")
    saved = json.loads((tmp_path / "detectors.json").read_text())
    if broken == "whereabouts":
        saved["whereabouts"] = {"a state of": "another version"}
    else:
        saved["detectors"][broken] = {"a state of": "another version"}
    (tmp_path / "detectors.json").write_text(json.dumps(saved))

    restored = HomePipeline(CONFIG, outbox, data_dir=tmp_path)
    assert restored.restore_detectors(tmp_path / "detectors.json")
    state = restored.monitor.state_dict()
    assert state["detectors"]["sos"]["presses"] == 1  # the open SOS resumes
    fresh = HomeMonitor(CONFIG).state_dict()
    if broken == "whereabouts":
        assert state["whereabouts"] == fresh["whereabouts"]
    else:
        assert state["detectors"][broken] == fresh["detectors"][broken]
    assert restored.counts.detector_errors == 1
