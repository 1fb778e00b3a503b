"""Several `eldercare hub` workers on MQTT 5 shared subscriptions over one PostgreSQL.

Real worker processes, a real Mosquitto (accounts and ACLs) and a real PostgreSQL: every
message handled once, one open alert per home and kind, raise and clear applied in event
order whichever worker gets them, escalation steps and notifications sent once, and a
worker killed with SIGKILL in the middle of a stream loses nothing once its supervisor
starts its slot again (Mosquitto keeps a shared-subscription member's messages in its
persistent session: docs/hub-at-scale.md, "Several hub workers").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from datetime import UTC, datetime

import aiomqtt
import websockets

from tests.support.cli import eldercare
from tests.support.factories import PREFIX, register
from tests.support.hub_process import AsAdmin
from tests.support.served_hub import cookie_of
from tests.support.shared_workers import GROUP, workers
from tests.support.stores import postgresql_database, query
from transport.broker_url import BrokerUrl

ESCALATE_AFTER_S = 2.0
# A critical alert tells the station at once and again after ESCALATE_AFTER_S (then no
# more); the other severities only the family, who has no channel here (no delivery).
POLICIES = {
    "critical": {
        "steps": [
            {"after_s": 0, "notify": ["station"]},
            {"after_s": ESCALATE_AFTER_S, "notify": ["station"]},
        ]
    },
    **{
        severity: {"steps": [{"after_s": 0, "notify": ["family"]}]}
        for severity in ("major", "minor", "warning")
    },
}
POLICY_ENV = {"ELDERCARE_POLICIES": json.dumps(POLICIES)}


def edge_event(
    home: str, kind: str, state: str, seq: int, ts: float, severity: str
) -> tuple[str, bytes]:
    """An event of ``home``'s edge at event time ``ts``."""
    moment = datetime.fromtimestamp(ts, UTC).isoformat()
    document = {
        "ts": moment, "home": home, "kind": kind, "state": state, "severity": severity,
        "started": moment, "detector": kind, "evidence": {"seq": seq}, "edge": home,
        "seq": seq,
    }  # fmt: skip
    return f"{PREFIX}/{home}/event", json.dumps(document).encode()


def edge_telemetry(home: str, seq: int, ts: float, readings: int) -> tuple[str, bytes]:
    moment = datetime.fromtimestamp(ts, UTC).isoformat()
    document = {
        "home": home,
        "edge": home,
        "seq": seq,
        "readings": [
            {"ts": moment, "device": "band-1", "metric": "heart_rate", "value": 60 + n}
            for n in range(readings)
        ],
    }
    return f"{PREFIX}/{home}/telemetry", json.dumps(document).encode()


class Edges:
    """One MQTT connection per home, as each home's edge has (its own account)."""

    def __init__(self, broker, homes: list[str]):
        self.broker = broker
        self.homes = homes
        self.clients: dict[str, aiomqtt.Client] = {}
        self._stack = contextlib.AsyncExitStack()

    async def __aenter__(self) -> Edges:
        for home in self.homes:
            url = BrokerUrl.parse(self.broker.home_url(home))
            client = aiomqtt.Client(**url.client_kwargs())
            self.clients[home] = await self._stack.enter_async_context(client)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    async def send(self, messages: list[tuple[str, bytes]]) -> None:
        for topic, payload in messages:
            home = topic.removeprefix(PREFIX + "/").split("/")[0]
            await self.clients[home].publish(topic, payload, qos=1)


async def sos_seen(console, wanted: int, timeout: float = 60) -> set[str]:
    seen: set[str] = set()
    async with asyncio.timeout(timeout):
        while len(seen) < wanted:
            frame = json.loads(await console.recv())
            alert = frame.get("data", {}).get("alert", {})
            if frame.get("type") == "alert" and alert.get("kind") == "sos":
                seen.add(frame["resident"])
    return seen


