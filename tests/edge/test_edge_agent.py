"""The edge agent against two real Mosquittos: a home's local broker and the hub's uplink."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiomqtt
import numpy as np
import pytest

from contracts.home import HomeConfig
from devices.codec import ClockLimits
from edge import EdgeAgent, EdgeSettings, HomePipeline
from edge.accel import IMPACT_AFTER_S, IMPACT_BEFORE_S, SLACK_S, kept_s
from edge.outbox import Outbox
from eldercare.broker import Broker
from simulators.payloads import encode
from tests.analytics.falls.signals import UP, fall_signal, hold, walk
from tests.support import factories
from tests.support.edge_process import stops_cleanly
from tests.support.factories import device_messages, home_config, make_home
from tests.support.mqtt import PROCESS_START_S, WAIT, Collector, publish, raised, running, until

HOME = "h001"
PREFIX = "eldercare/v1"
EVENT = f"{PREFIX}/{HOME}/event"
TELEMETRY = f"{PREFIX}/{HOME}/telemetry"
STATUS = f"{PREFIX}/{HOME}/status"
CONFIG = f"{PREFIX}/{HOME}/config"
COMMAND = f"{PREFIX}/{HOME}/command"
LOCAL_COMMAND = f"{PREFIX}/{HOME}/local/command"


def config_dict(home: str = HOME, **changes: Any) -> dict[str, Any]:
    return home_config(home, **changes)


HOME_CONFIG = make_home(HOME)


def accel_messages(device: str, samples: np.ndarray, start: float, rate_hz: float = 50.0):
    """Back-to-back 1 s accelerometer batches of ``samples``, the first sample at ``start``."""
    size = round(rate_hz)
    readings = [
        factories.reading(
            start + first / rate_hz,
            device,
            "accel",
            samples[first : first + size].tolist(),
            HOME,
            rate_hz=rate_hz,
        )
        for first in range(0, len(samples), size)
    ]
    return [(m.topic, m.payload) for m in encode(readings, HOME_CONFIG)]


def make_agent(local: Broker, uplink: Broker, data: Path, **options) -> EdgeAgent:
    settings = {
        "telemetry_every_s": 0.3,
        "heartbeat_every_s": 0.5,
        "tick_every_s": 0.5,
        "reconnect_first_s": 0.1,
        "reconnect_max_s": 0.5,
        **options,
    }
    return EdgeAgent(
        HOME_CONFIG,
        EdgeSettings(
            local=local.url,
            uplink=uplink.home_url(HOME),
            data_dir=data,
            prefix=PREFIX,
            **settings,
        ),
    )


async def started(agent: EdgeAgent) -> None:
    await until(lambda: agent.local_connected.is_set() and agent.uplink_connected.is_set())


async def test_a_fall_on_the_local_side_reaches_the_uplink_as_an_event(brokers, tmp_path):
    local, uplink = brokers
    hub = Collector(uplink, EVENT, TELEMETRY, STATUS, LOCAL_COMMAND)
    agent = make_agent(local, uplink, tmp_path / "edge")
    async with running(hub.run), running(agent.run):
        await hub.subscribed.wait()
        await started(agent)
        await publish(
            local,
            device_messages("band", "heart_rate", 72)
            + device_messages("band", "accel", [[0.0, 0.0, 1.0]] * 50, rate_hz=50)
            + device_messages("radar_bath", "fall_state", "fall"),
        )
        (fall,) = await until(lambda: raised(hub.of(EVENT), "fall"))
        assert fall["home"] == HOME and fall["severity"] == "critical"
        assert fall["device"] == "radar_bath" and fall["evidence"]["source"] == "radar"
        assert fall["edge"] == HOME and isinstance(fall["seq"], int)
        assert fall["ts"].endswith("+08:00")  # the home's local time
        assert "window" not in fall  # a radar has no accelerometer (the band's stays local)

        # Telemetry: vitals go up in batches, raw accelerometer batches stay local.
        batches = await until(lambda: hub.of(TELEMETRY))
        readings = [r for batch in batches for r in batch["readings"]]
        assert {(r["device"], r["metric"]) for r in readings} >= {
            ("band", "heart_rate"),
            ("radar_bath", "fall_state"),
        }
        assert all(r["metric"] != "accel" for r in readings)
        assert all(batch["edge"] == HOME and batch["home"] == HOME for batch in batches)

        # The heartbeat says who is online and what the outbox holds.
        status = await until(lambda: [s for s in hub.of(STATUS) if s["state"] == "online"])
        assert status[-1]["home"] == HOME and "outbox" in status[-1]

        # A command from the hub goes on to the voice prompt on the local broker.
        async with aiomqtt.Client(local.host, local.port) as speaker:
            await speaker.subscribe(LOCAL_COMMAND, qos=1)
            await publish(uplink, [(COMMAND, json.dumps({"say": "help is coming"}))])
            async with asyncio.timeout(WAIT):
                message = await anext(aiter(speaker.messages))
            assert json.loads(message.payload) == {"say": "help is coming"}

    # Clean stop: the retained status says offline, the outbox is closed and kept.
    async with aiomqtt.Client(**uplink.client_kwargs()) as watcher:
        await watcher.subscribe(STATUS, qos=1)
        async with asyncio.timeout(WAIT):
            message = await anext(aiter(watcher.messages))
        assert json.loads(message.payload)["state"] == "offline"
    with Outbox(tmp_path / "edge" / "outbox.db", HOME) as outbox:
        assert outbox.last_seq >= 2


async def test_an_sos_during_an_uplink_outage_arrives_after_reconnect_once(brokers, tmp_path):
    local, uplink = brokers  # the hub's session outlives the restart: brokers persist
    hub = Collector(uplink, EVENT)
    agent = make_agent(local, uplink, tmp_path / "edge")
    async with running(hub.run), running(agent.run):
        await hub.subscribed.wait()
        await started(agent)
        await publish(local, device_messages("radar_bath", "fall_state", "fall"))
        await until(lambda: raised(hub.of(EVENT), "fall"))

        uplink.stop()
        await until(lambda: not agent.uplink_connected.is_set())
        await publish(local, device_messages("sos_bed", "sos", True))
        await until(lambda: agent.outbox.depth().events >= 1)  # detected while offline
        assert not raised(hub.of(EVENT), "sos")

        uplink.restart()
        (sos,) = await until(lambda: raised(hub.of(EVENT), "sos"))
        assert sos["device"] == "sos_bed" and sos["edge"] == HOME
        await until(lambda: agent.outbox.depth().events == 0)
        await asyncio.sleep(0.3)  # room for a duplicate to show up, if there were one
        seqs = [event["seq"] for event in hub.of(EVENT)]
        assert len(seqs) == len(set(seqs)), seqs
        assert agent.uplink_connects >= 2


async def test_the_status_says_at_once_when_the_local_broker_goes_and_comes_back(brokers, tmp_path):
    local, uplink = brokers
    hub = Collector(uplink, STATUS)
    agent = make_agent(local, uplink, tmp_path / "edge", heartbeat_every_s=60)

    def saying(connected: bool) -> list[dict[str, Any]]:
        return [s for s in hub.of(STATUS) if s["local_connected"] is connected]

    async with running(hub.run), running(agent.run):
        await hub.subscribed.wait()
        await until(lambda: saying(True))  # whichever connection came first
        said = len(saying(False))
        local.stop()
        (gone, *_) = await until(lambda: saying(False)[said:])  # not a heartbeat later
        assert gone["state"] == "online"  # the uplink is fine: events still go up
        before = len(saying(True))
        local.restart()
        await until(lambda: len(saying(True)) > before)


async def test_a_bad_pushed_config_is_refused_and_a_good_one_applied(brokers, tmp_path):
    local, uplink = brokers
    hub = Collector(uplink, STATUS)
    data = tmp_path / "edge"
    agent = make_agent(local, uplink, data, heartbeat_every_s=60)
    async with running(hub.run), running(agent.run):
        await hub.subscribed.wait()
        await started(agent)

        bad = json.dumps(config_dict(timezone="Mars/Olympus_Mons"))
        await publish(uplink, [(CONFIG, bad)], retain=True)
        refused = await until(
            lambda: [s for s in hub.of(STATUS) if s["config"]["state"] == "refused"]
        )
        assert "Mars/Olympus_Mons" in refused[-1]["config"]["reason"]
        assert agent.config == HOME_CONFIG
        assert not (data / "config.json").exists()

        other_home = json.dumps(config_dict(home="h002"))
        await publish(uplink, [(CONFIG, other_home)], retain=True)
        await until(lambda: [s for s in hub.of(STATUS) if "h002" in s["config"].get("reason", "")])
        assert agent.config == HOME_CONFIG

        good = config_dict(night={"start": "23:00", "end": "06:30"})
        await publish(uplink, [(CONFIG, json.dumps(good))], retain=True)
        await until(lambda: [s for s in hub.of(STATUS) if s["config"]["state"] == "applied"])
        assert agent.config == HomeConfig.model_validate(good)
        assert agent.pipeline.monitor.config == agent.config

    # The last good config wins over the one given at start.
    assert HomeConfig.load(data / "config.json") == HomeConfig.model_validate(good)
    again = make_agent(local, uplink, data)
    try:
        assert again.config == HomeConfig.model_validate(good)
    finally:
        again.close()


async def test_malformed_payloads_are_counted_and_a_fall_after_them_still_arrives(
    brokers, tmp_path
):
    local, uplink = brokers
    hub = Collector(uplink, EVENT, STATUS)
    agent = make_agent(local, uplink, tmp_path / "edge")
    now = datetime.now(UTC).timestamp()
    burst = (
        [("zigbee2mqtt/radar1", b'{"fall_down_status": "fall", ')] * 20
        + [("zigbee2mqtt/nobody_knows_me", b'{"contact": true}')] * 20
        + [(f"{PREFIX}/{HOME}/dev/band/up", json.dumps({"ts": now, "heart_rate": 300}))] * 20
        + [(f"{PREFIX}/{HOME}/dev/ghost/up", b"\xff\xfe not even text")] * 5
    )
    async with running(hub.run), running(agent.run):
        await hub.subscribed.wait()
        await started(agent)
        await publish(local, burst + device_messages("radar_bath", "fall_state", "fall"))
        (fall,) = await until(lambda: raised(hub.of(EVENT), "fall"))
        assert fall["device"] == "radar_bath"
        refused = agent.pipeline.counts.refused
        assert refused["malformed_json"] == 20
        assert refused["unknown_device"] == 25
        assert refused["out_of_range"] == 20
        assert not raised(hub.of(EVENT), "abnormal_heart_rate")
        reported = await until(
            lambda: [s for s in hub.of(STATUS) if s.get("refused", {}).get("out_of_range") == 20]
        )
        assert reported[-1]["refused"]["malformed_json"] == 20


def edge_args(*argv: str):
    import argparse

    from eldercare import edge_command as command

    parser = argparse.ArgumentParser(prog="eldercare edge")
    command.add_arguments(parser)
    return command, parser.parse_args(list(argv))


def test_the_command_refuses_a_bad_config_or_url_with_exit_2(tmp_path, capsys):
    config = tmp_path / "home.yaml"
    config.write_text(HOME_CONFIG.to_yaml(), encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text("home: h001\nstation: [oops\n", encoding="utf-8")
    data = str(tmp_path / "data")
    good_url = "mqtt://127.0.0.1:1"
    cases = [
        (str(broken), good_url, good_url, "broken.yaml"),
        (str(tmp_path / "missing.yaml"), good_url, good_url, "missing.yaml"),
        (str(config), "http://x", good_url, "http://x"),
        (str(config), good_url, "mqtt://host:notaport", "notaport"),
    ]
    for home, local, uplink, named in cases:
        command, args = edge_args(
            "--config", home, "--local", local, "--uplink", uplink, "--data", data
        )
        assert command.run(args) == 2
        error = capsys.readouterr().err
        assert error.startswith("eldercare edge: ") and named in error, error


async def test_sigterm_stops_the_edge_process_cleanly(brokers, tmp_path):
    import sys

    local, uplink = brokers
    config = tmp_path / "home.yaml"
    config.write_text(HOME_CONFIG.to_yaml(), encoding="utf-8")
    script = (
        "import sys; from tests.edge.test_edge_agent import edge_args; "
        "command, args = edge_args(*sys.argv[1:]); sys.exit(command.run(args))"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        *("--config", str(config), "--local", local.url, "--uplink", uplink.home_url(HOME)),
        *("--data", str(tmp_path / "data")),
        cwd=Path(__file__).resolve().parents[2],
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with aiomqtt.Client(**uplink.client_kwargs()) as watcher:
            await watcher.subscribe(STATUS, qos=1)
            # A new interpreter importing the edge: as long as the hub's process gets.
            async with asyncio.timeout(PROCESS_START_S):
                async for message in watcher.messages:
                    if json.loads(message.payload)["state"] == "online":
                        break
            await stops_cleanly(process, watcher)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_an_open_sos_survives_a_clean_restart(brokers, tmp_path):
    local, uplink = brokers
    hub = Collector(uplink, EVENT)
    data = tmp_path / "edge"
    press = device_messages("sos_bed", "sos", True)
    async with running(hub.run):
        await hub.subscribed.wait()
        first = make_agent(local, uplink, data)
        async with running(first.run):
            await started(first)
            await publish(local, press)
            (sos,) = await until(lambda: raised(hub.of(EVENT), "sos"))
        saved = json.loads((data / "detectors.json").read_text())  # written at the clean stop
        assert saved["home"] == HOME and saved["detectors"]["sos"]["condition"] is not None
        assert not list(data.glob(".*.tmp"))

        second = make_agent(local, uplink, data)
        resumed = second.pipeline.monitor.state_dict()["detectors"]["sos"]
        assert resumed["condition"] is not None  # resumed, not fresh: the call is still open
        async with running(second.run):
            await started(second)
            await publish(local, device_messages("sos_bed", "sos", True))
            (again,) = await until(
                lambda: [e for e in hub.of(EVENT) if e["kind"] == "sos" and e["seq"] > sos["seq"]]
            )
        assert again["state"] == "updated" and again["evidence"]["presses"] == 2
        assert again["started"] == sos["started"]  # the same call
        assert len(raised(hub.of(EVENT), "sos")) == 1


async def test_the_detector_state_is_saved_periodically(brokers, tmp_path):
    local, uplink = brokers
    data = tmp_path / "edge"
    agent = make_agent(local, uplink, data, save_every_s=0.2)
    async with running(agent.run):
        await started(agent)
        await publish(local, device_messages("sos_bed", "sos", True))
        await until(lambda: agent.pipeline.counts.events)

        def saved_press() -> bool:
            try:
                state = json.loads((data / "detectors.json").read_text())
            except FileNotFoundError:
                return False
            return state["detectors"]["sos"]["presses"] == 1

        await until(saved_press)  # before any clean stop


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"[1, 2]",
        json.dumps({"home": "h002", "now": 0, "detectors": {}}).encode(),
    ],
    ids=["garbage", "not-a-dict", "other-home"],
)  # a state only one detector cannot take: tests/edge/test_detector_guard.py
def test_an_unusable_detector_state_is_a_warning_and_a_fresh_start(
    tmp_path, caplog, content: bytes
):
    data = tmp_path / "edge"
    data.mkdir()
    (data / "detectors.json").write_bytes(content)
    with caplog.at_level("WARNING", logger="edge.agent"):
        agent = EdgeAgent(
            HOME_CONFIG,
            EdgeSettings("mqtt://127.0.0.1:1", "mqtt://127.0.0.1:1", data, prefix=PREFIX),
        )
    try:
        assert "detectors start fresh" in caplog.text and "detectors.json" in caplog.text
        assert (
            agent.pipeline.monitor.state_dict()
            == type(agent.pipeline.monitor)(HOME_CONFIG).state_dict()
        )
    finally:
        agent.close()
    # The clean stop wrote a good state over the bad one.
    assert json.loads((data / "detectors.json").read_text())["home"] == HOME


async def test_a_critical_event_sounds_a_local_alarm_once(brokers, tmp_path):
    local, uplink = brokers
    agent = make_agent(local, uplink, tmp_path / "edge")
    async with running(agent.run), aiomqtt.Client(local.host, local.port) as speaker:
        await speaker.subscribe(LOCAL_COMMAND, qos=1)
        await started(agent)
        await publish(
            local,
            device_messages("radar_bath", "fall_state", "fall")
            + device_messages("sos_bed", "sos", True)
            + device_messages("sos_bed", "sos", True)  # the same call: no second alarm
            + device_messages("band", "heart_rate", 72),
        )
        alarms = []
        async with asyncio.timeout(WAIT):
            async for message in speaker.messages:
                alarms.append(json.loads(message.payload))
                if len(alarms) == 2:
                    break
        assert alarms == [
            {"action": "alarm", "kind": "fall", "severity": "critical"},
            {"action": "alarm", "kind": "sos", "severity": "critical"},
        ]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.5):
                extra = await anext(aiter(speaker.messages))
                pytest.fail(f"unexpected local command {extra.payload!r}")
        assert agent.commands.counts[HOME].alarms == 2


def outbox_rows(db: Path, query: str) -> Any:
    """Read the outbox of a running (or killed) agent process without writing to it."""
    import sqlite3

    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return connection.execute(query).fetchall()
    finally:
        connection.close()


async def edge_process(config: Path, local: Broker, uplink: Broker, data: Path):
    """`python -m eldercare edge` in a child process; its log lines are collected."""
    import sys

    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "eldercare", "edge", "--config", str(config)),
        *("--local", local.url, "--uplink", uplink.home_url(HOME), "--data", str(data)),
        *("--telemetry-every", "0.2"),
        cwd=Path(__file__).resolve().parents[2],
        stderr=asyncio.subprocess.PIPE,
    )
    lines: list[str] = []

    async def collect() -> None:
        assert process.stderr is not None
        async for line in process.stderr:
            lines.append(line.decode(errors="replace"))

    return process, lines, asyncio.create_task(collect())


async def test_sigkill_with_the_uplink_down_loses_and_repeats_no_seq(brokers, tmp_path):
    import signal

    local, uplink = brokers
    uplink.stop()  # the hub is unreachable all through the first process
    config = tmp_path / "home.yaml"
    config.write_text(HOME_CONFIG.to_yaml(), encoding="utf-8")
    data = tmp_path / "data"
    db = data / "outbox.db"
    hub = Collector(uplink, EVENT, TELEMETRY)
    processes = []
    async with running(hub.run):
        try:
            first, log1, reader1 = await edge_process(config, local, uplink, data)
            processes.append(first)
            await until(lambda: any("listening on" in line for line in log1), what="local")
            presses = [device_messages("sos_bed", "sos", True) for _ in range(3)]
            fall = device_messages("radar_bath", "fall_state", "fall")
            for messages in [*presses, fall]:
                await publish(local, messages)
            await until(
                lambda: outbox_rows(db, "SELECT COUNT(*) FROM items WHERE kind='event'")[0][0] >= 4,
                what="four events in the outbox",
            )
            await asyncio.sleep(0.5)  # a telemetry batch or two into the outbox as well
            first.send_signal(signal.SIGKILL)
            assert await first.wait() == -signal.SIGKILL
            await reader1
            ((old_last,),) = outbox_rows(db, "SELECT value FROM meta WHERE key='last_seq'")
            old_last = int(old_last)
            stored = {seq for (seq,) in outbox_rows(db, "SELECT seq FROM items")}
            assert stored == set(range(1, old_last + 1))  # nothing was sent, nothing lost

            uplink.restart()
            await hub.subscribed.wait()
            second, log2, reader2 = await edge_process(config, local, uplink, data)
            processes.append(second)
            await until(lambda: any("listening on" in line for line in log2), what="local 2")
            await publish(local, device_messages("sos_bed", "sos", True))

            def last_seq() -> int:
                return int(outbox_rows(db, "SELECT value FROM meta WHERE key='last_seq'")[0][0])

            def everything_arrived() -> bool:
                seen = {body["seq"] for _, body in hub.messages}
                last = last_seq()
                return last > old_last and seen >= set(range(1, last + 1))

            await until(everything_arrived, what="every seq on the uplink")
            await until(lambda: not outbox_rows(db, "SELECT seq FROM items"), what="drained")
            await asyncio.sleep(0.3)  # room for a duplicate to show up, if there were one
            second.send_signal(signal.SIGTERM)
            assert await second.wait() == 0, "".join(log2)
            await reader2
        finally:
            for process in processes:
                if process.returncode is None:
                    process.kill()
                    await process.wait()

    # Dedupe like the hub: (edge, seq). A replayed seq must carry the very same document.
    by_seq: dict[tuple[str, int], dict[str, Any]] = {}
    for _, body in hub.messages:
        key = (body["edge"], body["seq"])
        assert by_seq.setdefault(key, body) == body, key
    assert {edge for edge, _ in by_seq} == {HOME}
    final = last_seq()
    assert sorted(seq for _, seq in by_seq) == list(range(1, final + 1))  # none missing
    events = [by_seq[(HOME, seq)] for seq in range(1, final + 1) if "kind" in by_seq[(HOME, seq)]]
    before = [(e["kind"], e["state"]) for e in events if e["seq"] <= old_last]
    assert before[:3] == [("sos", "raised"), ("sos", "updated"), ("sos", "updated")]
    assert ("fall", "raised") in before
    after = [e for e in events if e["seq"] > old_last]
    assert [e["kind"] for e in after] == ["sos"]  # the new press, numbered after the old ones


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


async def test_a_wearable_fall_goes_up_with_the_accelerometer_window_around_it(brokers, tmp_path):
    local, uplink = brokers
    hub = Collector(uplink, EVENT, TELEMETRY)
    agent = make_agent(local, uplink, tmp_path / "edge")
    signal, impact_s = fall_signal(lie_s=8.0)
    samples = np.vstack([walk(4.0), signal])
    start = datetime.now(UTC).timestamp() - 30
    impact = start + 4.0 + impact_s
    # The band's accelerometer, then its own fall flag: one fall whichever raises it.
    flag = device_messages("band", "fall_state", "fall", ts=start + len(samples) / 50)
    async with running(hub.run), running(agent.run):
        await hub.subscribed.wait()
        await started(agent)
        await publish(local, accel_messages("band", samples, start) + flag)
        (fall,) = await until(lambda: raised(hub.of(EVENT), "fall"))
        await until(lambda: hub.of(TELEMETRY))
    assert fall["device"] == "band" and fall["severity"] == "critical"
    window = fall["window"]
    assert "window" not in fall["evidence"]
    assert window["device"] == "band" and window["rate_hz"] == 50.0
    assert window["start"].endswith("+08:00")
    assert epoch(window["start"]) < epoch(fall["started"])
    magnitudes = np.linalg.norm(window["samples"], axis=1)
    assert magnitudes.max() > 2  # the impact that raised the alarm
    impact_in_window = epoch(window["start"]) + magnitudes.argmax() / window["rate_hz"]
    assert abs(impact_in_window - impact) < 0.05  # one start and one rate place every sample
    assert len(window["samples"]) <= (IMPACT_BEFORE_S + IMPACT_AFTER_S) * 50
    assert all(len(s) == 3 and all(round(v, 3) == v for v in s) for s in window["samples"])
    # Raw accelerometer data still never goes up as telemetry.
    readings = [r for batch in hub.of(TELEMETRY) for r in batch["readings"]]
    assert readings and all(r["metric"] != "accel" for r in readings)


T0 = 1_795_900_000.0


def pipeline_in(tmp_path: Path) -> HomePipeline:
    outbox = Outbox(tmp_path / "outbox.db", HOME)
    return HomePipeline(
        HOME_CONFIG, outbox, data_dir=tmp_path, prefix=PREFIX, clock=ClockLimits.unbounded()
    )


def fed(pipeline: HomePipeline, messages) -> list[dict[str, Any]]:
    """Hand local messages to the pipeline; the event documents it put in the outbox."""
    for topic, payload in messages:
        pipeline.handle_local(topic, payload, datetime.now(UTC))
    items = pipeline.outbox.pending(limit=10_000)
    pipeline.outbox.ack_many(item.seq for item in items)
    return [json.loads(item.payload) for item in items if item.kind == "event"]


def test_the_window_holds_the_last_seconds_of_one_stream_and_only_a_raised_wearable_fall_has_it(
    tmp_path,
):
    pipeline = pipeline_in(tmp_path)
    try:
        # A minute of a quiet wrist: what is kept is bounded, the last kept_s (30 s).
        assert fed(pipeline, accel_messages("band", hold(UP, 60.0), T0)) == []
        history = pipeline.fall_windows.histories["band"]
        assert history.samples == kept_s(HOME_CONFIG) * 50 == 1500
        # A message sent again is not kept twice; then the band's own fall flag.
        again = accel_messages("band", hold(UP, 1.0), T0 + 59)
        (fall,) = fed(pipeline, again + device_messages("band", "fall_state", "fall", ts=T0 + 60))
        assert (fall["kind"], fall["state"], fall["device"]) == ("fall", "raised", "band")
        assert fall["evidence"]["source"] == "device_flag"
        window = fall["window"]
        assert window == {
            "device": "band",
            "rate_hz": 50.0,
            "start": datetime.fromtimestamp(T0 + 45, HOME_CONFIG.tz).isoformat(
                timespec="milliseconds"
            ),
            "samples": [[0.0, 0.0, 1.0]] * 750,  # 15 s before the flag; nothing after yet
        }
        assert pipeline.save_detectors(tmp_path / "detectors.json")  # the state is unaffected

        # Updates of the open fall, a radar and other events carry no window.
        events = fed(
            pipeline,
            device_messages("band", "fall_state", "fall", ts=T0 + 61)
            + device_messages("radar_bath", "fall_state", "fall", ts=T0 + 62)
            + device_messages("sos_bed", "sos", True, ts=T0 + 63),
        )
        assert [(e["kind"], e["state"]) for e in events] == [
            ("fall", "updated"),
            ("fall", "updated"),
            ("sos", "raised"),
        ]
        assert not [e for e in events if "window" in e]
    finally:
        pipeline.outbox.close()


def test_a_fall_after_the_bands_clock_went_back_has_its_time_and_window_on_the_homes_clock(
    tmp_path,
):
    pipeline = pipeline_in(tmp_path)
    try:
        assert fed(pipeline, accel_messages("band", hold(UP, 60.0), T0)) == []
        assert pipeline.status("online")["detectors"] == {
            "fall": {"late_batches": 0, "clock_jumps": 0}
        }
        # A message of half a minute ago sent again; then the band's clock set back two
        # hours, and a fall 16 s later (the band's messages sent as the seconds pass).
        fed(pipeline, accel_messages("band", hold(UP, 1.0), T0 + 30))
        behind = 2 * 3600.0
        signal, impact_s = fall_signal(lie_s=20.0)
        samples = np.vstack([hold(UP, 5.0), walk(5.0), signal])
        (fall,) = fed(pipeline, accel_messages("band", samples, T0 + 60 - behind))
        impact = T0 + 60 + 10.0 + impact_s  # the home's time
        assert (fall["kind"], fall["state"]) == ("fall", "raised")
        assert abs(epoch(fall["started"]) - impact) < 0.1
        assert fall["evidence"]["clock_corrected_s"] == behind
        window = fall["window"]
        magnitudes = np.linalg.norm(window["samples"], axis=1)
        assert abs(epoch(window["start"]) + magnitudes.argmax() / 50 - impact) < 0.05
        assert pipeline.status("online")["detectors"] == {
            "fall": {"late_batches": 1, "clock_jumps": 1}
        }
    finally:
        pipeline.outbox.close()


def test_a_radar_fall_has_no_window_and_a_gap_or_a_new_rate_starts_the_stream_afresh(tmp_path):
    pipeline = pipeline_in(tmp_path)
    try:
        (fall,) = fed(pipeline, device_messages("radar_bath", "fall_state", "fall", ts=T0))
        assert fall["device"] == "radar_bath" and "window" not in fall

        fed(pipeline, accel_messages("band", hold(UP, 10.0), T0))
        fed(pipeline, accel_messages("band", hold(UP, 3.0), T0 + 15))  # 5 s missing
        history = pipeline.fall_windows.histories["band"]
        assert (history.start, history.samples) == (T0 + 15, 150)
        fed(pipeline, accel_messages("band", hold(UP, 2.0, 25.0), T0 + 18, rate_hz=25.0))
        assert (history.start, history.samples, history.rate_hz) == (T0 + 18, 50, 25.0)
        window = history.window("band", HOME_CONFIG.tz, impact=T0 + 19)
        assert window is not None
        assert window["rate_hz"] == 25.0 and len(window["samples"]) == 50
        assert history.window("band", HOME_CONFIG.tz, impact=T0 + 17) is None  # not kept
    finally:
        pipeline.outbox.close()


def confirming_pipeline(tmp_path: Path, **fall_settings: float) -> HomePipeline:
    config = make_home(HOME, thresholds={"fall": fall_settings})
    outbox = Outbox(tmp_path / "outbox.db", HOME)
    return HomePipeline(
        config, outbox, data_dir=tmp_path, prefix=PREFIX, clock=ClockLimits.unbounded()
    )


def test_a_wrist_fall_confirmed_after_30_s_still_has_its_impact_in_the_window(tmp_path):
    pipeline = confirming_pipeline(tmp_path, wrist_confirm_s=30)
    signal, impact_s = fall_signal(lie_s=50.0)  # she lies still: nobody cancels
    samples = np.vstack([walk(10.0), signal])
    impact = T0 + 10.0 + impact_s
    try:
        (fall,) = fed(pipeline, accel_messages("band", samples, T0))
    finally:
        pipeline.outbox.close()
    assert (fall["kind"], fall["state"], fall["evidence"]["source"]) == (
        "fall",
        "raised",
        "accelerometer",
    )
    assert epoch(fall["ts"]) - impact >= 30  # raised when her 30 s to cancel ran out
    assert fall["evidence"]["not_cancelled_within_s"] == 30
    window = fall["window"]
    # The window is the impact's, not the last seconds before the fall was raised (she was
    # lying still then): 15 s before it to 10 s after it.
    assert abs(epoch(window["start"]) - (impact - IMPACT_BEFORE_S)) < 0.05
    assert len(window["samples"]) == (IMPACT_BEFORE_S + IMPACT_AFTER_S) * 50
    magnitudes = np.linalg.norm(window["samples"], axis=1)
    assert magnitudes.max() > 4
    impact_in_window = epoch(window["start"]) + magnitudes.argmax() / window["rate_hz"]
    assert abs(impact_in_window - impact) < 0.05


def test_a_confirmation_longer_than_is_kept_sends_no_window_rather_than_a_wrong_one(
    tmp_path, caplog
):
    with caplog.at_level("WARNING", logger="edge.agent"):
        pipeline = confirming_pipeline(tmp_path, confirm_s=600)
    assert "600 s" in caplog.text and "miss its impact" in caplog.text
    history_s = kept_s(pipeline.config)
    try:
        # The band's own fall flag, then its accelerometer for longer than is kept.
        fed(pipeline, device_messages("band", "fall_state", "fall", ts=T0))
        fed(pipeline, accel_messages("band", hold(UP, history_s + 10), T0))
        assert pipeline.fall_windows.histories["band"].samples <= (history_s + SLACK_S) * 50
        pipeline.tick(T0 + 601)
        (fall,) = [json.loads(i.payload) for i in pipeline.outbox.pending() if i.kind == "event"]
    finally:
        pipeline.outbox.close()
    assert (fall["kind"], fall["state"], fall["evidence"]["source"]) == (
        "fall",
        "raised",
        "device_flag",
    )
    assert "window" not in fall
