"""Killing the hub (SIGKILL) and starting it again loses no alert and no escalation."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from tests.support.factories import (
    ADMIN_PASSWORD,
    HOME,
    PREFIX,
    event_message,
    free_port,
    register,
)
from tests.support.mqtt import PROCESS_START_S, publish, until
from tests.support.stores import fresh_database

# The family (SMS) at once, the station a few seconds later if nobody acknowledges: long
# enough for the hub to be killed before it, on a busy machine too.
STATION_AFTER_S = 4.0
POLICIES = {
    severity: {
        "steps": [
            {"after_s": 0, "notify": ["family"]},
            {"after_s": STATION_AFTER_S, "notify": ["station"]},
        ],
        "repeat_every_s": 60,
    }
    for severity in ("critical", "major", "minor", "warning")
}


class HubProcess:
    def __init__(self, broker, folder: Path, sms_url: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "ELDERCARE_DATABASE": fresh_database(folder),
            "ELDERCARE_CLIENT_ID": "hub-restart-test",
            "ELDERCARE_POLICIES": json.dumps(POLICIES),
            "ELDERCARE_CONTACT_TARGETS": json.dumps({"sms": sms_url}),
            "ELDERCARE_ESCALATION_TICK_S": "0.05",
            "ELDERCARE_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "ELDERCARE_COOKIE_SECURE": "false",
        }
        self.argv = [
            sys.executable, "-m", "eldercare", "hub",
            "--broker", broker.url, "--port", str(self.port), "--prefix", PREFIX,
        ]  # fmt: skip
        self.log = open(folder / "hub.log", "ab")  # noqa: SIM115 (kept across restarts)
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self, http: httpx.AsyncClient) -> None:
        self.process = subprocess.Popen(self.argv, env=self.env, stdout=self.log, stderr=self.log)

        async def connected() -> bool:
            with contextlib.suppress(httpx.HTTPError):
                return (await http.get("/health")).json()["connected"]
            return False

        async with asyncio.timeout(PROCESS_START_S):
            while not await connected():
                assert self.process.poll() is None, "the hub exited"
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.log.close()


@contextlib.asynccontextmanager
async def hub_process(broker, folder: Path, sms_url: str) -> AsyncIterator[HubProcess]:
    hub = HubProcess(broker, folder, sms_url)
    try:
        yield hub
    finally:
        hub.stop()


def station_told(receiver) -> bool:
    """The station heard about the heart rate (not the fall, which escalates on its own)."""
    return any(
        r.path.startswith("/station") and "心率" in r.body["title"] for r in receiver.requests
    )


class Client:
    """Just enough of ``tests.support.served_hub.Served`` for ``register``."""

    def __init__(self, http: httpx.AsyncClient):
        self.http = http


async def test_a_killed_hub_loses_no_alert_and_no_pending_escalation(
    mosquitto, tmp_path, http_receiver
):
    sms = http_receiver.url("/sms") + "?to={phone}"
    station = http_receiver.url("/station")
    async with (
        hub_process(mosquitto, tmp_path, sms) as hub,
        httpx.AsyncClient(base_url=hub.url) as http,
    ):
        await hub.start(http)
        login = {"username": "admin", "password": ADMIN_PASSWORD}
        (await http.post("/auth/login", json=login)).raise_for_status()
        await register(Client(http), notify=[station])
        raised_at = time.monotonic()
        await publish(mosquitto, [event_message("abnormal_heart_rate", seq=1, severity="major")])
        await until(lambda: any(r.path.startswith("/sms") for r in http_receiver.requests))
        hub.kill()  # before the station's step is due: the timer is only in the store now
        assert not station_told(http_receiver), "too slow a machine for this test's timing"

        # While the hub is down, a fall arrives at the broker for its persistent session.
        await publish(mosquitto, [event_message("fall", seq=2)])
        # The station's step falls due while nobody runs it.
        await asyncio.sleep(max(0.0, raised_at + STATION_AFTER_S + 0.5 - time.monotonic()))
        assert not station_told(http_receiver)

        await hub.start(http)
        await until(
            lambda: station_told(http_receiver),
            what="the station's escalation of the heart rate alert after the restart",
        )

        async def kinds() -> list[str]:
            alerts = (await http.get("/alerts", params={"state": "all"})).json()
            return sorted(alert["kind"] for alert in alerts)

        # The fall the broker kept for the hub's session arrives too (its escalation timer
        # may well fire before the broker has handed the queued message over).
        async with asyncio.timeout(10):
            while await kinds() != ["abnormal_heart_rate", "fall"]:
                await asyncio.sleep(0.1)
        alerts = (await http.get("/alerts", params={"state": "all"})).json()

        # And the restarted hub is a working hub: an acknowledgement still stops escalation.
        fall = next(a for a in alerts if a["kind"] == "fall")
        acked = await http.post(f"/alerts/{fall['id']}/acknowledge")
        assert acked.json()["state"] == "active_acknowledged"
        assert fall["home"] == HOME
