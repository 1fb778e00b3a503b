"""Readings in InfluxDB: the real hub, real Mosquitto, a real InfluxDB (Debian's influxd 1.6.7,
the 1.x API) started by the test on free ports."""

from __future__ import annotations

import time

from tests.support.factories import (
    HOME,
    STATION,
    event_message,
    register,
    served,
    settings_for,
    telemetry_message,
)
from tests.support.mqtt import publish, until
from tests.support.stores import query


async def test_readings_through_the_hub_arrive_in_influxdb_and_sql_keeps_hours(
    mosquitto, tmp_path, influxdb
):
    settings = settings_for(mosquitto, tmp_path, influx=influxdb.settings())
    base = (time.time() // 3600 - 2) * 3600  # two hours ago, on the hour
    readings = [
        (base + 60, "band", "heart_rate", 70),
        (base + 120.5, "band", "heart_rate", 74),
        (base + 3700, "band", "heart_rate", 90),
        (base + 130, "door_front", "contact", "open"),
        (base + 140, "band", "spo2", 97),
    ]
    async with served(settings) as hub:
        await register(hub)
        await publish(mosquitto, [telemetry_message(1, readings)])
        await until(lambda: hub.hub.telemetry.written == 5, what="5 readings written")
        health = (await hub.http.get("/health")).json()

    points = influxdb.values(f"SELECT value, device FROM heart_rate WHERE home = '{HOME}'")
    assert points == [
        [int((base + 60) * 1000), 70, "band"],
        [int((base + 120.5) * 1000), 74, "band"],
        [int((base + 3700) * 1000), 90, "band"],
    ]
    assert influxdb.values("SELECT text FROM contact") == [[int((base + 130) * 1000), "open"]]
    assert health["telemetry"]["state"] == "ok" and health["telemetry"]["written"] == 5
    assert health["telemetry"]["dropped"] == 0 and health["ingest"]["readings"] == 5
    # The SQL store: hourly aggregates of every metric, and the door reading the "today"
    # page replays; not the heart rates.
    url = settings.database
    assert query(url, "SELECT metric FROM readings") == [("contact",)]
    hours = query(
        url, "SELECT metric, hour, count, low, high, total FROM reading_hours ORDER BY metric, hour"
    )
    assert hours == [
        ("contact", base, 1, None, None, None),
        ("heart_rate", base, 2, 70.0, 74.0, 144.0),
        ("heart_rate", base + 3600, 1, 90.0, 90.0, 90.0),
        ("spo2", base, 1, 97.0, 97.0, 97.0),
    ]


async def test_influxdb_down_costs_no_alert_and_writing_resumes_when_it_is_back(
    mosquitto, tmp_path, influxdb
):
    settings = settings_for(mosquitto, tmp_path, influx=influxdb.settings(buffer_max=10))
    now = time.time()
    async with served(settings) as hub:
        await register(hub)
        influxdb.stop()
        many = [(now - 600 + n, "band", "heart_rate", 60 + n % 40) for n in range(25)]
        await publish(mosquitto, [telemetry_message(1, many), event_message(seq=2)])
        alerts = await until(
            lambda: hub.hub.ingestor.counts.events == 1 and hub.hub.ingestor.counts.readings == 25
        )
        alerts = (await hub.http.get("/alerts", params={"station": STATION})).json()
        assert [a["kind"] for a in alerts] == ["fall"]  # raised, InfluxDB or not
        await until(lambda: hub.hub.telemetry.failures >= 1, what="a failed write")
        sink = (await hub.http.get("/health")).json()["telemetry"]
        assert sink["state"] == "failing" and sink["last_error"]
        # At most buffer_max waiting (plus the batch in hand): the rest dropped and counted.
        assert sink["buffered"] <= 10 and sink["dropped"] == 15
        assert sink["written"] == 0

        influxdb.start()
        later = [(now - 60, "band", "heart_rate", 88)]
        await publish(mosquitto, [telemetry_message(3, later)])
        await until(lambda: hub.hub.telemetry.written == 11, timeout=15, what="writing again")
        sink = (await hub.http.get("/health")).json()["telemetry"]
        assert sink["state"] == "ok" and sink["buffered"] == 0

    stored = influxdb.values(f"SELECT value FROM heart_rate WHERE home = '{HOME}'")
    # The 10 newest of the outage (the oldest were dropped), then the one after it.
    assert [value for _ts, value in stored] == [60 + n % 40 for n in range(15, 25)] + [88]
