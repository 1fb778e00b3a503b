"""What the hub tests share: a hub + API served by uvicorn in the test's event loop, a home
registered through the API, and messages as an edge sends them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from api.app import create_app
from eldercare.broker import Broker
from hub.escalation import EscalationPolicies
from hub.service import Hub
from hub.settings import HubSettings

PREFIX = "eldercare/v1"
STATION = "st1"
HOME = "h001"
ADMIN_PASSWORD = "admin-password"
PASSWORD = "demo-password"
DISPATCHER = "zhang.li"  # 张丽, dispatcher of STATION
FAMILY = "li.ming"  # 李明, son of the resident of HOME


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
        "database": f"sqlite:///{folder / 'hub.db'}",
        "prefix": PREFIX,
        "client_id": f"hub-{folder.name}",
        "escalation_tick_s": 0.05,
        "delivery_retry_s": 0.2,
        "admin_password": ADMIN_PASSWORD,
        **changes,
    }
    return HubSettings(**values)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """A running hub: its base URL, the Hub object, and HTTP clients logged in as users
    (``http`` is the admin)."""

    def __init__(self, url: str, hub: Hub):
        self.url = url
        self.hub = hub
        self.http = httpx.AsyncClient(base_url=url, timeout=10)
        self._clients: list[httpx.AsyncClient] = [self.http]

    async def client_for(self, username: str, password: str = PASSWORD) -> httpx.AsyncClient:
        client = httpx.AsyncClient(base_url=self.url, timeout=10)
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


@contextlib.asynccontextmanager
async def served(settings: HubSettings) -> AsyncIterator[Served]:
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
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


def home_config(home: str = HOME, station: str = STATION, **changes: Any) -> dict[str, Any]:
    return {
        "home": home,
        "station": station,
        "timezone": "Asia/Shanghai",
        "resident": {"name": "王秀英", "birth_year": 1942, "address": "幸福路 8 号 3-201"},
        "devices": [
            {
                "id": "radar_bath",
                "kind": "fall_radar",
                "role": "bathroom",
                "source": "zigbee2mqtt:radar1",
                "model": "MIR-HE200-TY",
            },
            {"id": "sos_bed", "kind": "sos_button", "role": "bedside", "source": "zigbee2mqtt:sos"},
            {"id": "band", "kind": "bracelet", "role": "wrist", "source": "native"},
        ],
        "contacts": [
            {"name": "李明", "relation": "son", "phone": "13800000000", "notify": ["app", "sms"]}
        ],
        **changes,
    }


async def register(
    hub: Served, *, notify: list[str] | None = None, homes: tuple[str, ...] = (HOME,)
) -> None:
    """The station, its homes, a dispatcher of the station and the son of HOME's resident,
    through the API as the admin."""
    response = await hub.http.put(
        f"/stations/{STATION}", json={"name": "颍州社区养老服务站", "notify": notify or []}
    )
    response.raise_for_status()
    for home in homes:
        response = await hub.http.put(f"/homes/{home}", json=home_config(home))
        response.raise_for_status()
    users = {
        DISPATCHER: {"name": "张丽", "role": "dispatcher", "stations": [STATION]},
        FAMILY: {"name": "李明", "role": "family", "residents": [HOME]},
    }
    for username, user in users.items():
        response = await hub.http.put(f"/users/{username}", json={**user, "password": PASSWORD})
        response.raise_for_status()


def event_message(
    kind: str = "fall",
    state: str = "raised",
    *,
    seq: int,
    home: str = HOME,
    severity: str = "critical",
    evidence: dict[str, Any] | None = None,
    window: dict[str, Any] | None = None,
) -> tuple[str, bytes]:
    now = datetime.now(UTC).isoformat()
    document = {
        "ts": now,
        "home": home,
        "kind": kind,
        "state": state,
        "severity": severity,
        "started": now,
        "detector": kind,
        "evidence": evidence or {"source": "radar"},
        "edge": home,
        "seq": seq,
    }
    if window is not None:
        document["window"] = window
    return f"{PREFIX}/{home}/event", json.dumps(document).encode()
