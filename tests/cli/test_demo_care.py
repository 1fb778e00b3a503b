"""The demo's care operations (#16), through the web API the pages use: visit plans with a
visit due today, an overdue one (already an alert) and a home visit after two missed calls;
service orders in several states, the son's among them."""

from __future__ import annotations

import asyncio
import contextlib
import sys

import httpx

from tests.support.factories import free_port


async def test_the_demo_shows_due_visits_an_overdue_alert_and_orders():
    port = free_port()
    demo = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "eldercare", "demo", "--homes", "3", "--speed", "1500",
        "--days", "0.3", "--port", str(port),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    lines: list[str] = []

    async def read() -> None:
        assert demo.stdout is not None
        async for line in demo.stdout:
            lines.append(line.decode())

    reader = asyncio.create_task(read())
    try:
        async with asyncio.timeout(120):
            while not any("/login" in line for line in lines):
                assert demo.returncode is None, await demo.stderr.read()  # type: ignore[union-attr]
                await asyncio.sleep(0.1)
            base = f"http://127.0.0.1:{port}"
            # The hub takes in the replayed morning meanwhile: a reply may take seconds.
            async with (
                httpx.AsyncClient(base_url=base, timeout=60) as desk,
                httpx.AsyncClient(base_url=base, timeout=60) as son,
            ):
                for client, username in ((desk, "dispatcher"), (son, "family")):
                    login = {"username": username, "password": "demo"}
                    assert (await client.post("/auth/login", json=login)).status_code == 200
                due = {v["resident"]: v for v in (await desk.get("/visits/due")).json()}
                assert {r: (v["state"], v["method"]) for r, v in due.items()} == {
                    "h001": ("due", "phone"),
                    "h002": ("overdue", "video"),
                    "h003": ("due", "home"),  # not reached by phone twice
                }
                while not (await desk.get("/alerts", params={"kind": "visit_overdue"})).json():
                    await asyncio.sleep(0.2)
                orders = (await desk.get("/service-orders")).json()
                assert sorted(o["state"] for o in orders) == ["done", "on_the_way", "requested"]
                rated = next(o for o in orders if o["state"] == "done")
                assert rated["rating"] == 5 and rated["type"]["name_zh"] == "助浴"
                mine = (await son.get("/service-orders")).json()
                assert {o["resident"] for o in mine} == {"h001"} and len(mine) == 3
                types = {t["code"] for t in (await son.get("/service-types")).json()}
                assert types == {"meal", "bath", "clean", "doctor", "repair"}
    finally:
        with contextlib.suppress(ProcessLookupError):
            demo.kill()
        await demo.wait()
        reader.cancel()
