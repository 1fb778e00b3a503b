"""The hub's parse and ingest never raise, whatever the topic and the bytes: each message
is taken or refused with a problem, and one bad message costs only itself."""

from __future__ import annotations

import asyncio
import json
import random
import time

import httpx
from sqlalchemy import select

from hub.schema import Alert, ReadingRow, Rejected
from hub.store import Store
from hub.upstream import Telemetry, UpstreamError, parse
from tests.support.factories import (
    ADMIN_PASSWORD,
    HOME,
    PREFIX,
    event_message,
    make_ingestor,
    register,
    register_homes,
    served,
    settings_for,
    telemetry_message,
)
from tests.support.stores import fresh_database

NOW = time.time()
EVENT_TOPIC = f"{PREFIX}/{HOME}/event"


def mutations(rng: random.Random, valid: bytes, count: int) -> list[bytes]:
    """Valid payloads with bytes flipped, cut, repeated, nested: the fuzzer's neighbours."""
    out = []
    for _ in range(count):
        data = bytearray(valid)
        for _ in range(rng.randint(1, 8)):
            choice = rng.random()
            position = rng.randrange(len(data) + 1)
            if choice < 0.4 and data:
                data[min(position, len(data) - 1)] = rng.randrange(256)
            elif choice < 0.6:
                del data[position : position + rng.randint(1, 20)]
            elif choice < 0.8:
                data[position:position] = rng.choice(
                    [b"[" * 50, b"9" * 60, b"NaN", b"1e999", b'"\\ud800"', b"\xff", b"{}"]
                )
            else:
                data = data + data[: rng.randint(0, len(data))]
        out.append(bytes(data))
    return out


def test_parse_refuses_or_takes_every_payload_and_raises_nothing_else():
    rng = random.Random(5)
    _, valid_event = event_message("fall", seq=1)
    reading = {"ts": NOW, "home": HOME, "device": "band", "metric": "heart_rate", "value": 72}
    valid_telemetry = json.dumps(
        {"home": HOME, "edge": HOME, "seq": 1, "readings": [reading]}
    ).encode()
    topics = [EVENT_TOPIC, f"{PREFIX}/{HOME}/telemetry", f"{PREFIX}/{HOME}/status",
              f"{PREFIX}/hosted/p1/status", f"{PREFIX}/{HOME}", "other/topic", ""]  # fmt: skip
    payloads = [
        *mutations(rng, valid_event, 1500),
        *mutations(rng, valid_telemetry, 1500),
        *(rng.randbytes(rng.randint(0, 200)) for _ in range(500)),
        b"[" * 100_000,
        b'{"a": ' * 5000,
        b"-" + b"1" * 5000,
        b"1e" + b"9" * 5000,
    ]
    taken = refused = 0
    for payload in payloads:
        for topic in topics:
            try:
                parse(topic, payload, prefix=PREFIX, now=NOW)
                taken += 1
            except UpstreamError as exc:
                assert exc.problem and exc.reason
                refused += 1
    assert taken and refused


def test_a_reading_from_the_year_9999_is_refused_and_its_batch_kept():
    readings = [
        {"ts": NOW, "home": HOME, "device": "band", "metric": "heart_rate", "value": 72},
        {"ts": "9999-12-31T23:00:00+00:00", "home": HOME, "device": "band",
         "metric": "heart_rate", "value": 70},
        {"ts": 1.0, "home": HOME, "device": "band", "metric": "spo2", "value": 97},
    ]  # fmt: skip
    payload = json.dumps({"home": HOME, "edge": HOME, "seq": 1, "readings": readings})
    telemetry = parse(f"{PREFIX}/{HOME}/telemetry", payload.encode(), prefix=PREFIX, now=NOW)
    assert isinstance(telemetry, Telemetry)
    assert [r[1] for r in telemetry.readings] == ["heart_rate"]
    assert all("impossible" in why for why in telemetry.refused)


def test_ingest_takes_junk_batches_without_raising_and_keeps_the_good_messages(tmp_path):
    rng = random.Random(9)
    store = Store(fresh_database(tmp_path))
    try:
        register_homes(store)
        ingestor = make_ingestor(store)
        _, valid = event_message("fall", seq=1)
        for round_ in range(20):
            junk = [(EVENT_TOPIC, payload) for payload in mutations(rng, valid, 40)]
            good = event_message("sos", seq=1000 + round_)
            result = ingestor.take([*junk, good])
            assert result.pending == []
        counts = ingestor.counts
        assert counts.messages == 20 * 41
        assert counts.events >= 20  # every good SOS, and whatever junk was still an event
    finally:
        store.close()


def test_a_control_character_in_a_name_costs_its_reading_not_its_batch_nor_the_fall(tmp_path):
    """PostgreSQL refuses NUL in text: a name holding one made the whole message unstorable
    there (SQLite stored it). Both stores now keep what they kept, refused the same way."""
    store = Store(fresh_database(tmp_path))
    try:
        register_homes(store)
        ingestor = make_ingestor(store)
        telemetry = telemetry_message(1, [
            (NOW, "band", "heart_rate", 72),
            (NOW, "band\x00", "heart_rate", 70),
            (NOW, "band\x1b[2J", "spo2", 97),
        ])  # fmt: skip
        result = ingestor.take([
            telemetry,
            event_message("fall", seq=2, device="radar_bath\x00"),
            event_message("sos\x00", seq=3),
        ])  # fmt: skip
        assert result.pending == []
        counts = ingestor.counts
        assert (counts.readings, counts.refused_readings) == (1, 2)
        assert dict(counts.refused) == {"invalid": 1}  # the SOS whose kind holds a NUL
        with store.sessions() as session:
            assert session.scalars(select(ReadingRow.device)).all() == ["band"]
            (fall,) = session.scalars(select(Alert)).all()
            assert (fall.kind, fall.device) == ("fall", None)  # the fall kept, not the name
            (refused,) = session.scalars(select(Rejected.reason)).all()
        assert refused == "kind 'sos\\x00' holds a control character"
        parsed = parse(*telemetry, prefix=PREFIX, now=NOW)
        assert isinstance(parsed, Telemetry)
        assert parsed.refused == (
            "readings.1: device 'band\\x00' holds a control character",
            "readings.2: device 'band\\x1b[2J' holds a control character",
        )
    finally:
        store.close()


async def test_a_log_in_flood_beyond_the_queue_gets_503_not_a_long_wait(
    mosquitto, tmp_path, production_password_cost
):
    settings = settings_for(mosquitto, tmp_path, login_queue_max=1)
    async with served(settings) as hub:
        await register(hub)
        login = {"username": "admin", "password": ADMIN_PASSWORD}
        async with httpx.AsyncClient(base_url=hub.url, timeout=30) as http:
            answers = await asyncio.gather(
                *(http.post("/auth/login", json=login) for _ in range(8))
            )
        codes = sorted(answer.status_code for answer in answers)
        assert 200 in codes and 503 in codes and set(codes) == {200, 503}
        busy = next(answer for answer in answers if answer.status_code == 503)
        assert "too many log-ins" in busy.json()["detail"]
