"""Hosted edges and the hub: pushed configs, hub commands, and `eldercare edge --hosted DIR`.

Here with the edge: the hub is a stand-in on the uplink; what is checked is what the edges do.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from contracts.home import HomeConfig
from edge import EdgeSettings, HostedEdges
from eldercare.broker import Broker
from simulators.homes import make_home_configs
from simulators.payloads import encode
from tests.support import factories
from tests.support.edge_process import stops_cleanly
from tests.support.mqtt import WAIT, Collector, publish, raised, running, until

PREFIX = "eldercare/v1"
H1, H2 = make_home_configs(2, seed=11)
REPO = Path(__file__).resolve().parents[2]
NEW_DEVICE = {
    "id": "sos_hall",
    "kind": "sos_button",
    "role": "bedside",
    "source": "zigbee2mqtt:sos_hall",
    "model": "HS1EB",
}


def topic(home: str, what: str) -> str:
    return f"{PREFIX}/{home}/{what}"


def with_changes(config: HomeConfig, **changes: Any) -> dict[str, Any]:
    return {**config.model_dump(mode="json"), **changes}


def messages_of(config: HomeConfig, device: str, metric: str, value: Any):
    reading = factories.reading(datetime.now(UTC), device, metric, value, config.home)
    encoded = encode([reading], config, prefix=PREFIX, zigbee_base=f"zigbee2mqtt/{config.home}")
    return [(m.topic, m.payload) for m in encoded]


def make_hosted(local: Broker, uplink: Broker, data: Path, **options) -> HostedEdges:
    settings = {
        "telemetry_every_s": 0.3,
        "heartbeat_every_s": 60,
        "tick_every_s": 60,
        "reconnect_first_s": 0.1,
        "reconnect_max_s": 0.5,
        "process_id": "test-proc",
        **options,
    }
    return HostedEdges(
        [H1, H2],
        EdgeSettings(
            local=local.url,
            uplink=uplink.hosted_url(settings["process_id"], [H1.home, H2.home]),
            data_dir=data,
            prefix=PREFIX,
            **settings,
        ),
    )


async def started(hosted: HostedEdges) -> None:
    await until(lambda: hosted.local_connected.is_set() and hosted.uplink_connected.is_set())


def statuses(hub: Collector, home: str, config_state: str) -> list[dict[str, Any]]:
    return [
        s for s in hub.of(topic(home, "status")) if s.get("config", {}).get("state") == config_state
    ]


async def test_a_retained_config_adds_a_device_to_one_of_two_hosted_homes(brokers, tmp_path):
    local, uplink = brokers
    data = tmp_path / "hosted"
    new_h2 = with_changes(H2, devices=[*H2.model_dump(mode="json")["devices"], NEW_DEVICE])
    not_here = with_changes(H1, home="h999")
    # Pushed while the hosted process was not running: retained, so it comes at connect.
    await publish(
        uplink,
        [
            (topic("h002", "config"), json.dumps(new_h2)),
            (topic("h999", "config"), json.dumps(not_here)),
        ],
        retain=True,
    )
    process_status = f"{PREFIX}/hosted/test-proc/status"
    hub = Collector(uplink, f"{PREFIX}/+/status", f"{PREFIX}/+/event", process_status)
    hosted = make_hosted(local, uplink, data, heartbeat_every_s=0.5)
    async with running(hub.run), running(hosted.run):
        await hub.subscribed.wait()
        await started(hosted)

        (applied, *_) = await until(lambda: statuses(hub, "h002", "applied"), what="applied")
        assert applied["home"] == "h002" and applied["hosted"] == "test-proc"
        assert applied["config"]["at"]
        assert all(s["config"]["state"] == "initial" for s in hub.of(topic("h001", "status")))
        assert hosted.pipelines["h002"].config == HomeConfig.model_validate(new_h2)
        assert hosted.pipelines["h001"].config == H1

        # The new device's press is decoded and raises an SOS for its home only.
        new_config = hosted.pipelines["h002"].config
        await publish(local, messages_of(new_config, "sos_hall", "sos", True))
        (sos,) = await until(lambda: raised(hub.of(topic("h002", "event")), "sos"), what="sos")
        assert sos["device"] == "sos_hall" and sos["home"] == "h002" and sos["edge"] == "h002"
        assert hub.of(topic("h001", "event")) == []

        # The config of a home not hosted here never reaches the process: the broker's ACL
        # gives a hosted process only its own homes' configs.
        await asyncio.sleep(0.5)  # the retained h999 config would have come with h002's
        assert hosted.ignored_configs == 0

        # The same config again (as at every reconnect) changes nothing and is not redone.
        applied_at = hosted.pipelines["h002"].config_state.at
        await publish(
            uplink,
            [
                (topic("h002", "config"), json.dumps(new_h2)),
                (topic("h999", "config"), json.dumps(not_here)),  # in order after it
            ],
            retain=True,
        )
        await asyncio.sleep(0.5)  # what could come has come
        assert hosted.ignored_configs == 0
        assert hosted.pipelines["h002"].config_state.at == applied_at

        # A cleared retained config is not a config: the home keeps the one it has.
        await publish(uplink, [(topic("h002", "config"), b"")], retain=True)
        await asyncio.sleep(0.3)
        assert hosted.pipelines["h002"].config == HomeConfig.model_validate(new_h2)
        assert hosted.pipelines["h002"].config_state.state == "applied"

    # Saved in that home's folder only, and preferred at the next start.
    assert HomeConfig.load(data / "h002" / "config.json") == HomeConfig.model_validate(new_h2)
    assert not (data / "h001" / "config.json").exists()
    again = make_hosted(local, uplink, data)
    try:
        assert again.pipelines["h002"].config == HomeConfig.model_validate(new_h2)
    finally:
        again.close()


async def test_an_invalid_config_is_refused_and_the_last_good_one_kept(brokers, tmp_path):
    local, uplink = brokers
    data = tmp_path / "hosted"
    hub = Collector(uplink, f"{PREFIX}/+/status", f"{PREFIX}/+/event")
    hosted = make_hosted(local, uplink, data)
    good = with_changes(H1, night={"start": "23:00", "end": "06:30"})
    async with running(hub.run), running(hosted.run):
        await hub.subscribed.wait()
        await started(hosted)

        await publish(uplink, [(topic("h001", "config"), json.dumps(good))], retain=True)
        await until(lambda: statuses(hub, "h001", "applied"), what="the good config applied")

        bad = with_changes(H1, timezone="Mars/Olympus_Mons")
        await publish(uplink, [(topic("h001", "config"), json.dumps(bad))], retain=True)
        refused = await until(lambda: statuses(hub, "h001", "refused"), what="refused")
        assert "Mars/Olympus_Mons" in refused[-1]["config"]["reason"]
        assert hosted.pipelines["h001"].config == HomeConfig.model_validate(good)

        # The home still works on the kept config: its SOS button raises an alert.
        await publish(local, messages_of(H1, "sos_bed", "sos", True))
        (sos,) = await until(lambda: raised(hub.of(topic("h001", "event")), "sos"), what="sos")
        assert sos["device"] == "sos_bed"
        assert not statuses(hub, "h002", "refused") and not statuses(hub, "h002", "applied")

    assert HomeConfig.load(data / "h001" / "config.json") == HomeConfig.model_validate(good)


async def test_a_hub_command_reaches_only_its_home_and_a_fall_sounds_the_alarm(brokers, tmp_path):
    local, uplink = brokers
    hosted = make_hosted(local, uplink, tmp_path / "hosted")
    help_is_coming = json.dumps({"action": "voice_prompt", "text": "help is coming"})
    async with (
        running(hosted.run),
        aiomqtt.Client(local.host, local.port) as speaker,
    ):
        await speaker.subscribe(f"{PREFIX}/+/local/command", qos=1)
        await started(hosted)
        await publish(
            uplink,
            [
                (topic("h999", "command"), b'{"action": "voice_prompt"}'),  # not hosted here
                (topic("h002", "command"), help_is_coming),
            ],
        )
        await publish(local, messages_of(H1, "radar_bath", "fall_state", "fall"))
        received: dict[str, list[Any]] = {}
        async with asyncio.timeout(WAIT):
            async for message in speaker.messages:
                received.setdefault(str(message.topic), []).append(json.loads(message.payload))
                if sum(map(len, received.values())) == 2:
                    break
        assert received == {
            topic("h002", "local/command"): [json.loads(help_is_coming)],
            topic("h001", "local/command"): [
                {"action": "alarm", "kind": "fall", "severity": "critical"}
            ],
        }
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.5):
                extra = await anext(aiter(speaker.messages))
                pytest.fail(f"unexpected local command on {extra.topic}: {extra.payload!r}")
        # The command for h999 never reached the process: the broker's ACL gives a hosted
        # process only its own homes' commands.
        assert hosted.ignored_commands == 0
        assert hosted.home_status("h002", "online")["commands"]["forwarded"] == 1
        assert hosted.home_status("h001", "online")["commands"]["alarms"] == 1


async def test_commands_wait_for_the_local_broker_newest_kept_in_order(brokers, tmp_path):
    max_queued = EdgeSettings.max_queued_commands
    local, uplink = brokers  # the speaker's session outlives the restart: brokers persist
    speaker_session = {"identifier": "speaker", "clean_session": False}
    async with aiomqtt.Client(local.host, local.port, **speaker_session) as speaker:
        await speaker.subscribe(topic("h002", "local/command"), qos=1)

    hosted = make_hosted(local, uplink, tmp_path / "hosted")
    total = max_queued + 2
    async with running(hosted.run):
        await started(hosted)
        local.stop()
        await until(lambda: not hosted.local_connected.is_set())
        await publish(uplink, [(topic("h002", "command"), f'{{"n": {n}}}') for n in range(total)])
        await until(lambda: hosted.commands.counts["h002"].dropped == 2, what="two dropped")
        local.restart()
        async with aiomqtt.Client(local.host, local.port, **speaker_session) as speaker:
            numbers: list[int] = []
            async with asyncio.timeout(WAIT):
                async for message in speaker.messages:
                    numbers.append(json.loads(message.payload)["n"])
                    if len(numbers) == max_queued:
                        break
        assert numbers == list(range(2, total))  # the two oldest gave way, the rest in order
        # The last command can reach the speaker before its PUBACK reaches the hosted process.
        expected = {"forwarded": max_queued, "dropped": 2, "alarms": 0, "queued": 0}
        await until(
            lambda: hosted.home_status("h002", "online")["commands"] == expected,
            what=f"the command counts {expected}",
        )


async def test_an_open_sos_survives_a_clean_restart_of_the_hosted_process(brokers, tmp_path):
    local, uplink = brokers
    data = tmp_path / "hosted"
    hub = Collector(uplink, f"{PREFIX}/+/event")
    events = topic("h002", "event")
    async with running(hub.run):
        await hub.subscribed.wait()
        first = make_hosted(local, uplink, data)
        async with running(first.run):
            await started(first)
            await publish(local, messages_of(H2, "sos_bed", "sos", True))
            (sos,) = await until(lambda: raised(hub.of(events), "sos"), what="sos")
        saved = json.loads((data / "h002" / "detectors.json").read_text())  # at the clean stop
        assert saved["home"] == "h002" and saved["detectors"]["sos"]["condition"] is not None
        assert json.loads((data / "h001" / "detectors.json").read_text())["home"] == "h001"
        assert not list(data.glob("*/.*.tmp"))

        second = make_hosted(local, uplink, data)
        resumed = second.pipelines["h002"].monitor.state_dict()["detectors"]["sos"]
        assert resumed["condition"] is not None  # resumed, not fresh: the call is still open
        assert second.pipelines["h001"].monitor.state_dict()["detectors"]["sos"]["presses"] == 0
        async with running(second.run):
            await started(second)
            await publish(local, messages_of(H2, "sos_bed", "sos", True))
            (again,) = await until(
                lambda: [e for e in hub.of(events) if e["kind"] == "sos" and e["seq"] > sos["seq"]],
                what="the second press",
            )
        assert again["state"] == "updated" and again["evidence"]["presses"] == 2
        assert again["started"] == sos["started"]  # the same call, not a new one
        assert len(raised(hub.of(events), "sos")) == 1
        assert hub.of(topic("h001", "event")) == []


async def test_the_detector_states_are_saved_periodically(brokers, tmp_path):
    local, uplink = brokers
    data = tmp_path / "hosted"
    hosted = make_hosted(local, uplink, data, save_every_s=0.1)
    files = {home: data / home / "detectors.json" for home in ("h001", "h002")}

    def presses(home: str) -> int:
        return json.loads(files[home].read_text())["detectors"]["sos"]["presses"]

    async with running(hosted.run):
        await started(hosted)
        await until(lambda: hosted.detector_saves == 2, what="both homes saved once")
        untouched = files["h002"].stat().st_mtime_ns
        await publish(local, messages_of(H1, "sos_bed", "sos", True))
        await until(lambda: presses("h001") == 1, what="the press saved")  # before any stop
        await asyncio.sleep(0.3)  # more rounds: only the home that changed was written again
        assert hosted.detector_saves == 3
        assert files["h002"].stat().st_mtime_ns == untouched and presses("h002") == 0


# -- the command line ----------------------------------------------------------------------


def edge_args(*argv: str):
    import argparse

    from eldercare import edge_command as command

    parser = argparse.ArgumentParser(prog="eldercare edge")
    command.add_arguments(parser)
    return command, parser, parser.parse_args(list(argv))


def write_homes(folder: Path) -> Path:
    folder.mkdir()
    (folder / "h001.yaml").write_text(H1.to_yaml(), encoding="utf-8")
    (folder / "h002.json").write_text(H2.to_json(), encoding="utf-8")
    (folder / "notes.txt").write_text("not a config", encoding="utf-8")
    return folder


def test_the_command_refuses_a_bad_hosted_folder_with_exit_2(tmp_path, capsys):
    homes = write_homes(tmp_path / "homes")
    url = "mqtt://127.0.0.1:1"
    common = ("--local", url, "--uplink", url, "--data", str(tmp_path / "data"))

    (homes / "h003.yml").write_text("home: h003\nstation: [oops\n", encoding="utf-8")
    command, _, args = edge_args("--hosted", str(homes), *common)
    assert command.run(args) == 2
    error = capsys.readouterr().err
    assert error.startswith("eldercare edge: ") and "h003.yml" in error, error
    assert error.count("\n") == 1 and "line 3" in error, error

    (homes / "h003.yml").write_text(H1.to_yaml(), encoding="utf-8")  # h001 again
    command, _, args = edge_args("--hosted", str(homes), *common)
    assert command.run(args) == 2
    error = capsys.readouterr().err
    assert "h003.yml" in error and "h001" in error and "h001.yaml" in error, error

    empty = tmp_path / "empty"
    empty.mkdir()
    for folder in (empty, tmp_path / "missing"):
        command, _, args = edge_args("--hosted", str(folder), *common)
        assert command.run(args) == 2
        error = capsys.readouterr().err
        assert error.startswith("eldercare edge: ") and str(folder) in error, error


def test_config_and_hosted_exclude_each_other(tmp_path, capsys):
    homes = write_homes(tmp_path / "homes")
    url = "mqtt://127.0.0.1:1"
    common = ("--local", url, "--uplink", url, "--data", str(tmp_path / "data"))
    for homes_given in [(), ("--config", str(homes / "h001.yaml"), "--hosted", str(homes))]:
        with pytest.raises(SystemExit) as exit_:
            edge_args(*homes_given, *common)
        assert exit_.value.code == 2
        assert "--config" in capsys.readouterr().err
    _, parser, _ = edge_args("--hosted", str(homes), *common)
    usage = parser.format_help()
    assert "--hosted DIR" in usage and "--process-id ID" in usage


async def test_the_hosted_command_runs_every_home_in_the_folder(brokers, tmp_path):
    local, uplink = brokers
    homes = write_homes(tmp_path / "homes")
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "eldercare", "edge", "--hosted", str(homes)),
        *("--local", local.url, "--uplink", uplink.hosted_url("cli-proc", ["h001", "h002"])),
        *("--data", str(tmp_path / "data")),
        *("--process-id", "cli-proc"),
        cwd=REPO,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with aiomqtt.Client(**uplink.client_kwargs()) as watcher:
            await watcher.subscribe(f"{PREFIX}/hosted/cli-proc/status", qos=1)
            await watcher.subscribe(topic("h002", "event"), qos=1)
            async with asyncio.timeout(WAIT):
                async for message in watcher.messages:
                    status = json.loads(message.payload)
                    # Listening on the local broker too (the uplink may come first; what is
                    # published before the first local session subscribed is nobody's).
                    if status["state"] == "online" and status["local_connected"]:
                        break
            assert status["homes"] == ["h001", "h002"]
            # A home from the JSON file, on its own Zigbee2MQTT base: its SOS arrives.
            await publish(local, messages_of(H2, "sos_bed", "sos", True))
            async with asyncio.timeout(WAIT):
                event = json.loads((await anext(aiter(watcher.messages))).payload)
            assert event["kind"] == "sos" and event["home"] == "h002"

            await stops_cleanly(process, watcher)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
