"""The ingest phase: one telemetry backlog queued for two offline persistent sessions, the
raw subscriber's and the hub's, then drained by each; the time to drain is the consumer's
rate, whatever the publisher's speed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine, text

from transport.credentials import broker_url

from .hub_under_test import hub_drain, hub_session, hub_settings
from .raw_subscriber import RawSubscriber, forget_session, publish_all
from .sizes import log
from .traffic import READINGS_PER_MESSAGE


@dataclass
class IngestRow:
    """One ingest phase: what was queued, what each consumer took and how fast."""

    messages: int
    readings: int
    publish_s: float
    raw_received: int
    raw_s: float
    hub_readings: int  # what the ingestor counted as stored
    stored_readings: int  # rows in the store afterwards, counted with SQL
    hub_duplicates: int
    hub_refused: int
    hub_batches: int
    hub_s: float

    @property
    def raw_msg_s(self) -> float:
        return self.raw_received / self.raw_s if self.raw_s > 0 else 0.0

    @property
    def raw_readings_s(self) -> float:
        return self.raw_msg_s * READINGS_PER_MESSAGE

    @property
    def hub_readings_s(self) -> float:
        return self.hub_readings / self.hub_s if self.hub_s > 0 else 0.0

    @property
    def ratio(self) -> float:
        return self.hub_readings_s / self.raw_readings_s if self.raw_readings_s else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "readings": self.readings,
            "publish_s": round(self.publish_s, 3),
            "raw": {
                "received": self.raw_received,
                "seconds": round(self.raw_s, 3),
                "messages_per_s": round(self.raw_msg_s, 1),
                "readings_per_s": round(self.raw_readings_s, 1),
            },
            "hub": {
                "readings_stored": self.stored_readings,
                "readings_counted": self.hub_readings,
                "duplicates": self.hub_duplicates,
                "refused": self.hub_refused,
                "batches": self.hub_batches,
                "seconds": round(self.hub_s, 3),
                "messages_per_s": round(self.hub_readings_s / READINGS_PER_MESSAGE, 1),
                "readings_per_s": round(self.hub_readings_s, 1),
            },
            "hub_vs_raw": round(self.ratio, 4),
        }


def count_readings(database: str) -> int:
    engine = create_engine(database)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(text("SELECT count(*) FROM readings")) or 0)
    finally:
        engine.dispose()


async def ingest_phase(
    url: str, database: str, prefix: str, homes: int, messages: list[tuple[str, bytes]]
) -> IngestRow:
    from hub.store import Store

    broker = broker_url(url)
    raw = RawSubscriber(broker, f"bench-raw-{homes}", f"{prefix}/+/telemetry")
    settings = hub_settings(url, database, prefix, f"bench-hub-{homes}")
    store = Store(database)
    try:
        # Both sessions exist before the backlog is published, so both get all of it.
        await asyncio.to_thread(raw.create_session)
        await hub_session(settings, store)
        log(f"{homes} homes: publishing {len(messages)} telemetry messages")
        publish_s = await asyncio.to_thread(
            publish_all, broker, messages, f"bench-publisher-{homes}"
        )
        log(f"{homes} homes: raw subscriber draining")
        raw_received, raw_s = await asyncio.to_thread(raw.drain, len(messages))
        await asyncio.to_thread(forget_session, broker, raw.client_id)
        log(f"{homes} homes: hub draining")
        expected = len(messages) * READINGS_PER_MESSAGE
        hub, hub_s = await hub_drain(settings, store, expected)
        await asyncio.to_thread(forget_session, broker, settings.client_id)
    finally:
        store.close()
    counts = hub.ingestor.counts
    return IngestRow(
        messages=len(messages),
        readings=expected,
        publish_s=publish_s,
        raw_received=raw_received,
        raw_s=raw_s,
        hub_readings=counts.readings,
        stored_readings=count_readings(database),
        hub_duplicates=counts.duplicates,
        hub_refused=sum(counts.refused.values()) + counts.refused_readings,
        hub_batches=hub.counts.batches,
        hub_s=hub_s,
    )
