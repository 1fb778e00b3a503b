"""Many edges' outboxes in one file (edge/outbox_file.py), on real SQLite files: each edge
keeps its own seqs, bound, drops, acks and staging; a version-2 file is upgraded in place."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from edge.outbox import Outbox, OutboxDepth, OutboxError, OutboxFile, synced_once
from tests.edge.old_outboxes import old_outbox

EVENT = "eldercare/v1/{}/event"
TELEMETRY = "eldercare/v1/{}/telemetry"


def seqs(outbox: Outbox) -> list[int]:
    return [item.seq for item in outbox.pending(1000)]


def test_two_edges_in_one_file_keep_their_own_seqs_and_acks(tmp_path: Path) -> None:
    path = tmp_path / "outboxes.sqlite"
    with OutboxFile(path) as file:
        a, b = Outbox(file, "h001"), Outbox(file, "h002")
        assert [a.put("event", EVENT.format("h001"), {"i": i}).seq for i in range(3)] == [1, 2, 3]
        item = b.put("event", EVENT.format("h002"), {"kind": "sos"})
        assert item.seq == 1 and json.loads(item.payload)["edge"] == "h002"
        assert seqs(a) == [1, 2, 3] and seqs(b) == [1]
        b.ack_many([1, 2, 3])  # h002 acks its own seq 1 only; h001's 1..3 stay
        assert seqs(a) == [1, 2, 3] and seqs(b) == []
        a.ack(2)
        assert seqs(a) == [1, 3]
        a.close()  # one edge done: the file stays open for the other
        assert b.put("telemetry", TELEMETRY.format("h002"), {}).seq == 2
        with pytest.raises(OutboxError, match="closed"):
            a.pending()
    with OutboxFile(path) as file:  # reopened: each edge's seq goes on, never reused
        a, b = Outbox(file, "h001"), Outbox(file, "h002")
        assert (a.last_seq, b.last_seq) == (3, 2)
        assert seqs(a) == [1, 3] and seqs(b) == [2]
        assert a.put("event", EVENT.format("h001"), {}).seq == 4
        assert file.edges() == ["h001", "h002"]


def test_bounds_and_drops_are_per_edge(tmp_path: Path) -> None:
    with OutboxFile(tmp_path / "outboxes.sqlite") as file:
        small, big = Outbox(file, "h001", max_items=2), Outbox(file, "h002", max_items=100)
        for _ in range(5):
            big.put("telemetry", TELEMETRY.format("h002"), {})
        small.put("event", EVENT.format("h001"), {})  # 1: never dropped
        for _ in range(4):  # 2..5: over the bound of 2, the oldest telemetry goes
            small.put("telemetry", TELEMETRY.format("h001"), {})
        assert seqs(small) == [1, 5]
        assert small.depth() == OutboxDepth(events=1, telemetry=1, status=0, dropped_telemetry=3)
        # The other edge's five items neither count against h001's bound nor are dropped.
        assert seqs(big) == [1, 2, 3, 4, 5] and big.depth().dropped_telemetry == 0


def test_staged_readings_are_sealed_only_into_their_own_edges_items(tmp_path: Path) -> None:
    with OutboxFile(tmp_path / "outboxes.sqlite") as file:
        a, b = Outbox(file, "h001"), Outbox(file, "h002")
        a.stage([{"v": 1}, {"v": 2}])
        b.stage([{"v": 10}])
        a.stage([{"v": 3}])
        assert (a.depth().staged, b.depth().staged) == (3, 1)
        (item,) = a.seal_telemetry(TELEMETRY.format("h001"), "h001")
        assert json.loads(item.payload)["readings"] == [{"v": 1}, {"v": 2}, {"v": 3}]
        assert (a.depth().staged, b.depth().staged) == (0, 1)
        (item,) = b.seal_telemetry(TELEMETRY.format("h002"), "h002")
        assert json.loads(item.payload) == {
            "home": "h002",
            "readings": [{"v": 10}],
            "edge": "h002",
            "seq": 1,
        }


def test_writes_synced_once_are_all_there_after_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "outboxes.sqlite"
    with OutboxFile(path) as file:
        outboxes = [Outbox(file, f"h{i:03d}") for i in range(1, 6)]
        for outbox in outboxes:
            outbox.stage([{"home": outbox.edge}])
        outboxes[0].put("event", EVENT.format("h001"), {})  # synced: FULL from here
        trace: list[str] = []
        file.db.set_trace_callback(
            lambda sql: trace.append(sql) if sql.startswith(("COMMIT", "PRAGMA sync")) else 0
        )
        with synced_once(outboxes):
            for outbox in outboxes:
                outbox.seal_telemetry(TELEMETRY.format(outbox.edge), outbox.edge)
            outboxes[0].ack_many([1, 2])
        file.db.set_trace_callback(None)
        # Six commits without waiting for the disk, then one that does (it covers them).
        assert trace == [
            "PRAGMA synchronous=NORMAL",
            *["COMMIT"] * 6,
            "PRAGMA synchronous=FULL",
            "COMMIT",
        ]
    with OutboxFile(path) as file:
        assert [len(Outbox(file, f"h{i:03d}").pending()) for i in range(1, 6)] == [0, 1, 1, 1, 1]


def test_a_file_opened_by_path_is_one_edges(tmp_path: Path) -> None:
    path = tmp_path / "outboxes.sqlite"
    with OutboxFile(path) as file:
        Outbox(file, "h001").put("event", EVENT.format("h001"), {})
        Outbox(file, "h002")
    # An edge box's Outbox(path, edge) refuses a file that holds another edge's items.
    with pytest.raises(OutboxError, match="belongs to edge 'h00"):
        Outbox(path, "h001")


def test_a_version_2_file_is_upgraded_in_place_under_its_edge(tmp_path: Path) -> None:
    path = old_outbox(
        tmp_path / "outbox.db",
        "h007",
        items=[
            (4, "telemetry", TELEMETRY.format("h007"), {"readings": []}),
            (6, "event", EVENT.format("h007"), {"kind": "fall"}),
        ],
        staged=[{"v": 70}, {"v": 71}],
        last_seq=6,  # 5 was acked; 6 is the last ever given
        dropped=2,
    )
    with pytest.raises(OutboxError, match="belongs to edge 'h007'"):
        Outbox(path, "h001")  # the upgrade keeps whose file it is
    with Outbox(path, "h007") as outbox:
        assert seqs(outbox) == [6, 4]  # the event first, as before
        assert json.loads(outbox.pending()[0].payload) == {
            "kind": "fall",
            "edge": "h007",
            "seq": 6,
        }
        assert outbox.depth() == OutboxDepth(
            events=1, telemetry=1, status=0, dropped_telemetry=2, staged=2
        )
        (sealed,) = outbox.seal_telemetry(TELEMETRY.format("h007"), "h007")
        assert sealed.seq == 7 and json.loads(sealed.payload)["readings"] == [{"v": 70}, {"v": 71}]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (3,)
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        assert not any(name.startswith("old_") for name in tables)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "outboxes.sqlite"
    OutboxFile(path).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version=4")
    with pytest.raises(OutboxError, match="newer than this code"):
        OutboxFile(path)
