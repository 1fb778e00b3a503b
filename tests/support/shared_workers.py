"""Several `eldercare hub` workers of one shared group on one new PostgreSQL database, as
real processes (docs/hub-at-scale.md, "Several hub workers")."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from tests.support.hub_process import HubProcess
from tests.support.stores import postgresql_database

GROUP = "hubs"


@contextlib.asynccontextmanager
async def workers(
    broker, folder: Path, count: int, **env: str
) -> AsyncIterator[tuple[str, list[HubProcess]]]:
    """``count`` workers of one group on one new PostgreSQL database, started one after the
    other (slots 1..count); yields the database URL and the workers."""
    database = postgresql_database()
    started: list[HubProcess] = []
    try:
        for slot in range(1, count + 1):
            worker = HubProcess(
                broker,
                folder / f"worker-{slot}",
                ELDERCARE_DATABASE=database,
                ELDERCARE_SHARED_GROUP=GROUP,
                ELDERCARE_WORKER=str(slot),
                **env,
            )
            started.append(worker)
            await worker.start()
        yield database, started
    finally:
        for worker in started:
            await worker.stop()
