"""The ingest phase again with the InfluxDB sink (``eldercare bench --influx``): the same
backlog on the same broker, drained by a hub that writes readings to a private InfluxDB
(Debian's influxd, :mod:`eldercare.influx_server`) and keeps hourly aggregates in its SQL
store. Two rates: ingest (until every reading is committed and handed to the sink, what the
broker and the alerts see) and InfluxDB (until every reading is written there)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transport.broker_url import BrokerUrl

from .hub_under_test import hub_drain, hub_session, hub_settings
from .raw_subscriber import forget_session, publish_all
from .sizes import STALL_S, log
from .traffic import READINGS_PER_MESSAGE, register_homes


@dataclass
class InfluxIngestRow:
    readings: int
    hub_readings: int
    hub_s: float
    written: int  # readings InfluxDB took
    dropped: int
    refused: int
    sink_s: float  # from the drain's start until InfluxDB had them all

    @property
    def hub_readings_s(self) -> float:
        return self.hub_readings / self.hub_s if self.hub_s > 0 else 0.0

    @property
    def sink_readings_s(self) -> float:
        return self.written / self.sink_s if self.sink_s > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "readings": self.readings,
            "hub_readings_counted": self.hub_readings,
            "hub_seconds": round(self.hub_s, 3),
            "hub_readings_per_s": round(self.hub_readings_s, 1),
            "influx_written": self.written,
            "influx_dropped": self.dropped,
            "influx_refused": self.refused,
            "influx_seconds": round(self.sink_s, 3),
            "influx_readings_per_s": round(self.sink_readings_s, 1),
        }


async def influx_ingest_phase(
    url: str,
    folder: Path,
    prefix: str,
    homes: int,
    messages: list[tuple[str, bytes]],
    influx_url: str,
) -> InfluxIngestRow:
    from hub.influx_settings import InfluxSettings
    from hub.store import Store

    database = f"sqlite:///{folder / 'hub-influx.db'}"
    await asyncio.to_thread(register_homes, database, homes, prefix)
    expected = len(messages) * READINGS_PER_MESSAGE
    influx = InfluxSettings(
        url=influx_url, api="v1", database=f"bench_{homes}", buffer_max=max(200_000, expected)
    )
    await asyncio.to_thread(_create_database, influx_url, f"bench_{homes}")
    settings = hub_settings(url, database, prefix, f"bench-hub-influx-{homes}").model_copy(
        update={"influx": influx}
    )
    broker = BrokerUrl.parse(url)
    store = Store(database)
    try:
        await hub_session(settings, store)
        log(f"{homes} homes: publishing the backlog again for the hub with InfluxDB")
        await asyncio.to_thread(publish_all, broker, messages, f"bench-publisher-influx-{homes}")
        log(f"{homes} homes: hub with InfluxDB draining")
        started = time.perf_counter()
        hub, hub_s = await hub_drain(settings, store, expected)
        await asyncio.to_thread(forget_session, broker, settings.client_id)
        sink = hub.telemetry
        assert sink is not None
        seen, still_since = -1, time.perf_counter()
        while sink.written + sink.dropped + sink.refused < expected:
            await asyncio.sleep(0.01)
            if sink.written != seen:
                seen, still_since = sink.written, time.perf_counter()
            elif time.perf_counter() - still_since > STALL_S:
                break
        sink_s = time.perf_counter() - started
        hub.close()
    finally:
        store.close()
    return InfluxIngestRow(
        readings=expected,
        hub_readings=hub.ingestor.counts.readings,
        hub_s=hub_s,
        written=sink.written,
        dropped=sink.dropped,
        refused=sink.refused,
        sink_s=sink_s,
    )


def _create_database(url: str, name: str) -> None:
    import httpx

    httpx.post(f"{url}/query", params={"q": f"CREATE DATABASE {name}"}).raise_for_status()
