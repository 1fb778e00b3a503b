"""A hub + API served by uvicorn in the test's event loop, on a broker the test started.

Tests take it from tests.support.factories, with the homes they register and the events
they send it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from api.app import create_app
from eldercare.broker import Broker, free_port
from hub.escalation import EscalationPolicies
from hub.service import Hub
from hub.settings import HubSettings
from tests.support.stores import fresh_database

PREFIX = "eldercare/v1"
# Passwords that pass the hub's rules (hub.passwords): long enough, not common.
ADMIN_PASSWORD = "quiet-lantern-4827"
PASSWORD = "harbour-staff-3916"


def fast_policies(repeat_s: float = 0.3) -> EscalationPolicies:
    """Station and family at once, again every ``repeat_s`` until someone acknowledges."""
    urgent = {
        "steps": [{"after_s": 0, "notify": ["station", "family"]}],
        "repeat_every_s": repeat_s,
    }
    return EscalationPolicies.model_validate(
        {
            "critical": urgent,
            "major": urgent,
            "minor": urgent,
            "warning": {"steps": [{"after_s": 0, "notify": ["station"]}]},
        }
    )


def settings_for(broker: Broker, folder: Path, **changes: Any) -> HubSettings:
    values: dict[str, Any] = {
        "broker": broker.url,
        "database": fresh_database(folder),
        "prefix": PREFIX,
        "client_id": f"hub-{folder.name}",
        "escalation_tick_s": 0.05,
        "delivery_retry_s": 0.2,
        "admin_password": ADMIN_PASSWORD,
        "cookie_secure": False,  # plain http on 127.0.0.1: a Secure cookie would not return
        **changes,
    }
    return HubSettings(**values)


class Served:
    """A running hub: its base URL, the Hub object, and HTTP clients logged in as users
    (``http`` is the admin)."""

    def __init__(self, url: str, hub: Hub):
        self.url = url
        self.hub = hub
        self.http = httpx.AsyncClient(base_url=url, timeout=30)
        self._clients: list[httpx.AsyncClient] = [self.http]

    async def client_for(self, username: str, password: str = PASSWORD) -> httpx.AsyncClient:
        client = httpx.AsyncClient(base_url=self.url, timeout=30)
        self._clients.append(client)
        response = await client.post(
            "/auth/login", json={"username": username, "password": password}
        )
        response.raise_for_status()
        return client

    async def close(self) -> None:
        for client in self._clients:
            await client.aclose()

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/ws"


async def _start(
    settings: HubSettings, clock: Callable[[], float]
) -> tuple[Any, uvicorn.Server, asyncio.Task[None], int]:
    """Start uvicorn on a free port; another worker may take the port between the probe and
    the bind, so a port that will not bind is given up and another one tried."""
    for _attempt in range(5):
        app = create_app(settings, clock=clock)
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        task = asyncio.create_task(_serve_until_bind_fails(server))
        while not server.started and not task.done():
            await asyncio.sleep(0.02)
        if server.started:
            return app, server, task, port
        task.result()  # an error other than the port's is the test's to see
    raise RuntimeError("no free port would bind in 5 tries")


async def _serve_until_bind_fails(server: uvicorn.Server) -> None:
    # uvicorn answers a port in use with sys.exit(); raised out of a task, SystemExit would
    # stop this worker's event loop and fail every test after it.
    try:
        await server.serve()
    except SystemExit:
        if server.started:
            raise


@contextlib.asynccontextmanager
async def served(
    settings: HubSettings, *, clock: Callable[[], float] = time.time
) -> AsyncIterator[Served]:
    """``clock``: the homes' time as the API counts it (a test moves it to see tomorrow)."""
    app, server, task, port = await _start(settings, clock)
    try:
        hub: Hub = app.state.hub
        async with asyncio.timeout(10):
            await hub.connected.wait()
        result = Served(f"http://127.0.0.1:{port}", hub)
        try:
            login = {"username": "admin", "password": ADMIN_PASSWORD}
            (await result.http.post("/auth/login", json=login)).raise_for_status()
            yield result
        finally:
            await result.close()
    finally:
        server.should_exit = True
        await task


def cookie_of(client) -> dict[str, str]:
    """The logged-in client's session cookie, as a header for a WebSocket handshake."""
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items())}


async def home_states(http: httpx.AsyncClient) -> dict[str, str]:
    """Each home's status as the API shows it (online, offline, unknown)."""
    return {home["id"]: home["status"] for home in (await http.get("/homes")).json()}


async def until_home_states(
    http: httpx.AsyncClient, expected: dict[str, str], timeout: float = 10
) -> None:
    async with asyncio.timeout(timeout):
        while await home_states(http) != expected:
            await asyncio.sleep(0.05)


async def frames_of(ws: Any, kind: str, count: int) -> list[dict[str, Any]]:
    """The next ``count`` WebSocket frames of type ``kind`` (others skipped), within 10 s."""
    frames = []
    async with asyncio.timeout(10):
        while len(frames) < count:
            frame = json.loads(await ws.recv())
            if frame["type"] == kind:
                frames.append(frame)
    return frames
