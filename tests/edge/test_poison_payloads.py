"""No payload breaks the codec or a home's pipeline: generated, mutated and hand-picked
poison is refused and counted, and the next good message is handled as if nothing happened.

Here with the edge: the codec is exercised through the home's pipeline, which must survive it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from contracts.reading import Reading
from devices import ClockLimits, PayloadError, decode
from edge.outbox import Outbox
from edge.pipeline import HomePipeline
from tests.support.poison import EXAMPLES, NOW, POISON, device_topics, every_model_home, payloads

CONFIG = every_model_home()
TOPICS = device_topics(CONFIG)
ODD_TOPICS = [
    "zigbee2mqtt/bridge/state",
    "zigbee2mqtt/z0/availability",
    "zigbee2mqtt/nobody",
    "zigbee2mqtt/",
    "eldercare/v1/h999/dev/d0/up",
    "eldercare/v1/h001/dev/d0/down",
    "eldercare/v1/h001/dev//up",
    "",
    "/",
    "#",
    "zigbee2mqtt/" + "a/" * 500,
]
topics = st.sampled_from(TOPICS) | st.sampled_from(ODD_TOPICS) | st.text(max_size=40)
clocks = st.sampled_from([ClockLimits(), ClockLimits.unbounded()])
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def check_decoded(topic: str, payload: bytes | str, clock: ClockLimits) -> None:
    try:
        decoded = decode(topic, payload, CONFIG, received_at=NOW, clock=clock)
    except PayloadError as error:
        # A problem the codec names: "undecodable" would be an exception it did not expect.
        assert error.problem != "undecodable", repr(error.__cause__)
        assert error.topic == topic or error.problem == "undecodable"
        return
    for reading in decoded.readings:
        assert isinstance(reading, Reading) and reading.home == CONFIG.home
    for refused in decoded.rejected:
        assert isinstance(refused, PayloadError) and refused.problem != "undecodable"


@pytest.mark.parametrize("name", sorted(POISON))
@pytest.mark.parametrize("topic", [TOPICS[0], TOPICS[-1], "zigbee2mqtt/any_sos_button"])
def test_the_known_poison_is_a_payload_error(name, topic):
    check_decoded(topic, POISON[name], ClockLimits())


def test_poison_names_its_problem():
    problems = {}
    for name in ("nesting 2000 deep", "battery of 400 digits", "invalid UTF-8", "oversized"):
        with pytest.raises(PayloadError) as caught:
            decode("zigbee2mqtt/any_sos_button", POISON[name], CONFIG, received_at=NOW)
        problems[name] = (caught.value.problem, caught.value.reason)
    assert problems["nesting 2000 deep"] == ("malformed_json", "nested deeper than 32 levels")
    assert problems["battery of 400 digits"][1].startswith("a number written with 400")
    assert problems["invalid UTF-8"][0] == "malformed_json"
    assert problems["oversized"][0] == "oversized"


def test_nan_is_no_data_for_that_value_and_keeps_the_rest():
    decoded = decode(
        "zigbee2mqtt/any_door",
        b'{"contact": false, "battery": NaN}',
        CONFIG,
        received_at=NOW,
    )
    assert [(r.metric, r.value) for r in decoded.readings] == [("contact", "open")]
    assert [(e.problem, e.field) for e in decoded.rejected] == [("no_data", "battery")]


@FUZZ
@given(topic=topics, payload=payloads, clock=clocks)
def test_decode_raises_nothing_but_payload_error(topic, payload, clock):
    check_decoded(topic, payload, clock)


@FUZZ
@given(topic=st.sampled_from(TOPICS), payload=payloads)
def test_decode_takes_text_payloads_too(topic, payload):
    check_decoded(topic, payload.decode("utf-8", "surrogateescape"), ClockLimits.unbounded())


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> HomePipeline:
    data = Path(tmp_path_factory.mktemp("edge"))
    outbox = Outbox(data / "outbox.db", CONFIG.home)
    yield HomePipeline(CONFIG, outbox, data_dir=data, clock=ClockLimits.unbounded())
    outbox.close()


@FUZZ
@given(topic=topics, payload=payloads)
def test_the_local_handler_raises_nothing(pipeline, topic, payload):
    before = pipeline.counts.messages
    pipeline.handle_local(topic, payload, NOW)
    assert pipeline.counts.messages == before + 1
    assert "undecodable" not in pipeline.counts.refused
    assert pipeline.counts.internal_errors == 0


def test_after_the_poison_an_sos_is_an_event(tmp_path):
    with Outbox(tmp_path / "outbox.db", CONFIG.home) as outbox:
        pipeline = HomePipeline(CONFIG, outbox, data_dir=tmp_path)
        received = datetime.now(UTC)
        for payload in POISON.values():
            for topic in TOPICS:
                assert pipeline.handle_local(topic, payload, received) == []
        events = pipeline.handle_local(
            "zigbee2mqtt/any_sos_button", b'{"action": "emergency"}', received
        )
        assert [(e.kind, e.state) for e in events] == [("sos", "raised")]
        assert outbox.depth().events == 1
        status = pipeline.status("online")
        # Deep nesting (twice), 400 digits, invalid UTF-8, empty and truncated: not JSON
        # the edge takes, on every topic.
        assert status["refused"]["malformed_json"] == 6 * len(TOPICS)
        assert status["refused"]["oversized"] == len(TOPICS)
        assert status["counts"]["messages"] == len(POISON) * len(TOPICS) + 1
        assert status["counts"]["internal_errors"] == status["counts"]["detector_errors"] == 0


@pytest.fixture(scope="module")
def hosted(tmp_path_factory):
    from edge import EdgeSettings, HostedEdges

    configs = [every_model_home("h001"), every_model_home("h002")]
    settings = EdgeSettings(
        local="mqtt://127.0.0.1:1",
        uplink="mqtt://127.0.0.1:1",
        data_dir=Path(tmp_path_factory.mktemp("hosted")),
        clock=ClockLimits.unbounded(),
    )
    edges = HostedEdges(configs, settings)
    yield edges
    edges.close()


hosted_topics = st.one_of(
    st.sampled_from(["h001", "h002", "h003", "", "hosted"]).flatmap(
        lambda home: st.sampled_from(
            [f"zigbee2mqtt/{home}/{t.removeprefix('zigbee2mqtt/')}" for t in TOPICS]
            + [t.replace("/h001/", f"/{home}/") for t in TOPICS]
        )
    ),
    topics,
)


@FUZZ
@given(topic=hosted_topics, payload=payloads)
def test_a_hosted_process_routes_anything_without_raising(hosted, topic, payload):
    import aiomqtt

    try:
        message = aiomqtt.Message(topic, payload, 1, False, 1, None)
    except ValueError:  # a topic no broker delivers (wildcards, empty)
        reject()
    before = hosted.messages_handled + hosted.unrouted
    hosted._on_local(message)
    assert hosted.messages_handled + hosted.unrouted == before + 1
    for pipeline in hosted.pipelines.values():
        assert pipeline.counts.internal_errors == 0
        assert "undecodable" not in pipeline.counts.refused


def test_a_broken_detector_costs_only_itself(tmp_path):
    from analytics.detector import Detector
    from analytics.monitor import default_detectors

    class Broken(Detector):
        """A detector with a bug: it fails on everything it is given."""

        name = "broken"
        kinds = ("broken",)

        def feed(self, reading):
            raise ZeroDivisionError("a bug")

        def advance(self, now):
            raise KeyError("another bug")

    with Outbox(tmp_path / "outbox.db", CONFIG.home) as outbox:
        pipeline = HomePipeline(
            CONFIG, outbox, data_dir=tmp_path, detectors=(Broken, *default_detectors())
        )
        received = datetime.now(UTC)
        events = pipeline.handle_local(
            "zigbee2mqtt/any_sos_button", b'{"action": "emergency"}', received
        )
        assert [(e.kind, e.state) for e in events] == [("sos", "raised")]
        assert outbox.depth().events == 1
        assert pipeline.tick(received.timestamp() + 60) == []  # the clock goes on for the rest
        status = pipeline.status("online")
        assert status["counts"]["detector_errors"] == 3  # advance and feed, then advance
        assert status["counts"]["internal_errors"] == 0
        assert pipeline.save_detectors(tmp_path / "detectors.json")
