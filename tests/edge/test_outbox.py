"""The edge outbox (edge/outbox.py) on real SQLite files: seq, order, ack, bound, crash safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edge.outbox import Outbox, OutboxDepth, OutboxError

REPO = Path(__file__).resolve().parents[2]
EVENT_TOPIC = "eldercare/v1/h001/event"
TELEMETRY_TOPIC = "eldercare/v1/h001/telemetry"
STATUS_TOPIC = "eldercare/v1/h001/status"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "outbox.sqlite"  # the folder does not exist yet


def seqs(outbox: Outbox, limit: int = 1000) -> list[int]:
    return [item.seq for item in outbox.pending(limit)]


def test_put_assigns_seq_and_stamps_the_payload(db: Path) -> None:
    with Outbox(db, "h001") as outbox:
        assert outbox.last_seq == 0
        item = outbox.put("event", EVENT_TOPIC, {"kind": "fall", "seq": 999, "note": "王秀英"})
        assert (item.seq, item.kind, item.topic) == (1, "event", EVENT_TOPIC)
        # The outbox owns "edge" and "seq": a caller's value is overwritten.
        assert json.loads(item.payload) == {
            "kind": "fall",
            "seq": 1,
            "edge": "h001",
            "note": "王秀英",
        }
        assert outbox.pending() == [item]
        assert outbox.last_seq == 1


def test_seq_is_monotonic_and_survives_reopen(db: Path) -> None:
    with Outbox(db, "h001") as outbox:
        first = [outbox.put("telemetry", TELEMETRY_TOPIC, {"i": i}).seq for i in range(3)]
        batch = outbox.put_many([("telemetry", TELEMETRY_TOPIC, {"i": i}) for i in range(3)])
    assert first + [item.seq for item in batch] == [1, 2, 3, 4, 5, 6]
    with Outbox(db, "h001") as outbox:
        assert outbox.last_seq == 6
        assert seqs(outbox) == [1, 2, 3, 4, 5, 6]
        assert outbox.put("event", EVENT_TOPIC, {}).seq == 7


def test_seq_is_never_reused_after_everything_is_acked(db: Path) -> None:
    with Outbox(db, "h001") as outbox:
        for _ in range(3):
            outbox.put("event", EVENT_TOPIC, {})
        for seq in (1, 2, 3):
            outbox.ack(seq)
        assert outbox.pending() == []
    with Outbox(db, "h001") as outbox:
        assert outbox.last_seq == 3
        assert outbox.put("event", EVENT_TOPIC, {}).seq == 4


def test_pending_gives_events_then_status_then_telemetry(db: Path) -> None:
    with Outbox(db, "h001") as outbox:
        outbox.put("telemetry", TELEMETRY_TOPIC, {})  # 1
        outbox.put("status", STATUS_TOPIC, {"state": "online"})  # 2
        outbox.put("event", EVENT_TOPIC, {})  # 3
        outbox.put("telemetry", TELEMETRY_TOPIC, {})  # 4
        outbox.put("event", EVENT_TOPIC, {})  # 5
        assert seqs(outbox) == [3, 5, 2, 1, 4]
        assert [item.kind for item in outbox.pending()] == [
            "event",
            "event",
            "status",
            "telemetry",
            "telemetry",
        ]
        assert seqs(outbox)[:2] == [item.seq for item in outbox.pending(limit=2)]


def test_ack_removes_and_is_idempotent(db: Path) -> None:
    with Outbox(db, "h001") as outbox:
        outbox.put_many([("event", EVENT_TOPIC, {}), ("telemetry", TELEMETRY_TOPIC, {})])
        outbox.ack(1)
        outbox.ack(1)  # the broker's ack may be seen twice after a reconnect
        outbox.ack(12345)  # never assigned: fine too
        assert seqs(outbox) == [2]
        assert outbox.depth() == OutboxDepth(events=0, telemetry=1, status=0, dropped_telemetry=0)
    with Outbox(db, "h001") as outbox:
        assert seqs(outbox) == [2]  # the ack was durable


def test_ack_many_removes_a_window_in_one_transaction(db: Path) -> None:
    with Outbox(db, "h001") as outbox:
        outbox.put_many([("event", EVENT_TOPIC, {"i": i}) for i in range(5)])
        outbox.put("telemetry", TELEMETRY_TOPIC, {})  # 6
        commits = []
        outbox._db.set_trace_callback(
            lambda sql: commits.append(sql) if sql.startswith("COMMIT") else None
        )
        outbox.ack_many([1, 2, 4, 4, 999])  # repeats and unknown seqs are fine
        outbox.ack_many([])  # nothing to do: no transaction either
        outbox.ack_many(iter([5]))  # any iterable
        outbox._db.set_trace_callback(None)
        assert len(commits) == 2
        assert seqs(outbox) == [3, 6]
        assert outbox.last_seq == 6
    with Outbox(db, "h001") as outbox:
        assert seqs(outbox) == [3, 6]  # durable
        assert outbox.put("event", EVENT_TOPIC, {}).seq == 7


def test_put_many_is_all_or_nothing(db: Path) -> None:
    with Outbox(db, "h001") as outbox:
        outbox.put("event", EVENT_TOPIC, {})
        with pytest.raises(TypeError):
            outbox.put_many(
                [
                    ("telemetry", TELEMETRY_TOPIC, {}),
                    ("telemetry", TELEMETRY_TOPIC, {"x": object()}),
                ]
            )
        with pytest.raises(ValueError, match="kind"):
            outbox.put("alert", EVENT_TOPIC, {})  # type: ignore[arg-type]
        assert seqs(outbox) == [1]
        assert outbox.last_seq == 1  # no seq consumed by the failed batch
        assert outbox.put_many([]) == []


def test_bound_drops_oldest_telemetry_first_and_counts_it(db: Path) -> None:
    with Outbox(db, "h001", max_items=4) as outbox:
        outbox.put("telemetry", TELEMETRY_TOPIC, {})  # 1
        outbox.put("event", EVENT_TOPIC, {})  # 2
        outbox.put("telemetry", TELEMETRY_TOPIC, {})  # 3
        outbox.put("telemetry", TELEMETRY_TOPIC, {})  # 4
        outbox.put("telemetry", TELEMETRY_TOPIC, {})  # 5: over the bound, 1 goes
        assert sorted(seqs(outbox)) == [2, 3, 4, 5]
        outbox.put_many([("event", EVENT_TOPIC, {}), ("event", EVENT_TOPIC, {})])  # 6, 7
        assert sorted(seqs(outbox)) == [2, 5, 6, 7]  # 3 and 4 were the oldest telemetry
        assert outbox.depth() == OutboxDepth(events=3, telemetry=1, status=0, dropped_telemetry=3)
    with Outbox(db, "h001", max_items=4) as outbox:
        assert outbox.depth().dropped_telemetry == 3  # persisted


def test_bound_never_drops_events_or_status(db: Path) -> None:
    with Outbox(db, "h001", max_items=2) as outbox:
        for _ in range(3):
            outbox.put("event", EVENT_TOPIC, {})
        outbox.put("status", STATUS_TOPIC, {"state": "online"})
        # Only events and status: the outbox grows past its bound rather than lose one.
        assert seqs(outbox) == [1, 2, 3, 4]
        # A telemetry item with no older telemetry to make room for it is dropped itself,
        # but its seq is consumed and the drop counted.
        assert outbox.put("telemetry", TELEMETRY_TOPIC, {}).seq == 5
        assert seqs(outbox) == [1, 2, 3, 4]
        assert outbox.depth() == OutboxDepth(events=3, telemetry=0, status=1, dropped_telemetry=1)
        assert outbox.put("event", EVENT_TOPIC, {}).seq == 6


# A child that puts items as fast as it can and reports each seq once put() has returned.
CHILD = """
import sys
from edge.outbox import Outbox
outbox = Outbox(sys.argv[1], "h001", max_items=1_000_000)
i = 0
while True:
    i += 1
    if i % 3:
        seq = outbox.put("event" if i % 2 else "telemetry", "t", {"i": i}).seq
    else:
        seq = outbox.put_many([("telemetry", "t", {"i": i}), ("telemetry", "t", {"i": -i})])[-1].seq
    print(seq, flush=True)
