"""A hosted process started over homes' own outbox files from an earlier version: what they
held is moved into the shared file (edge/adopt.py) and reaches the hub as before, with its
seqs; none is reused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from edge.adopt import adopt
from edge.outbox import Outbox, OutboxError, OutboxFile
from tests.edge.old_outboxes import old_outbox
from tests.edge.test_hosted_hub import H1, H2, PREFIX, make_hosted, messages_of, started, topic
from tests.support.mqtt import Collector, publish, raised, running, until

READINGS = [
    {"ts": 1_764_372_665.0, "home": "h001", "device": "band", "metric": "heart_rate", "value": v}
    for v in (71, 72)
]


def h001_before_version_3(data: Path) -> Path:
    """h001's own outbox as the earlier hosted process left it: a fall not yet sent (seq 4),
    an unsent telemetry batch (2), two staged readings; seq 5 was the last given (acked)."""
    return old_outbox(
        data / "h001" / "outbox.sqlite",
        "h001",
        items=[
            (2, "telemetry", topic("h001", "telemetry"), {"home": "h001", "readings": []}),
            (4, "event", topic("h001", "event"), {"kind": "fall", "state": "raised"}),
        ],
        staged=READINGS,
        last_seq=5,
    )


async def test_old_outboxes_are_adopted_and_delivered_with_their_seqs(brokers, tmp_path):
    local, uplink = brokers
    data = tmp_path / "hosted"
    old = h001_before_version_3(data)
    hub = Collector(uplink, f"{PREFIX}/+/event", f"{PREFIX}/+/telemetry")
    async with running(hub.run):
        await hub.subscribed.wait()
        hosted = make_hosted(local, uplink, data)
        (adopted,) = hosted.adopted
        assert (adopted.edge, adopted.items, adopted.staged, adopted.last_seq) == ("h001", 2, 2, 5)
        assert not old.exists() and adopted.renamed_to.exists()  # kept aside, not deleted
        assert hosted.pipelines["h001"].outbox.last_seq == 5
        async with running(hosted.run):
            await started(hosted)
            (fall,) = await until(lambda: hub.of(topic("h001", "event")), what="the old fall")
            assert (fall["kind"], fall["edge"], fall["seq"]) == ("fall", "h001", 4)
            batches = await until(
                lambda: [t for t in hub.of(topic("h001", "telemetry")) if t["readings"]],
                what="the staged readings",
            )
            # The staged readings sealed at start, under the next seq: none reused.
            assert [(b["seq"], b["readings"]) for b in batches] == [(6, READINGS)]
            assert [t["seq"] for t in hub.of(topic("h001", "telemetry"))] == [2, 6]
            await publish(local, messages_of(H1, "sos_bed", "sos", True))
            (sos,) = await until(lambda: raised(hub.of(topic("h001", "event")), "sos"))
            assert sos["seq"] == 7
            await until(lambda: hosted.pipelines["h001"].outbox.pending() == [], what="acked")
        assert hub.of(topic(H2.home, "event")) == []

    # The next start finds nothing more to adopt and goes on from the shared file.
    again = make_hosted(local, uplink, data)
    try:
        assert again.adopted == []
        outbox = again.pipelines["h001"].outbox
        last = outbox.last_seq
        assert last >= 7  # and the reading of the press, sealed at the stop
        assert outbox.put("event", topic("h001", "event"), {}).seq == last + 1
        assert again.pipelines["h002"].outbox.last_seq == 0
    finally:
        again.close()


def test_a_crash_between_the_copy_and_the_rename_copies_nothing_twice(tmp_path):
    old = h001_before_version_3(tmp_path / "hosted")
    with OutboxFile(tmp_path / "hosted" / "outboxes.sqlite") as shared:
        first = adopt(shared, old, "h001")
        # As if the process died before the rename: the old file is still where it was.
        shutil.copy(first.renamed_to, old)
        second = adopt(shared, old, "h001")
        outbox = Outbox(shared, "h001")
        assert [item.seq for item in outbox.pending()] == [4, 2]
        assert outbox.depth().staged == 2  # not 4
        (sealed,) = outbox.seal_telemetry(topic("h001", "telemetry"), "h001")
        assert sealed.seq == 6 and json.loads(sealed.payload)["readings"] == READINGS
        assert not old.exists() and second.renamed_to.exists()


def test_an_old_outbox_of_another_edge_stops_the_start(brokers, tmp_path):
    local, uplink = brokers
    data = tmp_path / "hosted"
    old_outbox(data / "h001" / "outbox.sqlite", "h999", last_seq=3)
    with pytest.raises(OutboxError, match="belongs to edge 'h999'"):
        make_hosted(local, uplink, data)
    assert (data / "h001" / "outbox.sqlite").exists()  # left as it was, for a person to see
