"""A config pushed by the hub is applied or refused, whatever its bytes: never an exception,
and a refused one leaves the last good config (and the detectors) as they were."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import HomeMonitor
from contracts.errors import HomeConfigError
from contracts.home import HomeConfig
from contracts.reading import Reading
from edge.config_store import MAX_CONFIG_BYTES, load_preferred, parse_pushed
from edge.outbox import Outbox
from edge.pipeline import HomePipeline
from tests.support.poison import EXAMPLES, bad_configs, edge_home, json_values

GOOD = edge_home("h001")
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    data = Path(tmp_path_factory.mktemp("edge"))
    outbox = Outbox(data / "outbox.db", "h001")
    yield HomePipeline(HomeConfig.model_validate(GOOD), outbox, data_dir=data)
    outbox.close()


@pytest.mark.parametrize("name", sorted(bad_configs("h001")))
def test_every_bad_config_is_refused_with_a_reason(name, pipeline):
    before = pipeline.config
    assert pipeline.apply_config(bad_configs("h001")[name]) is False
    assert pipeline.config_state.state == "refused" and pipeline.config_state.reason
    assert pipeline.config is before and pipeline.monitor.config is before


def test_a_yaml_config_with_flow_style_is_still_taken():
    text = "home: h001\nstation: st1\nresident: {name: 王秀英, birth_year: 1942}\n"
    assert parse_pushed(text.encode(), source="test").home == "h001"
    assert parse_pushed(b"{home: h001, station: st1, resident: {name: x, birth_year: 1942}}",
                        source="test").station == "st1"  # fmt: skip


def test_the_limits_are_named_in_the_reason():
    cases = {
        b"x: " + b"y" * MAX_CONFIG_BYTES: "bytes (at most",
        b"a:\n" + b"".join(b" " * i + b"a:\n" for i in range(1, 60)): "nested deeper",
        b"a: &x 1\nb: *x\n": "anchors and aliases",
        json.dumps({**GOOD, "thresholds": {"sos": {"same_call_s": 10**400}}}).encode(): "40)",
    }
    for payload, reason in cases.items():
        with pytest.raises(HomeConfigError, match=re.escape(reason)):
            parse_pushed(payload, source="test")


@st.composite
def configs(draw: st.DrawFn) -> bytes:
    """A good config with parts replaced, as JSON or YAML, possibly with bytes mutated."""
    document = dict(GOOD)
    for key in draw(st.lists(st.sampled_from([*GOOD, "thresholds", "night", "x"]), max_size=3)):
        document[key] = draw(json_values)
    if draw(st.booleans()):
        document["thresholds"] = draw(st.dictionaries(st.text(max_size=12), json_values))
    text = json.dumps(document, allow_nan=True, ensure_ascii=False)
    payload = bytearray(text.encode("utf-8", "surrogatepass"))
    for _ in range(draw(st.integers(0, 3))):
        if payload:
            at = draw(st.integers(0, len(payload) - 1))
            payload[at : at + 1] = draw(st.sampled_from([b"[", b"{", b"&a ", b"*a", b":", b"\n"]))
    return bytes(payload)


@FUZZ
@given(
    payload=configs() | st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode())
)
def test_any_bytes_are_applied_or_refused_never_raised(pipeline, payload):
    previous = pipeline.config
    applied = pipeline.apply_config(payload)
    if applied:
        assert pipeline.config.home == "h001"
    else:
        assert pipeline.config == previous and pipeline.config_state.state == "refused"
    assert pipeline.monitor.config == pipeline.config


def test_an_unusable_saved_config_is_ignored_at_start(tmp_path):
    given = HomeConfig.model_validate(GOOD)
    (tmp_path / "config.json").write_bytes(b"[" * 5000 + b"]" * 5000)
    assert load_preferred(given, tmp_path) is given


def learned_state(config: HomeConfig) -> dict:
    """A state with her routine learned by the clock (up at 07:00, to bed at 22:00) and
    an SOS open."""
    monitor = HomeMonitor(config)
    press = Reading(ts=1767600000, home="h001", device="sos_bed", metric="sos", value=True)
    monitor.feed(press)
    state = monitor.state_dict()
    state["whereabouts"]["day"].update(wakes=[7.0] * 5, bedtimes=[10.0] * 5)
    return state


def routine(pipeline: HomePipeline) -> tuple[list[float], list[float], bool]:
    day = pipeline.monitor.whereabouts.day
    sos = next(d for d in pipeline.monitor.detectors if d.name == "sos")
    return day.wakes, day.bedtimes, sos.condition.is_open


def test_a_pushed_time_zone_learns_her_routine_by_the_clock_again(tmp_path):
    shanghai = HomeConfig.model_validate(GOOD)
    (tmp_path / "detectors.json").write_text(json.dumps(learned_state(shanghai)))
    with Outbox(tmp_path / "outbox.db", "h001") as outbox:
        pipeline = HomePipeline(shanghai, outbox, data_dir=tmp_path)
        assert pipeline.restore_detectors(tmp_path / "detectors.json")
        assert routine(pipeline) == ([7.0] * 5, [10.0] * 5, True)
        # Another threshold, the same zone: all carries over.
        assert pipeline.apply_config(json.dumps({**GOOD, "thresholds": {"sos": {}}}).encode())
        assert routine(pipeline) == ([7.0] * 5, [10.0] * 5, True)
        assert pipeline.apply_config(json.dumps({**GOOD, "timezone": "Europe/Amsterdam"}).encode())
        assert routine(pipeline) == ([], [], True)
        assert pipeline.monitor.whereabouts.learning_from == 1767600000


def test_a_state_saved_under_the_old_zone_is_not_read_by_the_new_clock_at_start(tmp_path):
    # The pushed config was saved, the edge stopped before its detectors were again.
    amsterdam = HomeConfig.model_validate({**GOOD, "timezone": "Europe/Amsterdam"})
    saved = learned_state(HomeConfig.model_validate(GOOD))
    (tmp_path / "detectors.json").write_text(json.dumps(saved))
    with Outbox(tmp_path / "outbox.db", "h001") as outbox:
        pipeline = HomePipeline(amsterdam, outbox, data_dir=tmp_path)
        assert pipeline.restore_detectors(tmp_path / "detectors.json")
        assert routine(pipeline) == ([], [], True)
