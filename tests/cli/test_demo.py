"""The README's demo command: a newcomer sees scripted incidents become alerts, in the
terminal and through the web API the pages use."""

from __future__ import annotations

import asyncio
import contextlib
import sys

import httpx

from tests.support.factories import free_port


async def test_the_demo_serves_alerts_from_scripted_incidents_within_a_minute():
    port = free_port()
    demo = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "eldercare", "demo", "--homes", "2", "--speed", "1500",
        "--days", "0.3", "--port", str(port), "--exit-after-simulation",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    lines: list[str] = []

    async def read() -> None:
        assert demo.stdout is not None
        async for line in demo.stdout:
            lines.append(line.decode())

    reader = asyncio.create_task(read())
    try:
        async with asyncio.timeout(60):
            while not any("/login" in line for line in lines):
                assert demo.returncode is None, await demo.stderr.read()  # type: ignore[union-attr]
                await asyncio.sleep(0.1)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as web:
                login = {"username": "dispatcher", "password": "demo"}
                assert (await web.post("/auth/login", json=login)).status_code == 200
                assert (await web.get("/console")).status_code == 200
                kinds: set[str] = set()
                while not {"sos", "fall"} <= kinds:
                    alerts = (await web.get("/alerts", params={"state": "all"})).json()
                    kinds = {a["kind"] for a in alerts}
                    await asyncio.sleep(0.5)
        async with asyncio.timeout(60):
            assert await demo.wait() == 0
        await reader
    finally:
        with contextlib.suppress(ProcessLookupError):
            demo.kill()
        reader.cancel()
    text = "".join(lines)
    assert "h001" in text and "sos raised (critical)" in text
    assert "h002" in text and "fall raised (critical)" in text
