"""What a home's pipeline (edge/pipeline.py) says in its status about its devices."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from edge.outbox import Outbox
from edge.pipeline import HomePipeline
from tests.support.factories import home_config, make_home

PRESS = b'{"action": "emergency", "battery": 90}'


def last_seen(pipeline: HomePipeline) -> str:
    return pipeline.status("online")["devices"]["sos_bed"]["last_seen"]


def test_last_seen_is_the_newest_press_across_the_end_of_summer_time(tmp_path: Path) -> None:
    config = make_home(timezone="Europe/Berlin")
    with Outbox(tmp_path / "outbox.db", config.home) as outbox:
        pipeline = HomePipeline(config, outbox, data_dir=tmp_path)
        # 02:30 summer time, then 02:10 winter time: 40 minutes later, earlier as text.
        for at in (
            datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
            datetime(2026, 10, 25, 1, 10, tzinfo=UTC),
        ):
            pipeline.handle_local("zigbee2mqtt/sos", PRESS, at)
        assert last_seen(pipeline) == "2026-10-25T02:10:00+01:00"


def test_last_seen_is_the_newest_press_after_a_pushed_time_zone(tmp_path: Path) -> None:
    config = make_home(timezone="Asia/Shanghai")
    with Outbox(tmp_path / "outbox.db", config.home) as outbox:
        pipeline = HomePipeline(config, outbox, data_dir=tmp_path)
        pipeline.handle_local("zigbee2mqtt/sos", PRESS, datetime(2026, 3, 2, 7, 0, tzinfo=UTC))
        assert last_seen(pipeline) == "2026-03-02T15:00:00+08:00"
        assert pipeline.apply_config(json.dumps(home_config(timezone="Europe/London")).encode())
        pipeline.handle_local("zigbee2mqtt/sos", PRESS, datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
        assert last_seen(pipeline) == "2026-03-02T08:00:00+00:00"
