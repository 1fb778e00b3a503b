"""The README's demo command: a newcomer sees scripted incidents become alerts, in the
terminal and through the web API the pages use."""

from __future__ import annotations

import asyncio

import httpx

from tests.support.demo_process import running_demo


async def test_the_demo_serves_alerts_from_scripted_incidents_within_a_minute():
    async with running_demo("--homes", "2", "--speed", "1500", "--days", "0.3",
                            "--exit-after-simulation") as demo:  # fmt: skip
        async with asyncio.timeout(60), httpx.AsyncClient(base_url=demo.url) as web:
            login = {"username": "dispatcher", "password": "demo"}
            assert (await web.post("/auth/login", json=login)).status_code == 200
            assert (await web.get("/console")).status_code == 200
            kinds: set[str] = set()
            while not {"sos", "fall"} <= kinds:
                alerts = (await web.get("/alerts", params={"state": "all"})).json()
                # the live homes', not the seeded history's (eldercare/demo_reports.py)
                alerts = [a for a in alerts if a["evidence"] != {"demo": "history"}]
                kinds = {a["kind"] for a in alerts}
                await asyncio.sleep(0.5)
        async with asyncio.timeout(60):
            assert await demo.process.wait() == 0
        await demo.reader
        lines = demo.lines
    text = "".join(lines)
    # The whole terminal on failure: the API had both alerts by then.
    assert "h001" in text and "sos raised (critical)" in text, text
    assert "h002" in text and "fall raised (critical)" in text, text


async def test_ctrl_c_in_its_terminal_stops_the_demo_cleanly():
    """Ctrl-C reaches every process of the terminal's foreground group at once. Its brokers
    used to be in that group and went first, so the edges and the hub stopped against a dead
    broker: tracebacks on the newcomer's first exit, and now and then a stop that never
    finished. They now run in a session of their own, and the demo stops them last.
    ``running_demo`` checks the stop: exit 0, no traceback, nothing left running."""
    async with running_demo("--homes", "1", "--speed", "1500", ctrl_c=True) as demo:
        assert demo.process.returncode is None
