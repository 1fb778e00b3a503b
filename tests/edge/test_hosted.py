"""Hosted edges against two real Mosquittos: many homes over one connection each way."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import aiomqtt
import pytest

from contracts.home import HomeConfig
from edge import EdgeSettings
from edge.hosted import HostedEdges, TopicRouter
from simulators.homes import make_home_configs
from simulators.payloads import encode
from tests.support import factories
from tests.support.mqtt import WAIT, Collector, publish, raised, running, until

PREFIX = "eldercare/v1"
CONFIGS = make_home_configs(3, seed=11)


def messages_of(home: HomeConfig, device: str, metric: str, value: Any):
    reading = factories.reading(datetime.now(UTC), device, metric, value, home.home)
    encoded = encode([reading], home, prefix=PREFIX, zigbee_base=f"zigbee2mqtt/{home.home}")
    return [(m.topic, m.payload) for m in encoded]


def test_topics_are_routed_by_the_home_level():
    router = TopicRouter(PREFIX, "zigbee2mqtt/{home}")
    assert router.subscriptions == (f"{PREFIX}/+/dev/+/up", "zigbee2mqtt/+/#")
    assert router.home_of(f"{PREFIX}/h002/dev/band/up") == "h002"
    assert router.home_of("zigbee2mqtt/h003/radar1") == "h003"
    assert router.home_of(f"{PREFIX}/h002/dev/band/down") is None
    assert router.home_of("other/h001/x") is None
    with pytest.raises(ValueError, match="whole topic level"):
        TopicRouter(PREFIX, "zigbee2mqtt")


def test_homes_must_be_distinct(tmp_path):
    with pytest.raises(ValueError, match="given twice"):
        HostedEdges([CONFIGS[0], CONFIGS[0]], EdgeSettings("mqtt://x", "mqtt://y", tmp_path))


async def test_each_home_alerts_on_its_own_topic_over_one_connection(brokers, tmp_path):
    local, uplink = brokers
    h1, h2, h3 = CONFIGS
    events = {c.home: f"{PREFIX}/{c.home}/event" for c in CONFIGS}
    process_status = f"{PREFIX}/hosted/test-proc/status"
    hub = Collector(uplink, f"{PREFIX}/+/event", f"{PREFIX}/+/status", process_status)
    settings = EdgeSettings(
        local=local.url,
        uplink=uplink.hosted_url("test-proc", [c.home for c in CONFIGS]),
        data_dir=tmp_path / "hosted",
        prefix=PREFIX,
        process_id="test-proc",
        telemetry_every_s=0.3,
        heartbeat_every_s=60,
        tick_every_s=60,
        reconnect_first_s=0.1,
        reconnect_max_s=0.5,
    )
    hosted = HostedEdges(CONFIGS, settings)
    async with running(hub.run), running(hosted.run):
        await hub.subscribed.wait()
        await until(lambda: hosted.local_connected.is_set() and hosted.uplink_connected.is_set())

        # Online per home, and the process status that lists them (the will's topic); again
        # when the local side is connected, if the uplink came first.
        for config in CONFIGS:
            topic = f"{PREFIX}/{config.home}/status"
            statuses = await until(lambda t=topic: hub.of(t))
            assert all(s["state"] == "online" and s["hosted"] == "test-proc" for s in statuses)
        (proc, *_) = await until(lambda: hub.of(process_status))
        assert proc["state"] == "online" and proc["homes"] == ["h001", "h002", "h003"]

        await publish(
            local,
            messages_of(h1, "band", "heart_rate", 70)  # ordinary life in home 1
            + messages_of(h2, "sos_bed", "sos", True)  # zigbee2mqtt/h002/sos
            + messages_of(h3, "radar_bath", "fall_state", "fall")  # zigbee2mqtt/h003/radar1
            + [(f"{PREFIX}/h999/dev/band/up", b'{"heart_rate": 80}')]  # not hosted here
            + [("zigbee2mqtt/h998/sos", b'{"action": "emergency"}')],
        )
        (sos,) = await until(lambda: raised(hub.of(events["h002"]), "sos"))
        (fall,) = await until(lambda: raised(hub.of(events["h003"]), "fall"))
        assert sos["home"] == "h002" and sos["edge"] == "h002" and sos["device"] == "sos_bed"
        assert fall["home"] == "h003" and fall["edge"] == "h003"
        assert fall["device"] == "radar_bath" and fall["severity"] == "critical"
        await until(lambda: hosted.unknown_home == 2)
        assert hosted.unknown_ids == {"h999": 1, "h998": 1}
        await until(lambda: hosted.pipelines["h001"].counts.readings >= 1)
        await asyncio.sleep(0.5)  # a telemetry flush and drain later: still nothing for h001
        assert hub.of(events["h001"]) == []
        assert not raised(hub.of(events["h002"]), "fall")
        assert not raised(hub.of(events["h003"]), "sos")
        # One outbox file for every home (each its own seq); each home its own folder.
        assert (tmp_path / "hosted" / "outboxes.sqlite").exists()
        for config in CONFIGS:
            assert (tmp_path / "hosted" / config.home).is_dir()
            assert not (tmp_path / "hosted" / config.home / "outbox.sqlite").exists()

    # Clean stop: every home and the process say offline (retained).
    async with aiomqtt.Client(**uplink.client_kwargs()) as watcher:
        await watcher.subscribe(f"{PREFIX}/+/status", qos=1)
        await watcher.subscribe(process_status, qos=1)
        seen: dict[str, str] = {}
        async with asyncio.timeout(WAIT):
            async for message in watcher.messages:
                seen[str(message.topic)] = json.loads(message.payload)["state"]
                if len(seen) == 4:
                    break
        assert set(seen.values()) == {"offline"}


async def test_the_will_is_one_process_status_listing_its_homes(brokers, tmp_path):
    _, uplink = brokers
    uplink_url = uplink.hosted_url("p1")
    settings = EdgeSettings("mqtt://127.0.0.1:1", uplink_url, tmp_path, process_id="p1")
    hosted = HostedEdges(CONFIGS, settings)
    try:
        offline = hosted.process_status("offline")
        assert offline["homes"] == ["h001", "h002", "h003"] and offline["hosted"] == "p1"
        assert hosted.status_topic == f"{PREFIX}/hosted/p1/status"
    finally:
        hosted.close()


def offline_hosted(data) -> HostedEdges:
    return HostedEdges(CONFIGS, EdgeSettings("mqtt://127.0.0.1:1", "mqtt://127.0.0.1:1", data))


def saved_state(data, home: str) -> dict[str, Any]:
    return json.loads((data / home / "detectors.json").read_text())


def test_each_home_resumes_its_detectors_and_an_unusable_state_is_a_fresh_start(tmp_path, caplog):
    first = offline_hosted(tmp_path)
    first.close()  # a first start: every home's fresh state is written at the clean stop
    assert first.detector_saves == 3
    assert [saved_state(tmp_path, c.home)["home"] for c in CONFIGS] == ["h001", "h002", "h003"]
    assert not list(tmp_path.glob("*/.*.tmp"))

    (tmp_path / "h002" / "detectors.json").write_bytes(b"{not json")
    before = {c.home: (tmp_path / c.home / "detectors.json").stat().st_mtime_ns for c in CONFIGS}
    with caplog.at_level("WARNING", logger="edge.agent"):
        second = offline_hosted(tmp_path)
    try:
        warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert len(warnings) == 1, warnings
        assert "h002" in warnings[0] and "detectors start fresh" in warnings[0]
        fresh = type(second.pipelines["h002"].monitor)(CONFIGS[1]).state_dict()
        assert second.pipelines["h002"].monitor.state_dict() == fresh
    finally:
        second.close()
    # The bad state is replaced by a good one; the two resumed homes, unchanged, are not
    # written again.
    assert second.detector_saves == 1
    assert saved_state(tmp_path, "h002")["home"] == "h002"
    after = {c.home: (tmp_path / c.home / "detectors.json").stat().st_mtime_ns for c in CONFIGS}
    assert after["h001"] == before["h001"] and after["h003"] == before["h003"]


async def test_a_periodic_save_writes_changed_homes_and_survives_one_failing(tmp_path, caplog):
    hosted = offline_hosted(tmp_path)
    try:
        await hosted._save_detectors()  # never saved: all three
        assert hosted.detector_saves == 3
        await hosted._save_detectors()  # nothing happened since
        assert hosted.detector_saves == 3

        h1, h2, _ = (hosted.pipelines[c.home] for c in CONFIGS)
        for home in (h1, h2):
            press = messages_of(home.config, "sos_bed", "sos", True)
            for topic, payload in press:
                home.handle_local(topic, payload, datetime.now(UTC))
        broken = h2.monitor.state_dict

        def failing() -> dict[str, Any]:
            raise RuntimeError("a detector bug")

        h2.monitor.state_dict = failing
        with caplog.at_level("ERROR", logger="edge.hosted"):
            await hosted._save_detectors()
        assert "h002" in caplog.text and "a detector bug" in caplog.text
        assert hosted.detector_saves == 4  # h001 saved despite h002; h003 unchanged
        assert saved_state(tmp_path, "h001")["detectors"]["sos"]["presses"] == 1
        assert saved_state(tmp_path, "h002")["detectors"]["sos"]["presses"] == 0

        h2.monitor.state_dict = broken  # a failed save is tried again at the next one
        await hosted._save_detectors()
        assert hosted.detector_saves == 5
        assert saved_state(tmp_path, "h002")["detectors"]["sos"]["presses"] == 1
    finally:
        hosted.close()
    assert hosted.detector_saves == 5  # the clean stop: nothing changed since


async def test_a_process_of_many_homes_connects_though_their_list_does_not_fit_a_will(
    brokers, tmp_path
):
    # MQTT carries a will in the CONNECT packet, at most 65,535 bytes: 1,000 home ids of 64
    # characters do not fit (nor do about 5,000 short ones). The process connects, and its
    # will says how many homes it speaks for.
    local, uplink = brokers
    template = CONFIGS[0]
    configs = [template.model_copy(update={"home": f"{n:04d}".ljust(64, "x")}) for n in range(1000)]
    url = uplink.hosted_url("big", [config.home for config in configs])
    hosted = HostedEdges(configs, EdgeSettings(local.url, url, tmp_path, process_id="big"))
    _, will = hosted.will()
    assert len(will.encode()) < 65_535
    assert json.loads(will)["homes_count"] == 1000 and "homes" not in json.loads(will)
    async with running(hosted.run):
        async with asyncio.timeout(WAIT * 3):
            await hosted.uplink_connected.wait()
