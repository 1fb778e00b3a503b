"""The alert-latency phase: the hub and its API served in this process while the load
process (eldercare.bench.load) publishes telemetry and events and times their alerts on
``/ws``; optionally beside a log-in flood (eldercare.bench.logins).

An event whose alert has not reached the WebSocket STALL_S after the last event counts as
infinitely late in the percentiles.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing as mp
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from transport.credentials import broker_url

from .hub_under_test import hub_settings, served
from .load import LoadPlan, LoadResult, load_process
from .logins import LoginFlood, flood_account
from .raw_subscriber import forget_session
from .sizes import STALL_S, Sizes
from .traffic import STATION

if TYPE_CHECKING:
    from multiprocessing.context import SpawnContext

    from hub.service import Hub


@dataclass
class LatencyRow:
    """One alert-latency phase: the events published, their alerts' latencies, the load."""

    events: int
    alerts: int
    latencies_ms: list[float]
    telemetry_msg_s: float
    telemetry_published: int
    hub_messages: int  # telemetry + events the hub took during the phase
    other_frames: int
    logins: dict[str, Any] | None = None  # the log-in flood during the phase, if any

    @classmethod
    def of_load(
        cls, load: Any, hub_messages: int, logins: dict[str, Any] | None = None
    ) -> LatencyRow:
        """The row of a phase from what its load process reported."""
        return cls(
            events=load.events_published,
            alerts=load.alerts_received,
            latencies_ms=load.latencies_ms,
            telemetry_msg_s=load.telemetry_published / load.telemetry_s if load.telemetry_s else 0,
            telemetry_published=load.telemetry_published,
            hub_messages=hub_messages,
            other_frames=load.other_frames,
            logins=logins,
        )

    @property
    def missing(self) -> int:
        return self.events - self.alerts

    def percentile(self, p: float) -> float | None:
        """Over every event published: one whose alert never came counts as infinitely late,
        so an overloaded hub cannot look fast by showing only the alerts that got through."""
        return percentile([*self.latencies_ms, *[math.inf] * self.missing], p)

    def as_dict(self) -> dict[str, Any]:
        def ms(value: float | None) -> float | None:
            # JSON has no infinity: null, with alerts_missing saying why.
            return None if value is None or math.isinf(value) else round(value, 2)

        values = self.latencies_ms
        return {
            "events_published": self.events,
            "alerts_received": self.alerts,
            "alerts_missing": self.missing,
            "alerts_waited_s": STALL_S,
            "p50_ms": ms(self.percentile(50)),
            "p99_ms": ms(self.percentile(99)),
            "max_ms": ms(self.percentile(100)),
            "received_p50_ms": ms(percentile(values, 50)),
            "received_p99_ms": ms(percentile(values, 99)),
            "received_mean_ms": ms(sum(values) / len(values) if values else None),
            "background_telemetry_msg_s": round(self.telemetry_msg_s, 1),
            "background_telemetry_published": self.telemetry_published,
            "hub_messages_taken": self.hub_messages,
            "other_frames": self.other_frames,
            **({"login_flood": self.logins} if self.logins is not None else {}),
        }


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest rank: with 200 samples, p99 is the second largest."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def dispatcher_token(database: str) -> str | None:
    """A log-in token of a dispatcher of the bench's station: the console's view of /ws.

    None where the hub has no accounts (then /ws is open to all).
    """
    try:
        from hub.accounts import log_in, save_user
    except ImportError:
        return None
    from hub.store import Store

    store = Store(database)
    password = secrets.token_urlsafe(16)
    try:
        with store.transaction() as session:
            save_user(
                session,
                "bench-dispatcher",
                name="Bench dispatcher",
                role="dispatcher",
                password=password,
                stations=[STATION],
            )
        with store.transaction() as session:
            token, _ = log_in(session, "bench-dispatcher", password)
    finally:
        store.close()
    return token


async def latency_phase(
    url: str,
    database: str,
    prefix: str,
    homes: int,
    sizes: Sizes,
    first_seq: int,
    *,
    login_clients: int = 0,
) -> LatencyRow:
    """Alert latency; with ``login_clients``, while that many clients log in non-stop."""
    settings = hub_settings(url, database, prefix, f"bench-hub-{homes}")
    context = mp.get_context("spawn")  # a fresh interpreter, not a fork of this event loop
    token = await asyncio.to_thread(dispatcher_token, database)
    account = await asyncio.to_thread(flood_account, database) if login_clients else None
    async with served(settings) as (base, hub):
        flood = LoginFlood(context, base, account, login_clients) if account else None
        plan = LoadPlan(
            broker=url,
            ws_url=_ws_url(base, token),
            prefix=prefix,
            homes=homes,
            events=sizes.events,
            event_rate=sizes.event_rate,
            warmup_s=sizes.warmup_s,
            first_seq=first_seq,
        )
        load, logins = await _load_beside_flood(context, plan, flood)
        taken = await _messages_taken(hub, load.telemetry_published + load.events_published)
    await asyncio.to_thread(forget_session, broker_url(url), settings.client_id)
    return LatencyRow.of_load(load, taken, logins)


def _ws_url(base: str, token: str | None) -> str:
    ws_url = base.replace("http://", "ws://") + "/ws"
    return f"{ws_url}?{urlencode({'token': token})}" if token else ws_url


async def _load_beside_flood(
    context: SpawnContext, plan: LoadPlan, flood: LoginFlood | None
) -> tuple[LoadResult, dict[str, Any] | None]:
    """Run the load process (the flood, if any, already going): (its result, the flood's)."""
    results = context.Queue()
    child = context.Process(target=load_process, args=(plan, results), daemon=True)
    if flood is not None:
        await flood.start()
    child.start()
    try:
        budget = 60 + plan.warmup_s + plan.events / plan.event_rate + STALL_S
        status, value = await asyncio.to_thread(results.get, True, budget)
    finally:
        await asyncio.to_thread(child.join, 10)
        if child.is_alive():
            child.terminate()
        logins = await flood.stop() if flood is not None else None
    if status != "ok":
        raise RuntimeError(f"the load process failed: {value}")
    return LoadResult(**value), logins


async def _messages_taken(hub: Hub, wanted: int) -> int:
    """What the hub took; it may still be taking the last telemetry: give it a moment."""
    deadline = time.monotonic() + 10
    while hub.ingestor.counts.messages < wanted and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return hub.ingestor.counts.messages
