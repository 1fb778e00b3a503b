"""The running hub: the parts that take the homes' messages, escalate, notify and serve the
API, and the ``asyncio.TaskGroup`` that runs them: one task failing stops the hub as a whole
rather than leaving it half alive without saying so.

:class:`Hub` builds the parts and runs them as named tasks:

* ``mqtt``: the one MQTT session to the homes; a message is acknowledged to the broker only
  after it is committed (:mod:`hub.uplink`).
* ``escalation``, ``retention``, ``feedback``: the work that comes from the clock: escalation
  timers, homes gone quiet, overdue visits, old rows, quiet weeks (:mod:`hub.periodic`).
* ``deliveries``: send pending notifications through apprise, each on its own (a slow or
  broken target never holds up another), retried with growing delays (:mod:`hub.deliveries`).
* ``summaries``: the families' morning summaries, once per user, resident and day
  (:mod:`hub.family_summary`).
* ``feed-relay`` (workers of a shared group only): the other workers' feed messages, through
  PostgreSQL's LISTEN/NOTIFY (:mod:`hub.feed_relay`). With several workers the store is the
  arbiter of who handles what (:mod:`hub.arbiter`).

Store work runs in threads, so the event loop keeps serving the API and the WebSockets;
ingest has a thread of its own and password checks another (:mod:`hub.logins`), so neither
the API's work nor a flood of log-ins delays an alert. After every commit the changes go to
the live :class:`~hub.feed.AlertFeed` (:mod:`hub.feed_publish`). Whether the store can write
is judged in one place (:mod:`hub.store_watch`).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from . import channels
from .alerts import AlertManager, AlertUpdate
from .audit import ReadLog
from .deliveries import DeliveryWorker, MqttOutbox
from .family_summary import SummaryScheduler
from .feed import AlertFeed
from .feed_publish import FeedPublisher
from .feed_relay import FeedRelay
from .health import HubCounts, HubHealth, TakeoverWatch
from .ingest import Ingestor
from .ingest_counts import IngestResult
from .logins import Logins
from .logins import LoginsBusy as LoginsBusy  # where it was defined before hub.logins
from .periodic import Periodic
from .presence import Presence
from .schema import User
from .settings import HubSettings
from .store import Store, StoreError
from .store_watch import StoreWatch
from .telemetry_sink import TelemetrySink, sink_for
from .uplink import Uplink
from .visit_watch import VisitWatch

T = TypeVar("T")


class Hub:
    def __init__(self, settings: HubSettings, store: Store, feed: AlertFeed | None = None):
        self.settings = settings
        self.store = store
        self.feed = feed or AlertFeed()
        self.manager = AlertManager(
            prefix=settings.prefix,
            policies=settings.policies,
            contact_targets=settings.contact_targets,
            language=settings.language,
            home_offline_after_s=settings.home_offline_after_s,
        )
        self.visit_watch = VisitWatch(self.manager)  # overdue visits raise alerts
        self.telemetry: TelemetrySink | None = sink_for(settings.influx)  # None: no InfluxDB
        self.ingestor = Ingestor(
            store,
            self.manager,
            prefix=settings.prefix,
            rejected_max=settings.rejected_max,
            telemetry=self.telemetry,
        )
        self.counts = HubCounts()
        self.health = HubHealth()
        self.store_watch = StoreWatch(store, self.health, self.counts)
        # Several workers: what this one publishes reaches the others' WebSockets too.
        self.relay = (
            FeedRelay(settings.database, secrets.token_hex(8), self.feed)
            if settings.shared_group
            else None
        )
        self.publisher = FeedPublisher(self.feed, self.relay)
        self.takeover = TakeoverWatch(
            self.health, lambda: self.client_id, prompt_s=settings.reconnect_max_s + 2
        )
        failed = self.store_watch.failed
        shared = settings.shared_group is not None
        self.outbox = MqttOutbox(store, self.counts, failed, claim=shared)
        self.deliveries = DeliveryWorker(store, settings, self.counts, failed)
        self.summaries = SummaryScheduler(
            store, contact_targets=settings.contact_targets, language=settings.language,
            influx=lambda: self.telemetry.api if self.telemetry is not None else None,
            deliveries_ready=self.deliveries.ready, store_failed=failed,
        )  # fmt: skip
        self.uplink = Uplink(
            settings,
            store,
            ingestor=self.ingestor,
            counts=self.counts,
            store_watch=self.store_watch,
            takeover=self.takeover,
            outbox=self.outbox,
            deliveries_ready=self.deliveries.ready,
            publish=self.publisher.publish,
        )
        self.periodic = Periodic(
            store,
            settings,
            manager=self.manager,
            visit_watch=self.visit_watch,
            counts=self.counts,
            store_watch=self.store_watch,
            takeover=self.takeover,
            publish=self.publisher.publish,
            deliveries_ready=self.deliveries.ready,
            outbox_ready=self.outbox.ready,
        )
        self.logins = Logins(store, settings, self.store_watch, self.act)
        self.session_policy = self.logins.session_policy
        self.throttle_policy = self.logins.throttle_policy
        self.read_log = ReadLog(store)

    @property
    def connected(self) -> asyncio.Event:
        """Set while the MQTT session is up."""
        return self.uplink.connected

    @property
    def client_id(self) -> str | None:
        """The hub's MQTT client id, once :meth:`start` found it."""
        return self.uplink.client_id

    @property
    def presence(self) -> Presence | None:
        return self.uplink.presence

    # -- what the API calls ----------------------------------------------------------------

    async def act(self, action: Callable[[Session], T]) -> T:
        """Run ``action`` in one transaction in a thread, then publish what it changed.

        ``action`` returns an :class:`AlertUpdate`, a list of them, or anything else (a
        registry change): alert updates go to the feed; queued MQTT messages and
        notifications are sent right away. A store that cannot write: :class:`StoreError`
        (503), and the hub is degraded.
        """

        def in_transaction() -> T:
            with self.store.transaction() as session:
                return action(session)

        try:
            result = await asyncio.to_thread(in_transaction)
        except SQLAlchemyError as exc:
            if not await self.store_watch.failed("API", exc):
                raise  # the store works: this action is at fault, not the store
            raise StoreError(
                "the hub's store cannot be written just now; try again in a moment"
            ) from exc
        updates = result if isinstance(result, list) else [result]
        self.publisher.publish([u for u in updates if isinstance(u, AlertUpdate)], [])
        self.outbox.ready.set()
        self.deliveries.ready.set()
        return result

    async def log_in(
        self, username: str, password: str, address: str | None = None
    ) -> tuple[str, User]:
        """Check a password and open a session (:meth:`hub.logins.Logins.log_in`)."""
        return await self.logins.log_in(username, password, address)

    def status(self) -> dict[str, object]:
        self.takeover.settle()
        problems = self.health.problems(self.uplink.broker_problem())
        return {
            "state": "degraded" if problems else "ok",
            "problems": [problem.as_dict() for problem in problems],
            "connected": self.connected.is_set(),
            "client_id": self.client_id,
            "ingest": self.ingestor.counts.as_dict(),
            "batches": self.counts.batches,
            "published": self.counts.published,
            "escalations": self.counts.escalations,
            "store_errors": self.counts.store_errors,
            "retention_deleted": self.counts.retention_deleted,
            "audit_failures": self.counts.audit_failures,
            "deliveries": {
                "sent": self.counts.delivered,
                "failures": self.counts.delivery_failures,
                "given_up": self.counts.delivery_given_up,
            },
            "feed_subscribers": self.feed.subscriber_count,
            # Not problems of the hub (it works), but alerts that reach nobody outside the
            # pages: no channel configured, or one that keeps failing.
            "warnings": self._channel_warnings(),
            "telemetry": self.telemetry.status() if self.telemetry else None,
            "feed_relay": self.relay.status() if self.relay else None,
        }

    def _channel_warnings(self) -> list[dict[str, object]]:
        try:
            with self.store.sessions() as session:
                found = channels.problems(session, self.settings.contact_targets)
        except SQLAlchemyError:  # the store's own problem is reported above
            return []
        return channels.summary(found)

    def close(self) -> None:
        self.logins.close()
        if self.telemetry is not None:
            self.telemetry.stop()

    # -- tasks ----------------------------------------------------------------------------

    async def start(self) -> None:
        """This installation's client id, and the claim on it: raises
        :class:`~hub.presence.ClientIdInUse` when another live hub holds it. A broker that
        cannot be reached now leaves the claim to the first session."""
        if self.client_id is None:
            await self.uplink.identify()
            await self.deliveries.vapid()  # Web Push keys, generated at the first start
        await self.uplink.claim_early()

    async def run(self) -> None:
        await self.start()
        if self.telemetry is not None:
            self.telemetry.start()
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self.uplink.run(), name="mqtt")
            tasks.create_task(self.periodic.escalation(), name="escalation")
            tasks.create_task(self.deliveries.run(), name="deliveries")
            tasks.create_task(self.periodic.retention(), name="retention")
            tasks.create_task(self.periodic.feedback(), name="feedback")
            tasks.create_task(self.summaries.run(), name="summaries")
            if self.relay is not None:
                tasks.create_task(self.relay.run(), name="feed-relay")


__all__ = ["Hub", "IngestResult"]