async def until_count(database: str, sql: str, expected: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        found = (await asyncio.to_thread(query, database, sql))[0][0]
        if found == expected:
            return
        assert found < expected, f"{sql}: {found}, more than the {expected} sent"
        assert time.monotonic() < deadline, f"{sql}: {found} of {expected} after {timeout} s"
        await asyncio.sleep(0.2)


def home_story(home: str, t0: float) -> list[tuple[str, bytes]]:
    """A home's events: an SOS nobody answers (escalates), a bathroom stay raised, cleared,
    raised again and cleared (ends cleared), no activity raised, cleared, raised again
    (ends active)."""
    return [
        edge_event(home, "sos", "raised", 1, t0, "critical"),
        edge_event(home, "long_bathroom_stay", "raised", 2, t0 + 1, "warning"),
        edge_event(home, "long_bathroom_stay", "cleared", 3, t0 + 2, "warning"),
        edge_event(home, "long_bathroom_stay", "raised", 4, t0 + 3, "warning"),
        edge_event(home, "long_bathroom_stay", "cleared", 5, t0 + 4, "warning"),
        edge_event(home, "no_activity", "raised", 6, t0 + 5, "major"),
        edge_event(home, "no_activity", "cleared", 7, t0 + 6, "major"),
        edge_event(home, "no_activity", "raised", 8, t0 + 7, "major"),
    ]


async def test_three_workers_handle_each_message_once_and_in_event_order(
    mosquitto, tmp_path, http_receiver
):
    homes = [f"h{n:03d}" for n in range(1, 25)]
    station = http_receiver.url("/station")
    async with workers(mosquitto, tmp_path, 3, **POLICY_ENV) as (database, hubs):
        await register(AsAdmin(hubs[0]), notify=[station], homes=tuple(homes))
        shuffle = random.Random(14)
        t0 = time.time() - 60
        messages: list[tuple[str, bytes]] = []
        for n, home in enumerate(homes):
            story = home_story(home, t0)
            if n % 3 == 0:
                story.reverse()  # every clear before its raise
            elif n % 3 == 1:
                shuffle.shuffle(story)
            story.insert(3, story[1])  # the edge sent one twice (its outbox, after a cut)
            telemetry = [edge_telemetry(home, 100 + k, t0 + k, 4) for k in range(5)]
            messages.extend(story + telemetry)
        shuffle.shuffle(messages)  # homes interleaved; each home's own order as above
        ws_url = hubs[0].url.replace("http://", "ws://") + "/ws"
        async with (
            websockets.connect(ws_url, additional_headers=cookie_of(hubs[0].http)) as console,
            Edges(mosquitto, homes) as edges,
        ):
            await console.recv()  # its hello
            await edges.send(messages)
            # The console holds a WebSocket to one worker and sees every home's SOS,
            # whichever worker raised it (hub.feed_relay).
            seen = await sos_seen(console, len(homes))
        assert seen == set(homes)

        await until_count(database, "SELECT count(*) FROM received", 13 * len(homes))
        # Each SOS: the station told at once and once more ESCALATE_AFTER_S later.
        await asyncio.to_thread(http_receiver.wait_for, 2 * len(homes), 30)
        await asyncio.sleep(ESCALATE_AFTER_S + 1.0)  # time for a third worker's extra step

        assert await asyncio.to_thread(query, database, "SELECT count(*) FROM events") == [
            (8 * len(homes),)
        ]
        assert await asyncio.to_thread(query, database, "SELECT count(*) FROM readings") == [
            (20 * len(homes),)
        ]
        alerts = await asyncio.to_thread(
            query, database, "SELECT home_id, kind, active, resolved_at FROM alerts"
        )
        expected = {"sos": True, "long_bathroom_stay": False, "no_activity": True}
        assert sorted((home, kind) for home, kind, _, _ in alerts) == sorted(
            (home, kind) for home in homes for kind in expected
        ), "one alert per home and kind"
        wrong = [(h, k, a) for h, k, a, resolved in alerts if a != expected[k] or resolved]
        assert not wrong, f"not as their event times say: {wrong}"
        escalated = await asyncio.to_thread(
            query,
            database,
            "SELECT alert_id, count(*) FROM alert_history WHERE action = 'escalated' "
            "GROUP BY alert_id",
        )
        assert sorted(n for _, n in escalated) == [1] * len(homes), "each step fired once"
        posts = [r for r in http_receiver.requests if r.path.startswith("/station")]
        assert len(posts) == 2 * len(homes), "each notification sent once"
        # The work was shared: every worker took some of the homes' messages.
        for hub in hubs:
            assert (await hub.health())["ingest"]["messages"] > 0


async def test_a_worker_killed_mid_stream_loses_nothing_once_its_slot_is_back(mosquitto, tmp_path):
    homes = [f"h{n:03d}" for n in range(1, 21)]
    rounds, readings_each = 40, 5
    async with workers(mosquitto, tmp_path, 2, **POLICY_ENV) as (database, hubs):
        await register(AsAdmin(hubs[0]), homes=tuple(homes))
        t0 = time.time() - 3600
        async with Edges(mosquitto, homes) as edges:

            async def stream() -> None:
                for k in range(rounds):
                    batch = [edge_telemetry(h, k + 1, t0 + k, readings_each) for h in homes]
                    if k == rounds // 2:  # an SOS of every home in the middle of it
                        batch += [edge_event(h, "sos", "raised", 1000, t0 + k, "critical")
                                  for h in homes]  # fmt: skip
                    await edges.send(batch)
                    await asyncio.sleep(0.05)

            streaming = asyncio.create_task(stream())
            await until_count_above(database, rounds * len(homes) // 5)
            hubs[1].kill()  # SIGKILL: its un-acked messages stay in its session
            await streaming
            await asyncio.sleep(1.0)  # the supervisor's restart delay
            hubs[1].process = hubs[1].spawn()  # the same slot, the same client id
            # A process start, slow on a saturated machine (the bench times it, not this).
            await hubs[1].until_health(lambda h: h.get("connected"), "the worker back", timeout=120)
            total = rounds * len(homes) + len(homes)
            await until_count(database, "SELECT count(*) FROM received", total)
        assert await asyncio.to_thread(query, database, "SELECT count(*) FROM readings") == [
            (rounds * len(homes) * readings_each,)
        ]
        sos = await asyncio.to_thread(
            query, database, "SELECT count(*), count(DISTINCT home_id) FROM alerts"
        )
        assert sos == [(len(homes), len(homes))]
        # What the broker kept for the killed slot reached its next process.
        assert (await hubs[1].health())["ingest"]["messages"] > 0


async def until_count_above(database: str, threshold: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    sql = "SELECT count(*) FROM received"
    while (await asyncio.to_thread(query, database, sql))[0][0] < threshold:
        assert time.monotonic() < deadline, f"fewer than {threshold} messages stored"
        await asyncio.sleep(0.05)


def test_a_shared_group_on_sqlite_is_refused_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("ELDERCARE_SHARED_GROUP", GROUP)
    monkeypatch.setenv("ELDERCARE_WORKER", "1")
    result = eldercare("hub", "--database", f"sqlite:///{tmp_path / 'hub.db'}")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "PostgreSQL" in lines[0] and "SQLite" in lines[0], lines


def test_a_worker_needs_its_slot(monkeypatch):
    monkeypatch.setenv("ELDERCARE_SHARED_GROUP", GROUP)
    result = eldercare("hub", "--database", postgresql_database())
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "ELDERCARE_WORKER" in lines[0], lines
