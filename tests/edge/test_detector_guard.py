"""A bug in one detector, or in the whereabouts model the activity detectors share, costs
only what depends on it (edge/detector_guard.py): the SOS and the falls still come through."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from analytics.activity.base import ActivityDetector
from analytics.monitor import default_detectors
from analytics.whereabouts import Whereabouts
from edge.outbox import Outbox
from edge.pipeline import HomePipeline
from tests.support.factories import device_messages, make_home

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
