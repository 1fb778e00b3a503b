"""The real hub as the bench runs it: its settings, a session created and left offline so
the broker queues a backlog for it, the drain of that backlog, and the hub with its API
served by uvicorn for the latency phases.

SQLAlchemy, FastAPI and uvicorn are imported where used: the load process imports this
package too and needs none of them, nor does `eldercare bench --help`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from eldercare.broker import free_port

from .sizes import STALL_S

if TYPE_CHECKING:
    from hub.service import Hub
    from hub.settings import HubSettings
    from hub.store import Store


def hub_settings(url: str, database: str, prefix: str, client_id: str) -> HubSettings:
    from hub.settings import HubSettings

    # Plain http on loopback: the session cookie must come back without HTTPS.
    return HubSettings(
        broker=url, database=database, prefix=prefix, client_id=client_id, cookie_secure=False
    )


async def stop_task(task: asyncio.Task[Any]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def hub_session(settings: HubSettings, store: Store) -> None:
    """Run the hub until it has subscribed, then stop it: the broker now queues for it."""
    from hub.service import Hub

    hub = Hub(settings, store)
    task = asyncio.create_task(hub.run())
    try:
        async with asyncio.timeout(10):
            await hub.connected.wait()
    finally:
        await stop_task(task)


async def hub_drain(settings: HubSettings, store: Store, expected: int) -> tuple[Hub, float]:
    """Start the hub on its queued backlog; (its counts, seconds until all is stored)."""
    from hub.service import Hub

    hub = Hub(settings, store)
    started = time.perf_counter()
    task = asyncio.create_task(hub.run())
    counts = hub.ingestor.counts
    seen, still_since = -1, time.perf_counter()
    try:
        while counts.readings < expected:
            if task.done():
                task.result()  # the hub failed: say why
            await asyncio.sleep(0.005)  # 5 ms granularity on a drain of seconds
            if counts.readings != seen:
                seen, still_since = counts.readings, time.perf_counter()
            elif time.perf_counter() - still_since > STALL_S:
                break
        elapsed = time.perf_counter() - started
        # Let the last batch's acks reach the broker before the session goes.
        await asyncio.sleep(0.2)
    finally:
        await stop_task(task)
    return hub, elapsed


@contextlib.asynccontextmanager
async def served(settings: HubSettings) -> AsyncIterator[tuple[str, Hub]]:
    """The hub + API under uvicorn in this event loop: (base URL, the Hub)."""
    import uvicorn

    from api.app import create_app

    app = create_app(settings)
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=5
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    hub = None
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        hub = app.state.hub
        async with asyncio.timeout(10):
            await hub.connected.wait()
        yield f"http://127.0.0.1:{port}", hub
    finally:
        if hub is not None:
            # A /ws handler whose client has gone notices only when the feed next sends,
            # and uvicorn waits for it before the lifespan closes the feed: close it first.
            hub.feed.close()
        server.should_exit = True
        await task
