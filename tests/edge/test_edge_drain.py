"""The drain of one or many homes' outboxes, and the settings every edge runs with."""

from __future__ import annotations

import pytest

from edge import EdgeSettings, HomePipeline, Outbox
from edge.drain import RoundRobinDrain
from simulators.homes import make_home_configs

CONFIGS = make_home_configs(3, seed=11)


@pytest.fixture
def pipelines(tmp_path):
    opened = {
        c.home: HomePipeline(c, Outbox(tmp_path / c.home / "outbox.db", c.home), data_dir=tmp_path)
        for c in CONFIGS
    }
    yield opened
    for pipeline in opened.values():
        pipeline.outbox.close()


def telemetry(pipeline: HomePipeline, items: int) -> None:
    topic = pipeline.topics.telemetry
    pipeline.outbox.put_many([("telemetry", topic, {"n": n}) for n in range(items)])


def event(pipeline: HomePipeline) -> None:
    pipeline.outbox.put("event", pipeline.topics.event, {"kind": "sos"})


def sent(window) -> list[tuple[str, str]]:
    return [(home, item.kind) for home, items in window for item in items]


def test_a_backlog_in_one_home_does_not_hold_back_another_homes_event(pipelines):
    h1, h2, _ = pipelines.values()
    telemetry(h1, 300)  # an uplink outage's worth of telemetry
    event(h2)
    drain = RoundRobinDrain(pipelines, window=100, per_home_turn=20)
    drain.mark(h1.home)
    drain.mark(h2.home)
    first = sent(drain.next_window())
    assert first == [(h1.home, "telemetry")] * 20 + [(h2.home, "event")]


def test_a_home_alone_in_line_fills_the_window_and_acked_items_leave_its_outbox(pipelines):
    h1, *_ = pipelines.values()
    telemetry(h1, 250)
    drain = RoundRobinDrain(pipelines, window=100, per_home_turn=20)
    drain.mark(h1.home)  # new telemetry; the other homes have nothing new
    window = drain.next_window()
    assert sent(window) == [(h1.home, "telemetry")] * 100
    drain._forget({h1.home: [item.seq for item in window[0][1]]})
    assert h1.outbox.depth().telemetry == 150 and drain.published == 100
    assert len(sent(drain.next_window())) == 100  # it is back in line: more to send


def test_the_single_home_of_an_agent_drains_a_whole_window_at_a_time(pipelines):
    h1, *_ = pipelines.values()
    telemetry(h1, 150)
    event(h1)
    drain = RoundRobinDrain({h1.home: h1}, window=100, per_home_turn=20)
    drain.mark_all()  # at connect
    assert sent(drain.next_window()) == [(h1.home, "event")] + [(h1.home, "telemetry")] * 99


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"drain_window": 0}, "drain_window"),
        ({"tick_every_s": 0}, "tick_every_s"),
        ({"prefix": "eldercare/#"}, "prefix"),
        ({"reconnect_first_s": 5, "reconnect_max_s": 1}, "reconnect_max_s"),
        ({"local": "http://x"}, "http://x"),
    ],
)
def test_settings_that_cannot_work_are_refused_saying_which(tmp_path, change, named):
    options = {"local": "mqtt://127.0.0.1:1", "uplink": "mqtt://127.0.0.1:1", **change}
    with pytest.raises(ValueError, match=named):
        EdgeSettings(data_dir=tmp_path, **options)
