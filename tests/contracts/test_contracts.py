"""The shared contracts: home config and canonical readings (JSON Lines)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, time, timedelta, timezone

import pytest
from pydantic import ValidationError

from contracts import HomeConfig, HomeConfigError, Reading, ReadingError, read_jsonl, write_jsonl

ARCHITECTURE_EXAMPLE = """
home: h001
station: st-yingzhou-01
timezone: Asia/Shanghai
resident: {name: 王秀英, birth_year: 1942, lives_alone: true}
night: {start: "22:30", end: "06:00"}
devices:
  - {id: front_door,    kind: door,       role: front_door,    source: "zigbee2mqtt:entrance"}
  - {id: bathroom_door, kind: door,       role: bathroom_door, source: "zigbee2mqtt:bathroom"}
  - {id: radar_bath,    kind: fall_radar, role: bathroom,      source: "zigbee2mqtt:radar1"}
  - {id: band,          kind: bracelet,   role: wrist,         source: native}
  - {id: sos_bed,       kind: sos_button, role: bedside,       source: "zigbee2mqtt:sos"}
contacts:
  - {name: 李明, relation: son, notify: [app, sms]}
"""


def test_the_architecture_example_home_config_parses():
    home = HomeConfig.parse(ARCHITECTURE_EXAMPLE)
    assert home.resident.name == "王秀英"
    assert home.night.start == time(22, 30)
    assert home.device_for_zigbee("radar1").id == "radar_bath"
    assert home.device("band").source == "native"
    assert home.contacts[0].notify == ("app", "sms")


def test_home_config_round_trips_through_json_and_yaml():
    home = HomeConfig.parse(ARCHITECTURE_EXAMPLE)
    assert HomeConfig.parse(home.to_json()) == home
    assert HomeConfig.parse(home.to_yaml()) == home


def test_night_spans_midnight():
    night = HomeConfig.parse(ARCHITECTURE_EXAMPLE).night
    assert night.contains(time(23, 0)) and night.contains(time(3, 0))
    assert not night.contains(time(12, 0)) and not night.contains(time(6, 0))


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (("timezone: Asia/Shanghai", "timezone: Mars/Olympus"), "unknown time zone"),
        (("source: native}", 'source: "mqtt:band"}'), "source must be"),
        (("id: bathroom_door", "id: front_door"), "two devices share the id 'front_door'"),
        (("kind: fall_radar", "kind: toaster"), "devices.2.kind"),
        (("role: bathroom,", "role: bathrom,"), "devices.2.role: unknown role"),
        (("role: bathroom,", "role: bathrom,"), "did you mean 'bathroom'?"),
        (("role: bathroom,", "role: Hallway,"), "neither a known role"),
        (("birth_year: 1942", "birth_year: 1642"), "resident.birth_year"),
        (("birth_year: 1942", "birth_year: 1642"), "(got 1642)"),
        (("home: h001", "home: h/001"), "home"),
    ],
)
def test_invalid_home_config_is_refused_with_the_reason(change, words):
    with pytest.raises(HomeConfigError) as caught:
        HomeConfig.parse(ARCHITECTURE_EXAMPLE.replace(*change), source="h001.yaml")
    assert words in str(caught.value)
    assert "h001.yaml" in str(caught.value)


@pytest.mark.parametrize("room", ["hall", "study", "dining_room", "stairs"])
def test_a_sensor_in_a_room_of_another_name_is_part_of_the_home(room):
    """Homes have halls and studies: a role the detectors do not know by name is the room
    it names, not a reason to refuse the whole home."""
    home = HomeConfig.parse(ARCHITECTURE_EXAMPLE.replace("role: bathroom,", f"role: {room},"))
    assert home.device("radar_bath").role == room and home.device("radar_bath").other_room
    assert not home.device("front_door").other_room
    assert HomeConfig.parse(home.to_yaml()) == home


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("bathrom", "bathroom"),
        ("Bathroom", "bathroom"),
        ("front door", "front_door"),
        ("toilett", "toilet"),
        ("bedroom2", "bedroom"),
        ("kitchn", "kitchen"),
    ],
)
def test_a_role_one_slip_from_a_known_one_is_refused_as_a_typo(typo, meant):
    # Taken as a room of its own, it would quietly lose what the detectors infer there.
    with pytest.raises(HomeConfigError, match=f"did you mean '{meant}'"):
        HomeConfig.parse(ARCHITECTURE_EXAMPLE.replace("role: bathroom,", f'role: "{typo}",'))


def test_occupancy_and_appliance_sensors_with_their_roles_are_part_of_a_home():
    home = HomeConfig.parse(
        ARCHITECTURE_EXAMPLE.replace(
            "contacts:",
            "  - {id: bed_mat, kind: presence, role: bed, source: native}\n"
            "  - {id: seat_mat, kind: presence, role: chair, source: native}\n"
            "  - {id: mmwave, kind: presence, role: living_room, source: native}\n"
            "  - {id: kettle, kind: appliance, role: kitchen, source: native}\n"
            "  - {id: flush, kind: door, role: toilet, source: native}\n"
            "contacts:",
        )
    )
    assert home.device("bed_mat").kind == "presence" and home.device("bed_mat").role == "bed"
    assert home.device("kettle").kind == "appliance"
    on = Reading(ts=1, home="h001", device="kettle", metric="in_use", value=True)
    assert on.value is True
    with pytest.raises(ValidationError):
        Reading(ts=1, home="h001", device="kettle", metric="in_use", value=1500)  # watts


def test_home_config_that_is_not_a_mapping_or_not_yaml_is_refused():
    with pytest.raises(HomeConfigError, match="mapping"):
        HomeConfig.parse("- just\n- a list\n")
    with pytest.raises(HomeConfigError, match="not valid YAML"):
        HomeConfig.parse("home: [unclosed")


def test_reading_accepts_iso_with_offset_and_epoch_seconds():
    iso = Reading.model_validate_json(
        '{"ts": "2026-11-29T07:31:05.120+08:00", "home": "h001", "device": "front_door",'
        ' "metric": "contact", "value": "open"}'
    )
    assert iso.ts.utcoffset() == timedelta(hours=8)
    epoch = Reading(ts=iso.epoch, home="h001", device="front_door", metric="contact", value="open")
    assert epoch.ts == iso.ts and epoch.ts.tzinfo is not None


@pytest.mark.parametrize(
    "fields",
    [
        {"ts": "2026-11-29T07:31:05"},  # no offset: ambiguous local time
        {"metric": "heart_rate", "value": 0},
        {"metric": "heart_rate", "value": 300},
        {"metric": "spo2", "value": 100.5},
        {"metric": "contact", "value": True},
        {"metric": "blood_sugar", "value": 5.4},
        {"metric": "accel", "value": [[0, 0, 1]]},  # batch without rate_hz
        {"rate_hz": 50.0},  # rate on a non-batch reading
        {"extra": 1},
    ],
)
def test_reading_refuses_what_is_not_a_measurement(fields):
    base = {"ts": 1, "home": "h001", "device": "band", "metric": "heart_rate", "value": 70}
    with pytest.raises(ValidationError):
        Reading.model_validate({**base, **fields})


def test_readings_round_trip_through_json_lines():
    cst = timezone(timedelta(hours=8))
    readings = [
        Reading(
            ts=datetime(2026, 11, 29, 7, 31, 5, 120000, tzinfo=cst),
            home="h001",
            device="front_door",
            metric="contact",
            value="open",
        ),
        Reading(
            ts=datetime(2026, 11, 29, 7, 32, tzinfo=UTC),
            home="h001",
            device="band",
            metric="accel",
            value=[[0.0, 0.1, 0.98], [0.0, 0.0, 1.0]],
            rate_hz=50,
        ),
    ]
    buffer = io.StringIO()
    assert write_jsonl(readings, buffer) == 2
    buffer.seek(0)
    assert list(read_jsonl(buffer)) == readings


def test_a_bad_line_names_file_and_line_and_can_be_skipped(tmp_path):
    path = tmp_path / "readings.jsonl"
    good = '{"ts": 1, "home": "h001", "device": "band", "metric": "heart_rate", "value": 70}'
    path.write_text(f"{good}\n{{broken\n\n{good.replace('70', '300')}\n{good}\n")
    with pytest.raises(ReadingError) as caught:
        list(read_jsonl(path))
    assert caught.value.line == 2 and str(path) in str(caught.value)

    refused: list[ReadingError] = []
    kept = list(read_jsonl(path, on_error=refused.append))
    assert len(kept) == 2
    assert [error.line for error in refused] == [2, 4]
    assert "above valid range" in refused[1].reason


def test_an_announced_absence_travels_with_the_config_and_says_when_it_applies():
    home = HomeConfig.parse(ARCHITECTURE_EXAMPLE)
    away = {"start": "2026-12-01T09:00:00+08:00", "end": "2026-12-06T18:00:00+08:00",
            "note": "在合肥女儿家", "by": "li.ming"}  # fmt: skip
    home = HomeConfig.model_validate({**home.model_dump(), "away": [away]})
    assert HomeConfig.parse(home.to_json()) == home == HomeConfig.parse(home.to_yaml())
    start, end = (datetime.fromisoformat(away[k]).timestamp() for k in ("start", "end"))
    assert home.away_at(start) == home.away[0] and home.away_at(end - 1) == home.away[0]
    assert home.away_at(start - 1) is None and home.away_at(end) is None


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        ("2026-12-06T18:00:00+08:00", "2026-12-01T09:00:00+08:00", "must end after it starts"),
        ("2026-12-01T09:00:00+08:00", "2027-06-01T09:00:00+08:00", "92 days at most"),
        ("2026-12-01T09:00:00", "2026-12-06T18:00:00+08:00", "timezone"),
    ],
)
def test_an_absence_that_cannot_be_is_refused_with_the_reason(start, end, words):
    document = {**HomeConfig.parse(ARCHITECTURE_EXAMPLE).model_dump(mode="json")}
    document["away"] = [{"start": start, "end": end}]
    with pytest.raises(HomeConfigError, match=words):
        HomeConfig.parse(json.dumps(document))
