"""The FastAPI application: REST + WebSocket over a running :class:`~hub.service.Hub`.

The lifespan builds the long-lived parts (store, live feed, hub with its MQTT session) and
runs the hub's tasks next to the web server; stopping the server stops them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from hub.feed import AlertFeed
from hub.service import Hub
from hub.settings import HubSettings
from hub.store import Store

from . import errors
from .routers import alerts, homes, live, residents, stations, system

log = logging.getLogger("api")


def create_app(settings: HubSettings | None = None) -> FastAPI:
    settings = settings or HubSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store(settings.database)
        feed = AlertFeed()
        hub = Hub(settings, store, feed)
        app.state.hub = hub
        runner = asyncio.create_task(hub.run(), name="hub")
        try:
            yield
        finally:
            feed.close()
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
            store.close()

    app = FastAPI(
        title="Eldercare hub",
        summary="Alerts from the homes of a community eldercare station (社区养老服务站)",
        version="0.1.0",
        lifespan=lifespan,
    )
    errors.install(app)
    for router in (stations, homes, residents, alerts, live, system):
        app.include_router(router.router)
    return app