"""


def test_sigkill_mid_loop_loses_nothing_that_put_returned(db: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert child.stdout is not None
        deadline = time.monotonic() + 30
        printed: list[int] = []
        while len(printed) < 40 and time.monotonic() < deadline:
            line = child.stdout.readline()
            assert line, "the child stopped early"
            printed.append(int(line))
        child.send_signal(signal.SIGKILL)  # mid-loop, most likely inside a put
        child.wait(timeout=10)
        printed += [int(line) for line in child.stdout.read().split()]
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    assert len(printed) >= 40
    assert printed == sorted(printed)

    with Outbox(db, "h001") as outbox:
        last = outbox.last_seq
        assert last >= printed[-1]
        pending = set(seqs(outbox, limit=1_000_000))
        assert set(printed) <= pending
        # Every seq up to last_seq is stored: no half-committed batch, no hole.
        assert pending == set(range(1, last + 1))
        assert outbox.put("event", EVENT_TOPIC, {}).seq == last + 1


def test_corrupt_file_gives_outbox_error_with_path(tmp_path: Path) -> None:
    db = tmp_path / "outbox.sqlite"
    db.write_bytes(b"this is not a database, it is a shopping list\n" * 100)
    with pytest.raises(OutboxError) as caught:
        Outbox(db, "h001")
    assert str(db) in str(caught.value)
    assert caught.value.path == str(db)


def test_unwritable_path_gives_outbox_error_with_path(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")
    db = blocker / "outbox.sqlite"
    with pytest.raises(OutboxError, match="data folder") as caught:
        Outbox(db, "h001")
    assert str(db) in str(caught.value)

    a_directory = tmp_path / "dir.sqlite"
    a_directory.mkdir()
    with pytest.raises(OutboxError) as caught:
        Outbox(a_directory, "h001")
    assert str(a_directory) in str(caught.value)


def test_outbox_of_another_edge_is_refused(db: Path) -> None:
    with Outbox(db, "h001") as outbox:
        outbox.put("event", EVENT_TOPIC, {})
    with pytest.raises(OutboxError, match="h001"):
        Outbox(db, "h002")


def test_use_after_close_is_an_outbox_error(db: Path) -> None:
    outbox = Outbox(db, "h001")
    outbox.close()
    outbox.close()  # idempotent
    with pytest.raises(OutboxError, match=str(db)):
        outbox.put("event", EVENT_TOPIC, {})
