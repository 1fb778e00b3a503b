"""Whether the hub's store can write: the one judge of the ``store`` problem.

Every part of the hub meets a failing store on its own: ingest's batch is not committed, an API
call or a background loop gets an error. Not every error is the store's (a bad action fails
too), and a problem one part saw must not be cleared by another while it lasts (a loop's probe
write may commit while ingest still holds a batch it could not store). So the parts report
here and this decides, with a probe write, when the hub is degraded and when it is not.
"""

from __future__ import annotations

import asyncio
import logging

from .health import HubCounts, HubHealth
from .store import Store

log = logging.getLogger("hub")


class StoreWatch:
    def __init__(self, store: Store, health: HubHealth, counts: HubCounts):
        self.store = store
        self.health = health
        self.counts = counts
        self._ingest_waiting = 0  # messages of a batch the store could not take yet

    async def failed(self, where: str, exc: BaseException) -> bool:
        """Count a store error; True (and degraded) if the store cannot write at all."""
        self.counts.store_errors += 1
        if await asyncio.to_thread(self.store.can_write):
            log.error("%s: a store error that is not the store's: %r", where, exc)
            return False
        self.health.fail("store", f"{where}: the store cannot write: {exc!r:.300}")
        return True

    async def recovered(self) -> None:
        """A store problem seen outside ingest ends when a probe write commits (while ingest
        has a batch waiting, its own commit says so)."""
        if (
            self.health.has("store")
            and not self._ingest_waiting
            and await asyncio.to_thread(self.store.can_write)
        ):
            self.health.clear("store")

    def batch_stored(self) -> None:
        """Ingest committed a whole batch: the store writes."""
        self.health.clear("store")

    def batch_waiting(self, waiting: int, error: str | None) -> None:
        """Ingest could not store ``waiting`` messages of a batch; they wait unacknowledged."""
        self.counts.store_errors += 1
        self.health.fail(
            "store",
            f"the store cannot take messages ({error}); {waiting} "
            "waiting, not acknowledged, stored as soon as it can",
        )
        self._ingest_waiting = waiting

    def batch_done(self) -> None:
        """Ingest holds no batch (stored, or given back to the broker by a lost session)."""
        self._ingest_waiting = 0
