"""The API never answers 500: out-of-range parameters get a 422 saying which and why, odd
values already in the store (times in year 9999 or year 1, NaN, infinities, huge numbers)
are shown rather than failing the answer, NaN reaches neither REST nor the WebSocket, and a
store that fails gives a 503 with Retry-After until it is back."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import websockets

from hub.schema import Alert
from tests.support.api_seed import seed
from tests.support.factories import DISPATCHER, served, settings_for
from tests.support.served_hub import cookie_of
from tests.support.stores import on_postgresql, refuse_connections

MAX_INT64 = 2**63 - 1


def strict(text: str | bytes) -> Any:
    """Parse as a browser's JSON.parse does: NaN and Infinity are not JSON."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in the JSON sent to clients")

    return json.loads(text, parse_constant=refuse)


def problem(response) -> str:  # type: ignore[no-untyped-def]
    """The 422's explanation, as one line a developer reads."""
    detail = response.json()["detail"]
    if isinstance(detail, str):
        return detail
    return "; ".join(f"{'.'.join(map(str, d['loc']))}: {d['msg']}" for d in detail)


async def test_parameters_out_of_range_get_a_422_that_says_which(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        seeded = await seed(hub, mosquitto)
        http = hub.http
        cases = {
            f"/alerts/{2**63}": f"path.alert_id: Input should be less than or equal to {MAX_INT64}",
            f"/alerts/{2**64}/window": "path.alert_id: Input should be less than or equal to",
            f"/alerts?offset={2**63}": "query.offset: Input should be less than or equal to",
            "/alerts?since=0001-01-01T00:00:00%2B14:00": "query.since: a time from 1900-01-01 "
            "to before 3000-01-01",
            "/alerts?until=9999-12-31T23:59:59-14:00": "query.until: a time from 1900-01-01",
            "/residents/h001/history?end=0001-01-01T10:00:00": "query.end: a time from 1900-01-01",
            "/residents/h001/history?start=0001-01-01T00:00:00Z": "query.start: a time from",
            "/residents/h001/today?date=9999-12-31": "query.date: a date from 1900-01-01 to "
            "2999-12-31",
            "/residents/h001/today?date=0001-01-01": "query.date: a date from 1900-01-01",
        }
        for url, expected in cases.items():
            response = await http.get(url)
            assert response.status_code == 422, f"{url}: {response.status_code} {response.text}"
            assert expected in problem(response), f"{url}: {problem(response)}"
        posted = await http.post(f"/alerts/{2**63}/acknowledge")
        assert posted.status_code == 422, posted.text
        assert "alert_id" in problem(posted)

        # At the edges of the ranges the answers are ordinary ones.
        assert (await http.get(f"/alerts/{MAX_INT64}")).status_code == 404
        assert (await http.get(f"/alerts?offset={MAX_INT64}&state=all")).json() == []
        last_day = await http.get("/residents/h001/today?date=2999-12-31")
        assert last_day.status_code == 200, last_day.text
        assert last_day.json()["timeline"] == []
        everything = await http.get("/alerts?state=all&since=1900-01-01T00:00:00Z")
        assert {a["id"] for a in everything.json()} >= set(seeded.alerts.values())

        # A NaN in a request body is refused like any other bad value, not a 500.
        body = b'{"name": NaN}'
        refused = await http.put("/stations/st9", content=body, headers=_json)
        assert refused.status_code == 422, refused.text
        assert "name" in problem(refused)


_json = {"content-type": "application/json"}


async def test_odd_values_in_the_store_are_shown_not_a_500(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        seeded = await seed(hub, mosquitto)
        http = hub.http

        # One device whose last_seen is in year 9999 used to make the home's devices a 500
        # for good; now that time is unknown and the other devices are as they were.
        response = await http.get("/homes/h001/devices")
        assert response.status_code == 200, response.text
        devices = {d["id"]: d for d in strict(response.text)}
        assert devices["band"]["last_seen"] is None
        assert devices["radar_bath"]["last_seen"].startswith("0001-01-01T")  # year 1 is shown
        assert devices["sos_bed"]["battery"] is None  # stored as infinity
        for url in ("/homes", "/homes/h001", "/residents", "/residents/h001"):
            response = await http.get(url)
            assert response.status_code == 200, f"{url}: {response.text}"
            strict(response.text)
        assert strict((await http.get("/homes/h001")).text)["status_at"] is None

        # The SOS whose evidence holds NaN, infinities and a 70-bit integer, raised in
        # year 9999 and cleared in year 1.
        listed = await http.get("/alerts?state=all")
        assert listed.status_code == 200, listed.text
        odd = next(a for a in strict(listed.text) if a["id"] == seeded.odd_alert)
        assert odd["evidence"] == {
            "peak_g": None,
            "still_s": None,
            "floor": None,
            "count": 2**70,
            "huge": 1e308,
            "values": [None, 1.0],
        }
        assert odd["started"] is None and odd["kind"] == "sos"
        detail = await http.get(f"/alerts/{seeded.odd_alert}")
        assert detail.status_code == 200, detail.text
        assert [c["at"] for c in strict(detail.text)["history"] if c["action"] == "odd"] == [None]

        # The fall's accelerometer window starts in year 9999 and has a NaN rate.
        window = await http.get(f"/alerts/{seeded.alerts['h001']}/window")
        assert window.status_code == 200, window.text
        shown = strict(window.text)
        assert (shown["start"], shown["rate_hz"], len(shown["samples"])) == (None, None, 50)

        # Today: an infinite step count is no count, an infinite heart rate no measurement;
        # the last real one is shown.
        today = await http.get("/residents/h001/today")
        assert today.status_code == 200, today.text
        assert strict(today.text)["steps"] is None
        assert strict(today.text)["heart_rate"]["last"] == 72
        for metric, expected in (("steps", []), ("heart_rate", [(1, 72, 72, 72)])):
            history = await http.get(f"/residents/h001/history?metric={metric}")
            assert history.status_code == 200, history.text
            hours = [(h["count"], h["min"], h["mean"], h["max"]) for h in history.json()["hours"]]
            assert hours == expected, metric


async def test_nan_in_evidence_reaches_the_websocket_as_null(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        seeded = await seed(hub, mosquitto)
        fall = seeded.alerts["h001"]
        with hub.hub.store.transaction() as session:
            session.get(Alert, fall).evidence = {"source": "band", "peak_g": float("nan")}
        dispatcher = await hub.client_for(DISPATCHER)
        async with websockets.connect(hub.ws_url, additional_headers=cookie_of(dispatcher)) as ws:
            assert strict(await ws.recv())["type"] == "hello"
            acked = await dispatcher.post(f"/alerts/{fall}/acknowledge")
            assert acked.status_code == 200, acked.text
            assert strict(acked.text)["evidence"] == {"source": "band", "peak_g": None}
            # The console parses each frame with JSON.parse: a NaN token would lose the alert.
            frame = strict(await asyncio.wait_for(ws.recv(), 10))
        alert = frame["data"]["alert"]
        assert (alert["id"], alert["state"]) == (fall, "active_acknowledged")
        assert alert["evidence"] == {"source": "band", "peak_g": None}


async def test_a_store_that_fails_gives_503_until_it_is_back(mosquitto, tmp_path):
    folder = tmp_path / "store"
    folder.mkdir()
    settings = settings_for(mosquitto, folder)

    def store_gone(gone: bool) -> None:
        if on_postgresql():
            refuse_connections(settings.database, refuse=gone)
        elif gone:  # the store's disk goes away (unmounted, or its folder moved)
            os.rename(folder, tmp_path / "elsewhere")
        else:
            os.rename(tmp_path / "elsewhere", folder)

    async with served(settings) as hub:
        seeded = await seed(hub, mosquitto)
        dispatcher = await hub.client_for(DISPATCHER)
        alert = seeded.alerts["h001"]

        # The store goes away: no connection opens.
        store_gone(True)
        hub.hub.store.engine.dispose()
        for method, url in (
            ("GET", "/alerts"),
            ("GET", "/auth/me"),
            ("GET", f"/alerts/{alert}"),
            ("GET", "/homes/h001/devices"),
            ("POST", f"/alerts/{alert}/acknowledge"),
        ):
            response = await dispatcher.request(method, url)
            assert response.status_code == 503, f"{method} {url}: {response.text}"
            assert response.json() == {"detail": "the store is unavailable; try again shortly"}
            assert int(response.headers["retry-after"]) > 0
        async with websockets.connect(hub.ws_url, additional_headers=cookie_of(dispatcher)) as ws:
            try:
                await asyncio.wait_for(ws.recv(), 10)
                raise AssertionError("the live feed went on without a store")
            except websockets.exceptions.ConnectionClosed as closed:
                assert closed.rcvd is not None and closed.rcvd.code == 1013

        # Back: the same requests are answered, and the acknowledgement made once.
        store_gone(False)
        acked = await dispatcher.post(f"/alerts/{alert}/acknowledge")
        assert acked.status_code == 200, acked.text
        story = (await dispatcher.get(f"/alerts/{alert}")).json()["history"]
        assert [c["action"] for c in story].count("acknowledged") == 1
        assert (await dispatcher.get("/homes/h001/devices")).status_code == 200
