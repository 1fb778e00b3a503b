"""The hub's work that comes from the clock, not from a message: escalation timers, homes gone
quiet, overdue visits, retention, and outcome feedback stepping back.

Each is a loop of its own task, so a slow retention sweep never delays an escalation. What
they work on lives in the store (the timers, the rows), so a failing store loses nothing: a
loop reports the error (:class:`~hub.store_watch.StoreWatch`) and tries again at its next
tick; the escalation tick is also when the store and takeover problems are seen to be over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError

from .alerts import AlertManager, AlertUpdate
from .feedback import DECAY_EVERY_S
from .health import HubCounts, TakeoverWatch
from .ingest_counts import HomeChange
from .registry import decay_feedback
from .retention import sweep
from .settings import HubSettings
from .store import Store
from .store_watch import StoreWatch
from .visit_watch import VisitWatch

log = logging.getLogger("hub")

Publish = Callable[[list[AlertUpdate], list[HomeChange]], None]


class Periodic:
    """``escalation()``, ``retention()`` and ``feedback()``: the hub's tasks of those names."""

    def __init__(
        self,
        store: Store,
        settings: HubSettings,
        *,
        manager: AlertManager,
        visit_watch: VisitWatch,
        counts: HubCounts,
        store_watch: StoreWatch,
        takeover: TakeoverWatch,
        publish: Publish,
        deliveries_ready: asyncio.Event,
        outbox_ready: asyncio.Event,
    ):
        self.store = store
        self.settings = settings
        self.manager = manager
        self.visit_watch = visit_watch
        self.counts = counts
        self.store_watch = store_watch
        self.takeover = takeover
        self.publish = publish
        self.deliveries_ready = deliveries_ready
        self.outbox_ready = outbox_ready

    async def escalation(self) -> None:
        while True:
            try:
                updates = await asyncio.to_thread(self._fire_due)
            except SQLAlchemyError as exc:
                # A locked or unreachable store: the timers are still in it; try again.
                await self.store_watch.failed("escalation", exc)
                updates = []
            else:
                await self.store_watch.recovered()
            self.takeover.settle()
            if updates:
                self.counts.escalations += len(updates)
                self.publish(updates, [])
                self.deliveries_ready.set()
            await asyncio.sleep(self.settings.escalation_tick_s)

    async def retention(self) -> None:
        while True:
            try:
                deleted = await asyncio.to_thread(sweep, self.store, self.settings)
            except SQLAlchemyError as exc:
                await self.store_watch.failed("retention", exc)
            else:
                self.counts.retention_deleted += sum(deleted.values())
                if any(deleted.values()):
                    log.info(
                        "retention: deleted %s",
                        ", ".join(f"{n} {table}" for table, n in deleted.items() if n),
                    )
            await asyncio.sleep(self.settings.retention_every_s)

    async def feedback(self) -> None:
        """Every hour, step back outcome-feedback factors whose kind has been quiet for weeks
        (:mod:`hub.feedback`), and push the configs that changed."""
        while True:
            try:
                decayed = await asyncio.to_thread(self._decay_feedback)
            except SQLAlchemyError as exc:
                await self.store_watch.failed("feedback", exc)
            else:
                if decayed:
                    log.info("feedback: %d limits stepped back after quiet weeks", decayed)
                    self.outbox_ready.set()
            await asyncio.sleep(DECAY_EVERY_S)

    def _decay_feedback(self) -> int:
        with self.store.transaction() as session:
            return len(decay_feedback(session, prefix=self.settings.prefix))

    def _fire_due(self) -> list[AlertUpdate]:
        with self.store.transaction() as session:
            return (
                self.manager.fire_due(session)
                + self.manager.homes_offline(session)
                + self.visit_watch.due(session)
            )
