"""When she got up is decided in one place, the whereabouts model: the family page's "got
up" (the hub's today) and what the home's detectors decide agree."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from analytics import HomeMonitor, Morning, got_up, morning
from analytics.activity import ACTIVITY_DETECTORS
from contracts import HomeConfig, Reading
from tests.support.factories import HOME, home_config, make_home, register, served, settings_for
from tests.support.mqtt import publish, until

TZ = ZoneInfo("Asia/Shanghai")
DEVICES = [
    {"id": "pir_bedroom", "kind": "motion", "role": "bedroom", "source": "zigbee2mqtt:p1"},
    {"id": "pir_living", "kind": "motion", "role": "living_room", "source": "zigbee2mqtt:p2"},
    {"id": "toilet_door", "kind": "door", "role": "toilet_door", "source": "zigbee2mqtt:d1"},
    {"id": "fridge", "kind": "door", "role": "fridge", "source": "zigbee2mqtt:d2"},
    {"id": "band", "kind": "bracelet", "role": "wrist", "source": "native"},
]
# A day a few days back, so every reading is in the hub's past.
DAY = (datetime.now(TZ) - timedelta(days=3)).date()


def at(day_offset: int, hhmm: str, seconds: int = 0) -> datetime:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    midnight = datetime(DAY.year, DAY.month, DAY.day, tzinfo=TZ)
    return midnight + timedelta(days=day_offset, hours=hours, minutes=minutes, seconds=seconds)


def morning_readings() -> list[dict]:
    """An evening at home, to bed at 22:40; the toilet at 06:20 and back to bed; then, as
    not_up's deadline passes, up for the day at 12:30."""
    items = [
        (at(-1, "20:00"), "pir_living", "motion", True),
        (at(-1, "20:00", 30), "fridge", "contact", "open"),
        (at(-1, "20:00", 40), "fridge", "contact", "closed"),
        (at(-1, "22:40"), "pir_bedroom", "motion", True),
        (at(0, "06:20"), "toilet_door", "contact", "open"),
        (at(0, "06:20", 5), "toilet_door", "contact", "closed"),
        (at(0, "06:24"), "toilet_door", "contact", "open"),
        (at(0, "06:24", 5), "toilet_door", "contact", "closed"),
        (at(0, "06:25"), "pir_bedroom", "motion", True),
        (at(0, "12:30"), "pir_living", "motion", True),
        (at(0, "12:31"), "fridge", "contact", "open"),
        (at(0, "12:31", 10), "fridge", "contact", "closed"),
    ]
    return [
        {"ts": ts.isoformat(), "device": device, "metric": metric, "value": value}
        for ts, device, metric, value in items
    ]


def as_readings(rows: list[dict]) -> list[Reading]:
    return [Reading.model_validate({**row, "home": HOME}) for row in rows]


def what_the_detectors_decide(config: HomeConfig, readings: list[Reading]) -> tuple:
    """Through the monitor as the edge runs it: (when the model has her up, when not_up
    says she got up)."""
    monitor = HomeMonitor(config, detectors=list(ACTIVITY_DETECTORS))
    events = monitor.feed_many(readings) + monitor.advance(at(0, "20:00").timestamp())
    cleared = [e for e in events if e.kind == "not_up" and e.state == "cleared"]
    return monitor.whereabouts.day.up_since, cleared[0].evidence["up_at"] if cleared else None


async def hubs_today(mosquitto, tmp_path, config: dict, rows: list[dict]) -> dict:
    """The hub's today for DAY, once it has stored ``rows`` (sent as an edge's telemetry)."""
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        (await hub.http.put(f"/homes/{HOME}", json=config)).raise_for_status()
        document = {"home": HOME, "edge": HOME, "seq": 1, "readings": rows}
        await publish(mosquitto, [(f"eldercare/v1/{HOME}/telemetry", json.dumps(document))])
        await until(lambda: hub.hub.ingestor.counts.readings == len(rows))
        return (await hub.http.get(f"/residents/{HOME}/today", params={"date": str(DAY)})).json()


