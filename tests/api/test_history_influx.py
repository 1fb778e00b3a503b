"""The resident history from InfluxDB (with the SQL store's hourly aggregates) gives the same
figures as from the SQL store's readings: two hubs on one broker take the same readings."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tests.support.factories import HOME, register, served, settings_for, telemetry_message
from tests.support.mqtt import publish, until
from tests.support.stores import query


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


async def test_history_from_influxdb_matches_history_from_sql(mosquitto, tmp_path, influxdb):
    base = (time.time() // 3600 - 4) * 3600  # four hours ago, on the hour
    readings = (
        [
            (base + minute * 60, "band", "heart_rate", 60 + (minute * 7) % 50)
            for minute in range(0, 4 * 60, 11)
        ]
        + [
            (base + minute * 60, "door_front", "contact", "open" if minute % 2 else "closed")
            for minute in range(3, 4 * 60, 17)
        ]
        + [(base + minute * 60, "pir_hall", "motion", True) for minute in range(5, 4 * 60, 23)]
    )
    for folder in ("sql", "influx"):
        (tmp_path / folder).mkdir()
    plain = settings_for(mosquitto, tmp_path / "sql")
    with_influx = settings_for(mosquitto, tmp_path / "influx", influx=influxdb.settings())
    async with served(plain) as sql_hub, served(with_influx) as influx_hub:
        await register(sql_hub)
        await register(influx_hub)
        await publish(mosquitto, [telemetry_message(1, readings)])
        for hub in (sql_hub, influx_hub):
            await until(lambda hub=hub: hub.hub.ingestor.counts.readings == len(readings))
        await until(lambda: influx_hub.hub.telemetry.written == len(readings))

        ranges = [
            {},  # the last 24 hours, up to now: cut mid-hour at both ends
            {"start": iso(base + 25 * 60), "end": iso(base + 3 * 3600 + 10 * 60)},
            {"start": iso(base + 3600 + 5 * 60), "end": iso(base + 3600 + 50 * 60)},
            {"start": iso(base + 3600), "end": iso(base + 3 * 3600)},  # whole hours
        ]
        for metric in ("heart_rate", "activity"):
            for bounds in ranges:
                params = {"metric": metric, **bounds}
                path = f"/residents/{HOME}/history"
                from_sql = (await sql_hub.http.get(path, params=params)).json()
                from_influx = (await influx_hub.http.get(path, params=params)).json()
                assert from_influx["hours"] == from_sql["hours"], params
                assert from_sql["hours"], params  # there is something to compare

        # The SQL store of the hub with InfluxDB holds no heart rate reading at all.
        # The "today" page: its heart rate from InfluxDB, the rest from the SQL store.
        last_heart = base + 231 * 60
        day = datetime.fromtimestamp(last_heart, ZoneInfo("Asia/Shanghai")).date().isoformat()
        path = f"/residents/{HOME}/today"
        today_sql = (await sql_hub.http.get(path, params={"date": day})).json()
        today_influx = (await influx_hub.http.get(path, params={"date": day})).json()
        # "now" is when each hub answered: the two answers may straddle a second.
        asked = [datetime.fromisoformat(t.pop("now")) for t in (today_sql, today_influx)]
        assert abs((asked[0] - asked[1]).total_seconds()) < 60
        assert today_influx == today_sql
        assert today_sql["heart_rate"]["last"] == 60 + (231 * 7) % 50

        kept = "SELECT metric, count(*) FROM readings GROUP BY metric ORDER BY metric"
        assert query(with_influx.database, kept) == [("contact", 14), ("motion", 11)]
        params = {"metric": "heart_rate", "start": iso(base + 25 * 60), "end": iso(base + 7200)}
        answer = await influx_hub.http.get(f"/residents/{HOME}/history", params=params)
        assert [h["count"] for h in answer.json()["hours"]] == [3, 5]  # minutes 33-55, 66-110
        influxdb.stop()  # history still answers, the cut hours then taken whole
        answer = await influx_hub.http.get(f"/residents/{HOME}/history", params=params)
        assert answer.status_code == 200
        assert [h["count"] for h in answer.json()["hours"]] == [6, 5]  # minutes 0-55, 66-110
