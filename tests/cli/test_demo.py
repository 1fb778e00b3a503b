"""The README's demo command: a newcomer sees scripted incidents become alerts, in the
terminal and through the web API the pages use."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from tests.support.demo_process import running_demo

ZONE = ZoneInfo("Asia/Shanghai")  # the demo homes'


async def test_the_demo_serves_alerts_from_scripted_incidents_within_a_minute():
    async with running_demo("--homes", "2", "--speed", "1500", "--days", "0.3",
                            "--exit-after-simulation") as demo:  # fmt: skip
        async with asyncio.timeout(60), httpx.AsyncClient(base_url=demo.url) as web:
            login = {"username": "dispatcher", "password": "demo"}
            assert (await web.post("/auth/login", json=login)).status_code == 200
            assert (await web.get("/console")).status_code == 200
            kinds: set[str] = set()
            # Until the API has the live homes' SOS and fall, not the seeded history's
            # (eldercare/demo_reports.py); on a busy machine the simulation may end first,
            # and then the terminal below must have them.
            while not {"sos", "fall"} <= kinds and demo.process.returncode is None:
                try:
                    alerts = (await web.get("/alerts", params={"state": "all"})).json()
                except httpx.TransportError:
                    break  # it has stopped, as asked, at the simulation's end
                kinds |= {a["kind"] for a in alerts if a["evidence"] != {"demo": "history"}}
                await asyncio.sleep(0.5)
        async with asyncio.timeout(60):
            assert await demo.process.wait() == 0
        await demo.reader
        lines = demo.lines
    text = "".join(lines)
    # The whole terminal on failure: the API had both alerts by then.
    assert "h001" in text and "sos raised (critical)" in text, text
    assert "h002" in text and "fall raised (critical)" in text, text


async def test_the_terminal_says_when_a_person_acted_on_the_demos_clock():
    """A raised alert is printed at the time it began (the SOS at 06:25); a person's action
    at the time it was taken on the demo's clock, not at the alert's start: "06:25 !!! h001
    杨国华: sos acknowledged (critical) by 张丽" was printed for an acknowledgement at 13:35."""
    async with (
        running_demo("--homes", "1", "--speed", "1500", "--days", "0.3") as demo,
        asyncio.timeout(90),
        httpx.AsyncClient(base_url=demo.url) as web,
    ):
        login = {"username": "dispatcher", "password": "demo"}
        assert (await web.post("/auth/login", json=login)).status_code == 200
        live: list[dict] = []
        while not live:
            alerts = (await web.get("/alerts", params={"kind": "sos"})).json()
            live = [a for a in alerts if a["evidence"] != {"demo": "history"}]
            await asyncio.sleep(0.5)
        # Later on the demo's clock than the SOS: its fall at 06:50 is in.
        while not (await web.get("/alerts", params={"kind": "fall"})).json():
            await asyncio.sleep(0.5)
        before = (await web.get("/clock")).json()["now"]
        acked = await web.post(f"/alerts/{live[0]['id']}/acknowledge")
        assert acked.status_code == 200, acked.text
        after = (await web.get("/clock")).json()["now"]
        acknowledged = "sos acknowledged (critical) by 张丽"
        while not any(acknowledged in line for line in demo.lines):
            await asyncio.sleep(0.2)
    lines = demo.lines
    raised = next(line for line in lines if "sos raised" in line)
    assert raised.startswith(live[0]["started"][11:16] + " !!! h001"), raised
    line = next(line for line in lines if acknowledged in line)
    # (a minute either side: the demo's clock and the wall's are read a moment apart)
    bounds = [datetime.fromtimestamp(t, ZONE).strftime("%H:%M") for t in (before - 60, after + 60)]
    assert bounds[0] <= line[:5] <= bounds[1], (line, bounds)
    assert not line.startswith(raised[:5]), line  # not the alert's start


async def test_ctrl_c_in_its_terminal_stops_the_demo_cleanly():
    """Ctrl-C reaches every process of the terminal's foreground group at once. Its brokers
    used to be in that group and went first, so the edges and the hub stopped against a dead
    broker: tracebacks on the newcomer's first exit, and now and then a stop that never
    finished. They now run in a session of their own, and the demo stops them last.
    ``running_demo`` checks the stop: exit 0, no traceback, nothing left running."""
    async with running_demo("--homes", "1", "--speed", "1500", ctrl_c=True) as demo:
        assert demo.process.returncode is None
