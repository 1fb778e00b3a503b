"""hub.influx against a real InfluxDB (Debian's influxd 1.6.7): line protocol written through
the 1.x API and read back with InfluxQL, and failures told apart (try again, or not)."""

from __future__ import annotations

import pytest

from eldercare.broker import free_port
from hub.influx import InfluxError, V1Api, V2Api, line_of
from hub.influx_settings import InfluxSettings


def test_readings_written_with_the_1x_api_are_read_back_as_written(influxdb):
    api = V1Api(influxdb.settings())
    rows = [
        ("h'1", "band", "heart_rate", 1_700_000_000.125, 72.0, None),
        ("h'1", "door front", "contact", 1_700_000_001.0, None, "open"),
        ("h2", "band", "heart_rate", 1_700_000_002.0, 99.0, None),
    ]
    try:
        api.write([line_of(row) for row in rows])
        points = api.points("h'1", ["heart_rate", "contact"], 1_699_999_999, 1_700_000_010)
    finally:
        api.close()
    assert points == [
        (1_700_000_000.125, "band", "heart_rate", 72.0, None),
        (1_700_000_001.0, "door front", "contact", None, "open"),
    ]


def test_a_refused_write_is_not_retried_and_a_server_gone_is(influxdb):
    missing = V1Api(influxdb.settings(database="no_such_database"))
    with pytest.raises(InfluxError) as refused:
        missing.write([line_of(("h1", "band", "heart_rate", 1_700_000_000, 70.0, None))])
    assert not refused.value.transient and "404" in str(refused.value)
    # influxdb-client's WriteApi (the v2 API) against a 1.6 server, which has no
    # /api/v2/write: the client's error leaves hub.influx as a refusal, not a retry.
    v2 = V2Api(InfluxSettings(url=influxdb.url, org="-", bucket="eldercare/autogen"))
    with pytest.raises(InfluxError) as no_v2:
        v2.write([line_of(("h1", "band", "heart_rate", 1_700_000_000, 70.0, None))])
    assert not no_v2.value.transient and "404" in str(no_v2.value)
    nobody = f"http://127.0.0.1:{free_port()}"
    for api in (
        V1Api(InfluxSettings(url=nobody, api="v1", database="eldercare")),
        V2Api(InfluxSettings(url=nobody, org="-", bucket="eldercare/autogen")),
    ):
        with pytest.raises(InfluxError) as gone:
            api.write([line_of(("h1", "band", "heart_rate", 1_700_000_000, 70.0, None))])
        assert gone.value.transient, gone.value
        api.close()
    for api in (missing, v2):
        api.close()