async def test_the_pages_got_up_is_the_models(mosquitto, tmp_path):
    config = home_config(HOME, devices=DEVICES)
    rows = morning_readings()
    home = HomeConfig.model_validate(config)
    up, not_up_says = what_the_detectors_decide(home, as_readings(rows))
    assert up == at(0, "12:30").timestamp() and not_up_says == "12:30"
    today = await hubs_today(mosquitto, tmp_path, config, rows)
    # Not the first activity after the night's end (06:20, the toilet): the model's 12:30.
    assert today["got_up_at"] == at(0, "12:30").isoformat() and today["got_up_known"] is True
    got_up_entries = [e for e in today["timeline"] if e["what"] == "got_up"]
    assert [e["at"] for e in got_up_entries] == [today["got_up_at"]]


def test_got_up_is_not_known_before_she_is_up_nor_from_a_day_begun_after_her_night():
    config = make_home(HOME, devices=DEVICES)
    readings = as_readings(morning_readings())
    assert got_up(config, readings, DAY, until=at(0, "12:00").timestamp()) is None
    assert got_up(config, readings, DAY) == at(0, "12:30").timestamp()
    # Readings that begin after her night: nothing says when she got up, which is not
    # "not up yet" (a page must tell the two apart).
    later = [r for r in readings if r.epoch >= at(0, "12:00").timestamp()]
    assert got_up(config, later, DAY) is None
    assert morning(config, later, DAY) == Morning(up_at=None, known=False)
    before = morning(config, readings, DAY, until=at(0, "12:00").timestamp())
    assert before == Morning(up_at=None, known=True)
    assert morning(config, [], DAY) == Morning(up_at=None, known=False)
    # The page asked late in the evening, the clock past tonight's start: still nothing to
    # tell, with no reading or with readings only from this evening (was "not up yet" after
    # 22:30, the config's night).
    late = at(0, "23:10").timestamp()
    assert morning(config, [], DAY, until=late) == Morning(up_at=None, known=False)
    evening = [r for r in readings if r.epoch >= at(0, "12:00").timestamp()]
    evening = [Reading(**{**r.model_dump(), "ts": r.epoch + 10 * 3600}) for r in evening]
    assert morning(config, evening, DAY, until=late) == Morning(up_at=None, known=False)


async def test_the_page_is_told_when_nothing_says_whether_she_got_up(mosquitto, tmp_path):
    # Monitoring began in her morning (a new home; the demo's first day): the hub's today
    # says it cannot tell, not that she is still in bed.
    config = home_config(HOME, devices=DEVICES)
    rows = [row for row in morning_readings() if row["ts"] >= at(0, "12:00").isoformat()]
    today = await hubs_today(mosquitto, tmp_path, config, rows)
    assert today["got_up_at"] is None and today["got_up_known"] is False
    assert today["last_activity"] is not None  # she was seen: only her morning is unknown


def test_an_arm_moving_in_bed_is_not_getting_up_so_the_hub_needs_no_accelerometer():
    # Raw accelerometer batches never leave the home: the hub replays without them. Her
    # bracelet seeing her arm move in bed at seven is life, not getting up, so the edge's
    # model and the hub's agree.
    config = make_home(HOME, devices=DEVICES)
    readings = as_readings(morning_readings())
    turning = [
        Reading(
            ts=at(0, "07:00", k),
            home=HOME,
            device="band",
            metric="accel",
            value=[[0.0, 0.0, 1.0], [1.2, 0.5, 0.9], [0.0, 0.1, 1.0]],
            rate_hz=1,
        )
        for k in (0, 90, 180)
    ]
    at_the_edge = what_the_detectors_decide(config, sorted(readings + turning, key=_epoch))
    assert at_the_edge == (at(0, "12:30").timestamp(), "12:30")
    assert got_up(config, readings, DAY) == at(0, "12:30").timestamp()


def _epoch(reading: Reading) -> float:
    return reading.epoch
