"""`eldercare provision` against a real Mosquitto running deploy/mosquitto/hub.conf as
shipped: a provisioned home connects and publishes its own topics, a revoked one is refused
after the broker reloads (and, still connected, can publish nothing), and a hosted
process's account works for its homes only."""

from __future__ import annotations

import asyncio
import contextlib
import json
import stat
from pathlib import Path

import aiomqtt
import pytest

from eldercare.cli import main
from tests.support.deploy_brokers import deploy_broker

PREFIX = "eldercare/v1"


@pytest.fixture
def hub_broker(tmp_path):
    broker = deploy_broker("hub", tmp_path / "broker")
    (tmp_path / "mosquitto.pid").write_text(f"{broker.process.pid}\n")
    try:
        yield broker
    finally:
        broker.stop()


def provision(tmp_path: Path, *argv: str) -> int:
    folder = str(tmp_path / "broker")
    return main(["provision", *argv, "--dir", folder, "--reload", str(tmp_path / "mosquitto.pid")])


async def connects(broker, username: str, password: str) -> bool:
    try:
        async with aiomqtt.Client(broker.host, broker.port, username=username, password=password):
            return True
    except aiomqtt.MqttError:
        return False


async def eventually(condition, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.05)


async def test_a_provisioned_home_connects_and_a_revoked_one_is_refused(
    hub_broker, tmp_path, capsys
):
    out = tmp_path / "h001.password"
    assert provision(tmp_path, "home", "h001", "--password-out", str(out)) == 0
    told = capsys.readouterr().out
    password = out.read_text().strip()
    assert password not in told and "ELDERCARE_MQTT_USERNAME=h001" in told
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    await eventually(lambda: connects(hub_broker, "h001", password))

    hub = hub_broker.client_kwargs(hub_broker.url)
    edge = aiomqtt.Client(hub_broker.host, hub_broker.port, username="h001", password=password)
    async with aiomqtt.Client(**hub) as station:
        await station.subscribe(f"{PREFIX}/+/event", qos=1)
        await edge.__aenter__()
        await edge.publish(f"{PREFIX}/h001/event", b'{"n": 1}', qos=1)
        async with asyncio.timeout(5):
            message = await anext(aiter(station.messages))
        assert str(message.topic) == f"{PREFIX}/h001/event"

        assert provision(tmp_path, "revoke", "h001") == 0
        # The reload checks connected clients too: the revoked edge is cut off at once.
        with pytest.raises(aiomqtt.MqttError):
            async with asyncio.timeout(5):
                async for _ in edge.messages:
                    pass
        with contextlib.suppress(aiomqtt.MqttError):
            await edge.__aexit__(None, None, None)
    assert not await connects(hub_broker, "h001", password)


async def test_a_hosted_process_account_works_for_its_homes_only(hub_broker, tmp_path, capsys):
    assert provision(tmp_path, "hosted", "gw-1", "--homes", "h001,h002") == 0
    told = capsys.readouterr().out
    password = told.rsplit(": ", 1)[1].split()[0]
    assert "ELDERCARE_MQTT_USERNAME=hosted.gw-1" in told and "--process-id gw-1" in told
    await eventually(lambda: connects(hub_broker, "hosted.gw-1", password))
    process = {"username": "hosted.gw-1", "password": password}
    async with aiomqtt.Client(**hub_broker.client_kwargs(hub_broker.url)) as station:
        await station.subscribe(f"{PREFIX}/#", qos=1)
        async with aiomqtt.Client(hub_broker.host, hub_broker.port, **process) as gateway:
            await gateway.publish(f"{PREFIX}/h003/event", b"{}", qos=1)  # not its home
            await gateway.publish(f"{PREFIX}/h002/event", b"{}", qos=1)
            will = json.dumps({"state": "offline", "homes": ["h001", "h002"]})
            await gateway.publish(f"{PREFIX}/hosted/gw-1/status", will, qos=1)
        heard = []
        async with asyncio.timeout(5):
            async for message in station.messages:
                heard.append(str(message.topic))
                if len(heard) == 2:
                    break
    assert heard == [f"{PREFIX}/h002/event", f"{PREFIX}/hosted/gw-1/status"]


def test_bad_names_and_unknown_accounts_are_refused_with_a_reason(tmp_path, capsys):
    folder = ["--dir", str(tmp_path / "files")]
    assert main(["provision", "home", "hub", *folder]) == 2
    assert "reserved" in capsys.readouterr().err
    assert main(["provision", "home", "h/001", *folder]) == 2
    assert "letters, digits" in capsys.readouterr().err
    assert main(["provision", "revoke", "h404", *folder]) == 2
    assert "no account 'h404'" in capsys.readouterr().err
    assert main(["provision", "hosted", "gw-1", *folder]) == 2
    assert "--homes" in capsys.readouterr().err
