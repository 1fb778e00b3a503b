"""Readings on disk within a second, and an outbox that refuses writes (a full disk): on real
SQLite files. A full disk is SQLite's own: ``PRAGMA max_page_count`` caps the file, and
writes beyond it fail with "database or disk is full", as on a full disk."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import aiomqtt
import pytest

from edge import EdgeAgent, EdgeSettings
from edge.agent import OUTBOX_FILE
from edge.outbox import Outbox, OutboxError
from edge.pipeline import MAX_TELEMETRY_BATCH, MAX_UNSTAGED_READINGS, HomePipeline
from tests.edge.old_outboxes import old_outbox
from tests.support.factories import BAND, device, make_home

HOME = "h001"
TELEMETRY = "eldercare/v1/h001/telemetry"
CONFIG = make_home(
    HOME,
    devices=[device("sos_bed", "sos_button", "bedside", "zigbee2mqtt:sos", "TS0215A_sos"), BAND],
)


def reading(value: float, ts: float = 1_764_372_665.0) -> dict:
    return {"ts": ts, "home": HOME, "device": "band", "metric": "heart_rate", "value": value}


def test_staged_readings_survive_a_reopen_and_are_sealed_into_batches(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    with Outbox(path, HOME) as outbox:
        outbox.stage([reading(70), reading(71)])
        outbox.stage([reading(72)])
        assert outbox.depth().staged == 3 and outbox.pending() == []
    # A process killed here loses nothing: the next one seals what was staged.
    with Outbox(path, HOME) as outbox:
        assert outbox.depth().staged == 3
        items = outbox.seal_telemetry(TELEMETRY, HOME, max_readings=2)
        assert [item.seq for item in items] == [1, 2]
        first, second = (json.loads(item.payload) for item in items)
        assert first == {
            "home": HOME,
            "readings": [reading(70), reading(71)],
            "edge": HOME,
            "seq": 1,
        }
        assert second["readings"] == [reading(72)] and second["seq"] == 2
        assert outbox.depth().staged == 0 and outbox.depth().telemetry == 2
        assert outbox.seal_telemetry(TELEMETRY, HOME) == []  # nothing staged: no item
        assert outbox.last_seq == 2


def test_an_outbox_of_version_1_gains_the_staging_table(tmp_path: Path) -> None:
    path = old_outbox(
        tmp_path / "outbox.sqlite",
        HOME,
        items=[(1, "event", "eldercare/v1/h001/event", {"kind": "sos"})],
        last_seq=1,
        version=1,
    )
    with Outbox(path, HOME) as outbox:
        outbox.stage([reading(70)])
        assert [item.seq for item in outbox.pending()] == [1]
        assert outbox.seal_telemetry(TELEMETRY, HOME)[0].seq == 2


def fill_up(outbox: Outbox) -> None:
    """The file may not grow any more: the next write that needs a page fails."""
    (pages,) = outbox._db.execute("PRAGMA page_count").fetchone()
    outbox._db.execute(f"PRAGMA max_page_count = {pages}")


def free_up(outbox: Outbox) -> None:
    outbox._db.execute("PRAGMA max_page_count = 1073741823")


@pytest.fixture
def pipeline(tmp_path: Path):
    outbox = Outbox(tmp_path / "outbox.sqlite", HOME)
    yield HomePipeline(CONFIG, outbox, data_dir=tmp_path)
    outbox.close()


PRESS = b'{"action": "emergency"}'


def press(pipeline: HomePipeline) -> list:
    return pipeline.handle_local("zigbee2mqtt/sos", PRESS, datetime.now(UTC))


def heart_rate(pipeline: HomePipeline, value: int) -> None:
    payload = json.dumps({"ts": datetime.now(UTC).timestamp(), "heart_rate": value})
    pipeline.handle_local(f"eldercare/v1/{HOME}/dev/band/up", payload.encode(), datetime.now(UTC))


def test_a_full_disk_keeps_the_events_in_memory_until_the_outbox_takes_them(pipeline):
    outbox = pipeline.outbox
    fill_up(outbox)
    big = {"padding": "x" * 20_000}  # a write that needs new pages
    with pytest.raises(OutboxError, match="full"):
        outbox.put("event", "eldercare/v1/h001/event", big)

    # Each press is detected (its alarm sounds at home) though the disk is full; the ones
    # that did not fit in the file's last free bytes wait in memory.
    for _ in range(50):
        assert [e.kind for e in press(pipeline)] == ["sos"]
        if pipeline.unstored_events:
            break
    for _ in range(3):
        press(pipeline)
    kept = pipeline.unstored_events
    status = pipeline.status("online")
    assert status["outbox"]["unstored_events"] == kept
    assert status["counts"]["outbox_errors"] >= 1

    free_up(outbox)
    pipeline.tick()  # the next tick stores them, in order, before anything newer
    assert pipeline.unstored_events == 0
    sos = [json.loads(i.payload) for i in outbox.pending(1000) if b'"sos"' in i.payload]
    presses = [e["evidence"]["presses"] for e in sos]
    assert presses == sorted(presses) and presses[-1] == len(presses)


def test_a_full_disk_keeps_readings_in_memory_up_to_a_bound(pipeline):
    outbox = pipeline.outbox
    fill_up(outbox)
    for number in range(MAX_UNSTAGED_READINGS + 45):
        heart_rate(pipeline, 60 + number % 40)
    pipeline.stage_telemetry()
    # The newest are kept, the oldest given up, counted.
    assert pipeline.counts.dropped_readings == 45
    status = pipeline.status("online")
    assert status["counts"]["dropped_readings"] == 45
    assert status["outbox"]["unstaged_readings"] == MAX_UNSTAGED_READINGS

    free_up(outbox)
    assert pipeline.flush_telemetry() == MAX_UNSTAGED_READINGS // MAX_TELEMETRY_BATCH
    sealed = [json.loads(item.payload) for item in outbox.pending(1000)]
    assert sum(len(batch["readings"]) for batch in sealed) == MAX_UNSTAGED_READINGS
    assert pipeline.status("online")["outbox"]["unstaged_readings"] == 0
    assert outbox.depth().staged == 0


def full_disk_agent(data: Path) -> EdgeAgent:
    """An edge whose outbox is full, with an SOS press kept in memory."""
    agent = EdgeAgent(CONFIG, EdgeSettings("mqtt://127.0.0.1:1", "mqtt://127.0.0.1:1", data))
    fill_up(agent.outbox)
    with pytest.raises(OutboxError, match="full"):
        agent.outbox.put("event", "eldercare/v1/h001/event", {"padding": "x" * 20_000})
    for _ in range(50):
        agent._on_local(aiomqtt.Message("zigbee2mqtt/sos", PRESS, 1, False, 1, None))
        if agent.pipeline.unstored_events:
            break
    assert agent.pipeline.unstored_events
    return agent


@pytest.mark.parametrize("stored_by", ["tick", "reading"])
async def test_events_stored_after_a_full_disk_go_up_without_waiting_for_another(
    tmp_path, stored_by
):
    agent = full_disk_agent(tmp_path)
    try:
        while window := agent.drain.next_window():  # the uplink takes what the disk held
            for _, items in window:
                agent.outbox.ack_many([item.seq for item in items])
        free_up(agent.outbox)
        if stored_by == "tick":
            await agent._tick()
        else:  # a reading that raises nothing
            payload = json.dumps({"ts": datetime.now(UTC).timestamp(), "heart_rate": 72})
            topic = f"eldercare/v1/{HOME}/dev/band/up"
            agent._on_local(aiomqtt.Message(topic, payload.encode(), 1, False, 1, None))
        assert agent.pipeline.unstored_events == 0
        window = agent.drain.next_window()  # the drain is woken for them
        sent = [json.loads(item.payload).get("kind") for _, items in window for item in items]
        assert "sos" in sent
    finally:
        agent.close()


def test_a_stop_stores_the_events_kept_in_memory_if_the_disk_has_room_again(tmp_path):
    agent = full_disk_agent(tmp_path)
    stored, kept = agent.outbox.depth().events, agent.pipeline.unstored_events
    free_up(agent.outbox)
    agent.close()  # SIGTERM before the next tick
    with Outbox(tmp_path / OUTBOX_FILE, HOME) as outbox:
        assert outbox.depth().events == stored + kept


def test_a_stop_on_a_full_disk_says_how_many_events_are_lost(tmp_path, caplog):
    agent = full_disk_agent(tmp_path)
    kept = agent.pipeline.unstored_events
    with caplog.at_level("ERROR", logger="edge.runtime"):
        agent.close()
    lost = [r.getMessage() for r in caplog.records if "lost with this stop" in r.getMessage()]
    assert lost == [f"home {HOME}: {kept} events could not be stored and are lost with this stop"]
