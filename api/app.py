"""The FastAPI application: REST + WebSocket over a running :class:`~hub.service.Hub`.

The lifespan builds the long-lived parts (store, live feed, hub with its MQTT session) and
runs the hub's tasks next to the web server; stopping the server stops them. The hub's task
is ``app.state.hub_runner``: it ends only on a failure (e.g. another hub holds its MQTT
client id), which ``eldercare hub`` turns into its exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable

from fastapi import FastAPI
from sqlalchemy import select

from hub.accounts import save_user
from hub.feed import AlertFeed
from hub.passwords import PasswordPolicy, WeakPassword
from hub.redaction import remember, remember_target
from hub.schema import User
from hub.service import Hub
from hub.settings import HubSettings
from hub.store import Store

from . import errors
from .origin import OriginCheck
from .responses import SafeJSONResponse
from .routers import (
    absences,
    alerts,
    auth,
    beds,
    catalog,
    cities,
    districts,
    docs,
    homes,
    institutions,
    live,
    pages,
    push,
    reports,
    residents,
    rooms,
    rounds,
    service_orders,
    service_providers,
    service_types,
    shifts,
    stations,
    summaries,
    system,
    units,
    users,
    visit_plans,
    visit_tiers,
    visits,
)

log = logging.getLogger("api")


def create_app(
    settings: HubSettings | None = None,
    *,
    clock: Callable[[], float] = time.time,
    clock_rate: Callable[[], float] = lambda: 1.0,
    simulated: bool = False,
) -> FastAPI:
    """``clock`` is the homes' time as the pages show it (what "today" and "3 min ago" are
    counted from), running ``clock_rate()`` seconds a second; the demo passes its simulated
    clock (``simulated``) so that the pages and the replayed homes agree."""
    settings = settings or HubSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store(settings.database, recycle_s=settings.store_recycle_s)
        remember_settings_secrets(settings)
        first_admin(store, settings)
        feed = AlertFeed()
        hub = Hub(settings, store, feed)
        hub.visit_watch.clock = clock  # a visit is overdue on the days the pages show
        app.state.hub = hub
        runner = asyncio.create_task(hub.run(), name="hub")
        runner.add_done_callback(_report_end)
        app.state.hub_runner = runner
        try:
            yield
        finally:
            feed.close()
            runner.cancel()
            # A runner that failed was reported when it ended (_report_end).
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await runner
            hub.close()
            store.close()

    app = FastAPI(
        title="Eldercare hub",
        summary="Alerts from the homes of a community eldercare station (社区养老服务站)",
        version="0.1.0",
        lifespan=lifespan,
        default_response_class=SafeJSONResponse,
        # /docs and /redoc come from routers.docs, with their assets served locally.
        docs_url=None,
        redoc_url=None,
    )
    app.state.clock, app.state.clock_rate, app.state.simulated = clock, clock_rate, simulated
    errors.install(app)
    app.add_middleware(OriginCheck, public_origins=settings.public_origins)
    routers = (
        auth,
        users,
        stations,
        homes,
        residents,
        absences,
        alerts,
        institutions,
        units,
        rooms,
        beds,
        shifts,
        rounds,
        visit_tiers,
        visit_plans,
        visits,
        service_types,
        service_providers,
        service_orders,
        push,
        cities,
        districts,
        reports,
        summaries,
        catalog,
        live,
        system,
        pages,
        docs,
    )
    for router in routers:
        app.include_router(router.router)
    return app


def first_admin(store: Store, settings: HubSettings) -> None:
    """With no account yet: an "admin" account with ``admin_password``, which must pass the
    password rules (the hub does not start with a weak one); without it, say how to get
    in, since nobody can log in."""
    with store.transaction() as session:
        if session.scalars(select(User).limit(1)).first() is not None:
            return
        if not settings.admin_password:
            log.warning(
                "no account exists and ELDERCARE_ADMIN_PASSWORD is not set: nobody can log "
                "in. Set it (at least %d characters, not a common password) and restart; "
                "it creates the account 'admin'.",
                settings.password_min_length,
            )
            return
        reason = PasswordPolicy.of(settings).problem(settings.admin_password, "admin")
        if reason is not None:
            raise WeakPassword(f"ELDERCARE_ADMIN_PASSWORD is refused: {reason}")
        save_user(
            session, "admin", name="Administrator", role="admin", password=settings.admin_password
        )
        log.info("created the first account: admin")


def remember_settings_secrets(settings: HubSettings) -> None:
    """The settings' secrets are hidden wherever a log line would show them."""
    remember(settings.admin_password, settings.broker_url.password)
    for template in settings.contact_targets.values():
        remember_target(template)


def _report_end(runner: asyncio.Task[None]) -> None:
    # The hub's tasks end only when cancelled; anything else is a bug worth shouting about,
    # since the API would go on serving a hub that no longer takes in alerts.
    if not runner.cancelled() and runner.exception() is not None:
        error = runner.exception()
        while isinstance(error, BaseExceptionGroup) and error.exceptions:
            error = error.exceptions[0]
        log.critical("the hub stopped: %s", error, exc_info=error)
