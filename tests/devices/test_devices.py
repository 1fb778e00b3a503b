"""Decoding every catalog device, and every kind of bad input the codec must refuse."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from devices import MAX_PAYLOAD_BYTES, PayloadError, catalog, decode
from tests.support.factories import BAND, device, make_home

NOW = datetime(2026, 11, 29, 7, 31, 5, tzinfo=UTC)

HOME = make_home(
    station="st-yingzhou-01",
    devices=[
        device("front_door", "door", "front_door", "zigbee2mqtt:entrance", "MCCGQ11LM"),
        device("bathroom_door", "door", "bathroom_door", "zigbee2mqtt:bathroom", "SNZB-04"),
        device("motion_living", "motion", "living_room", "zigbee2mqtt:pir", "RTCGQ11LM"),
        device("radar_tuya", "fall_radar", "bathroom", "zigbee2mqtt:radar1", "MIR-HE200-TY"),
        device("radar_heiman", "fall_radar", "bedroom", "zigbee2mqtt:radar2", "HS2FD-EF1-3.0"),
        device("radar_owon", "fall_radar", "living_room", "zigbee2mqtt:radar3", "FDS315"),
        device("sos_tuya", "sos_button", "bedside", "zigbee2mqtt:sos1", "TS0215A_sos"),
        device("sos_heiman", "sos_button", "bathroom", "zigbee2mqtt:sos2", "HS1EB"),
        device("sos_feibit", "sos_button", "kitchen", "zigbee2mqtt:sos3", "SEB01ZB"),
        device("presence_aqara", "presence", "living_room", "zigbee2mqtt:fp1e", "FP1E"),
        device("presence_tuya", "presence", "bedroom", "zigbee2mqtt:zy-m100", "ZY-M100-S_1"),
        device("chair_mat", "presence", "chair", "zigbee2mqtt:chair", "C3007"),
        device("bed_strap", "presence", "bed", "zigbee2mqtt:bed", "TS0601_bed_presence_sensor"),
        device("bed_sensor", "presence", "bed", "native"),
        device("kettle", "appliance", "kitchen", "zigbee2mqtt:kettle", "TS011F_plug_1"),
        device("rice_cooker", "appliance", "kitchen", "zigbee2mqtt:outlet", "E1603/E1702/E1708"),
        BAND,
        device("pendant", "fall_pendant", "waist", "native"),
        device("unmodelled_radar", "fall_radar", "bedroom", "zigbee2mqtt:radar4"),
    ],
)


def readings_of(topic: str, payload: object) -> list[tuple[str, str, object]]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    decoded = decode(topic, body, HOME, received_at=NOW)
    assert decoded.rejected == ()
    return [(r.device, r.metric, r.value) for r in decoded.readings]


# One case per catalog model: a real payload shape and the readings it must give.
CATALOG_CASES = {
    "MCCGQ11LM": (
        "zigbee2mqtt/entrance",
        {
            "battery": 100,
            "contact": True,
            "device_temperature": 25,
            "linkquality": 120,
            "power_outage_count": 3,
            "voltage": 3005,
        },
        [("front_door", "contact", "closed"), ("front_door", "battery", 100.0)],
    ),
    "SNZB-04": (
        "zigbee2mqtt/bathroom",
        {"contact": False, "battery_low": False, "tamper": False, "battery": 87, "voltage": 2900},
        [("bathroom_door", "contact", "open"), ("bathroom_door", "battery", 87.0)],
    ),
    "RTCGQ11LM": (
        "zigbee2mqtt/pir",
        {"occupancy": True, "battery": 91, "illuminance": 12, "linkquality": 80},
        [("motion_living", "motion", True), ("motion_living", "battery", 91.0)],
    ),
    "MIR-HE200-TY": (
        "zigbee2mqtt/radar1",
        {
            "presence": True,
            "occupancy": True,
            "fall_down_status": "maybe_fall",
            "motion_direction": "standing_still",
            "linkquality": 140,
        },
        [("radar_tuya", "presence", True), ("radar_tuya", "fall_state", "suspected")],
    ),
    "HS2FD-EF1-3.0": (
        "zigbee2mqtt/radar2",
        {"occupancy": True, "sensor_status": "activity", "fall_status": "fall_alarm"},
        [("radar_heiman", "presence", True), ("radar_heiman", "fall_state", "fall")],
    ),
    "FDS315": (
        "zigbee2mqtt/radar3",
        {"status": "falling", "breathing_rate": 16, "location_x": 120, "location_y": 80},
        [
            ("radar_owon", "fall_state", "fall"),
            ("radar_owon", "presence", True),
            ("radar_owon", "breathing_rate", 16.0),
        ],
    ),
    "FP1E": (
        "zigbee2mqtt/fp1e",
        {
            "presence": True,
            "movement": "no_movement",
            "target_distance": 2.3,
            "device_temperature": 31,
            "power_outage_count": 2,
            "linkquality": 150,
        },
        [("presence_aqara", "presence", True)],
    ),
    "ZY-M100-S_1": (
        "zigbee2mqtt/zy-m100",
        {"presence": False, "illuminance": 85, "target_distance": 0, "fading_time": 30},
        [("presence_tuya", "presence", False)],
    ),
    "C3007": (
        "zigbee2mqtt/chair",
        {"pressure": True, "battery_low": False, "battery": 92, "voltage": 2950},
        [("chair_mat", "presence", True), ("chair_mat", "battery", 92.0)],
    ),
    "TS0601_bed_presence_sensor": (
        "zigbee2mqtt/bed",
        {"occupancy": True, "battery": 76, "illuminance": 1830, "work_state": "presence"},
        [("bed_strap", "presence", True), ("bed_strap", "battery", 76.0)],
    ),
    "native-bed-sensor": (
        "eldercare/v1/h001/dev/bed_sensor/up",
        {"ts": NOW.timestamp(), "in_bed": True, "heart_rate": 58, "breathing_rate": 14},
        [
            ("bed_sensor", "presence", True),
            ("bed_sensor", "heart_rate", 58.0),
            ("bed_sensor", "breathing_rate", 14.0),
        ],
    ),
    "TS011F_plug_1": (
        "zigbee2mqtt/kettle",
        {
            "state": "ON",
            "power": 1832.5,
            "current": 7.96,
            "voltage": 230.1,
            "energy": 12.87,
            "power_outage_memory": "restore",
        },
        [("kettle", "in_use", True)],
    ),
    "E1603/E1702/E1708": (
        "zigbee2mqtt/outlet",
        {"state": "OFF", "power_on_behavior": "previous", "linkquality": 98},
        [("rice_cooker", "in_use", False)],
    ),
    "TS0215A_sos": (
        "zigbee2mqtt/sos1",
        {"action": "emergency", "battery": 64, "voltage": 2800, "linkquality": 90},
        [("sos_tuya", "sos", True), ("sos_tuya", "battery", 64.0)],
    ),
    "HS1EB": (
        "zigbee2mqtt/sos2",
        {"action": "single", "battery": 55},
        [("sos_heiman", "sos", True), ("sos_heiman", "battery", 55.0)],
    ),
    "SEB01ZB": (
        "zigbee2mqtt/sos3",
        {"sos": True, "battery_low": False, "tamper": False, "battery": 100},
        [("sos_feibit", "sos", True), ("sos_feibit", "battery", 100.0)],
    ),
    "native-bracelet": (
        "eldercare/v1/h001/dev/band/up",
        {
            "ts": NOW.timestamp(),
            "heart_rate": 72,
            "spo2": 97,
            "skin_temp": 34.5,
            "steps": 1234,
            "worn": True,
            "battery": 80,
            "sos": True,
            "fall": False,
        },
        [
            ("band", "heart_rate", 72.0),
            ("band", "spo2", 97.0),
            ("band", "skin_temp", 34.5),
            ("band", "steps", 1234.0),
            ("band", "worn", True),
            ("band", "battery", 80.0),
            ("band", "sos", True),
            ("band", "fall_state", "none"),
        ],
    ),
    "native-fall-pendant": (
        "eldercare/v1/h001/dev/pendant/up",
        {"ts": NOW.isoformat(), "fall": True, "battery": 45, "worn": True},
        [
            ("pendant", "fall_state", "fall"),
            ("pendant", "battery", 45.0),
            ("pendant", "worn", True),
        ],
    ),
}


def test_every_catalog_model_has_a_decoding_case():
    assert {d.model for d in catalog()} == set(CATALOG_CASES)


@pytest.mark.parametrize("model", sorted(CATALOG_CASES))
def test_catalog_model_decodes_to_canonical_readings(model):
    topic, payload, expected = CATALOG_CASES[model]
    assert readings_of(topic, payload) == expected


def test_zigbee2mqtt_contact_true_means_closed_and_false_means_open():
    assert readings_of("zigbee2mqtt/entrance", {"contact": True}) == [
        ("front_door", "contact", "closed")
    ]
    assert readings_of("zigbee2mqtt/entrance", {"contact": False}) == [
        ("front_door", "contact", "open")
    ]


def test_zigbee2mqtt_readings_take_the_arrival_time_and_native_their_own():
    zigbee = decode("zigbee2mqtt/entrance", b'{"contact": false}', HOME, received_at=NOW)
    assert zigbee.readings[0].ts == NOW
    earlier = NOW - timedelta(seconds=40)
    native = decode(
        "eldercare/v1/h001/dev/band/up",
        json.dumps({"ts": earlier.timestamp(), "heart_rate": 70}).encode(),
        HOME,
        received_at=NOW,
    )
    assert native.readings[0].ts == earlier


def test_model_is_found_from_the_payload_when_the_config_names_none():
    assert readings_of("zigbee2mqtt/radar4", {"fall_status": "fall_warning"}) == [
        ("unmodelled_radar", "fall_state", "suspected")
    ]
    assert readings_of("zigbee2mqtt/radar4", {"fall_down_status": "fall"}) == [
        ("unmodelled_radar", "fall_state", "fall")
    ]


def test_button_reset_and_release_messages_are_not_presses():
    assert readings_of("zigbee2mqtt/sos1", {"action": ""}) == []
    assert readings_of("zigbee2mqtt/sos3", {"sos": False, "battery": 99}) == [
        ("sos_feibit", "battery", 99.0)
    ]


def test_accelerometer_batch_becomes_one_reading_with_its_rate():
    samples = [[0.01, -0.02, 0.98], [0.0, 0.0, 1.0], [2.5, 1.0, 3.1]]
    decoded = decode(
        "eldercare/v1/h001/dev/pendant/up",
        json.dumps({"ts": NOW.timestamp(), "accel": {"rate_hz": 50, "samples": samples}}),
        HOME,
        received_at=NOW,
    )
    (reading,) = decoded.readings
    assert reading.metric == "accel" and reading.rate_hz == 50
    assert [list(sample) for sample in reading.value] == samples


def test_zigbee2mqtt_bridge_and_availability_topics_give_no_readings():
    for topic in ("zigbee2mqtt/bridge/state", "zigbee2mqtt/entrance/availability"):
        decoded = decode(topic, b'{"state": "online"}', HOME, received_at=NOW)
        assert decoded.readings == () and decoded.rejected == ()


# --- bad input: whole payloads refused with a precise problem code -------------------

WHOLE_PAYLOAD_PROBLEMS = [
    ("malformed_json", "zigbee2mqtt/entrance", b'{"contact": tru'),
    ("malformed_json", "eldercare/v1/h001/dev/band/up", b'{"ts": 1, "steps": ' + b"9" * 400 + b"}"),
    ("malformed_json", "eldercare/v1/h001/dev/band/up", b'{"ts": ' + b"[" * 40 + b"]" * 40 + b"}"),
    ("malformed_json", "zigbee2mqtt/entrance", b"\xff\xfe not utf-8"),
    ("wrong_type", "zigbee2mqtt/entrance", b'["contact", true]'),
    ("wrong_type", "zigbee2mqtt/entrance", b'"closed"'),
    ("unknown_device", "zigbee2mqtt/garage", b'{"contact": true}'),
    ("unknown_device", "eldercare/v1/h001/dev/watch/up", b'{"ts": 1}'),
    ("unknown_device", "eldercare/v1/h001/dev/front_door/up", b'{"ts": 1}'),
    ("unknown_home", "eldercare/v1/h999/dev/band/up", b'{"ts": 1}'),
    ("unknown_topic", "somewhere/else", b"{}"),
    ("bad_timestamp", "eldercare/v1/h001/dev/band/up", b'{"heart_rate": 70}'),
    ("bad_timestamp", "eldercare/v1/h001/dev/band/up", b'{"ts": "yesterday"}'),
    ("bad_timestamp", "eldercare/v1/h001/dev/band/up", b'{"ts": "2026-11-29T07:31:05"}'),
    ("bad_timestamp", "eldercare/v1/h001/dev/band/up", b'{"ts": true}'),
]


@pytest.mark.parametrize(("problem", "topic", "payload"), WHOLE_PAYLOAD_PROBLEMS)
def test_unusable_payload_raises_payload_error_with_context(problem, topic, payload):
    with pytest.raises(PayloadError) as caught:
        decode(topic, payload, HOME, received_at=NOW)
    error = caught.value
    assert error.problem == problem
    assert error.topic == topic
    assert topic in str(error) and problem in str(error)


def test_unknown_device_error_names_the_device_and_home():
    with pytest.raises(PayloadError) as caught:
        decode("eldercare/v1/h001/dev/watch/up", b'{"ts": 1}', HOME, received_at=NOW)
    assert caught.value.device == "watch" and caught.value.home == "h001"


def test_oversized_payload_is_refused_before_parsing():
    payload = b'{"pad": "' + b"x" * MAX_PAYLOAD_BYTES + b'"}'
    with pytest.raises(PayloadError) as caught:
        decode("zigbee2mqtt/entrance", payload, HOME, received_at=NOW)
    assert caught.value.problem == "oversized"


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [
        (timedelta(minutes=4), True),
        (timedelta(minutes=6), False),  # device clock ahead
        (-timedelta(hours=23), True),  # buffered while out of range
        (-timedelta(hours=25), False),
        (-timedelta(days=20000), False),  # epoch zero: clock never set
    ],
)
def test_device_timestamps_far_from_arrival_are_refused(offset, accepted):
    payload = json.dumps({"ts": (NOW + offset).timestamp(), "heart_rate": 70}).encode()
    if accepted:
        decoded = decode("eldercare/v1/h001/dev/band/up", payload, HOME, received_at=NOW)
        assert [r.value for r in decoded.readings] == [70.0]
    else:
        with pytest.raises(PayloadError) as caught:
            decode("eldercare/v1/h001/dev/band/up", payload, HOME, received_at=NOW)
        assert caught.value.problem == "bad_timestamp"


# --- bad values: refused one by one, the rest of the payload still delivered ----------

BAD_VALUES = [
    ("heart_rate", 300, "out_of_range"),
    ("heart_rate", -5, "out_of_range"),
    ("heart_rate", 0, "no_data"),  # optical sensor off the wrist
    ("spo2", 101, "out_of_range"),
    ("spo2", 0, "no_data"),
    ("heart_rate", "72", "wrong_type"),
    ("heart_rate", True, "wrong_type"),
    ("battery", 140, "out_of_range"),
    ("skin_temp", None, "no_data"),
    ("worn", "yes", "wrong_type"),
    ("fall", "maybe", "unexpected_value"),
    ("accel", {"rate_hz": 50, "samples": [[0, 0, 1], [0, "x", 1]]}, "wrong_type"),
    ("accel", {"rate_hz": 50, "samples": [[0, 0, 1], [0, 99, 1]]}, "out_of_range"),
    ("accel", {"samples": [[0, 0, 1]]}, "wrong_type"),
]


@pytest.mark.parametrize(("field", "value", "problem"), BAD_VALUES)
def test_bad_value_is_refused_and_the_rest_of_the_payload_kept(field, value, problem):
    body = {"ts": NOW.timestamp(), "steps": 4321, field: value}
    decoded = decode(
        "eldercare/v1/h001/dev/band/up", json.dumps(body).encode(), HOME, received_at=NOW
    )
    assert [(r.metric, r.value) for r in decoded.readings] == [("steps", 4321.0)]
    (refused,) = decoded.rejected
    assert (refused.problem, refused.field, refused.device) == (problem, field, "band")


@pytest.mark.parametrize("number", [b"1e309", b"NaN", b"-Infinity"])
def test_a_value_that_is_not_a_finite_number_is_no_data_and_the_rest_kept(number):
    # 1e309 is valid JSON that reads as infinity; NaN and Infinity are what devices write.
    payload = b'{"ts": %d, "steps": 4321, "heart_rate": %s}' % (NOW.timestamp(), number)
    decoded = decode("eldercare/v1/h001/dev/band/up", payload, HOME, received_at=NOW)
    assert [r.metric for r in decoded.readings] == ["steps"]
    assert [(e.problem, e.field) for e in decoded.rejected] == [("no_data", "heart_rate")]


def test_zigbee_values_of_the_wrong_type_are_refused_not_coerced():
    decoded = decode(
        "zigbee2mqtt/entrance", b'{"contact": 1, "battery": 50}', HOME, received_at=NOW
    )
    assert [(r.metric, r.value) for r in decoded.readings] == [("battery", 50.0)]
    assert decoded.rejected[0].problem == "unexpected_value"
    unknown_status = decode(
        "zigbee2mqtt/radar2", b'{"fall_status": "exploded"}', HOME, received_at=NOW
    )
    assert unknown_status.readings == ()
    assert unknown_status.rejected[0].problem == "unexpected_value"


def test_heiman_unknown_fall_status_is_no_reading_rather_than_no_fall():
    assert readings_of("zigbee2mqtt/radar2", {"fall_status": "unknown"}) == []


# --- derived levels: an appliance is in use while its plug draws power -------------------


@pytest.mark.parametrize(
    ("watts", "in_use"),
    [(1832.5, True), (64, True), (5.5, True), (5, False), (0.4, False), (0, False)],
)
def test_a_plug_draws_power_above_its_threshold_while_the_appliance_is_in_use(watts, in_use):
    # The plug itself stays ON all day: its state says nothing about the kettle.
    payload = {"state": "ON", "power": watts, "voltage": 230.1}
    assert readings_of("zigbee2mqtt/kettle", payload) == [("kettle", "in_use", in_use)]


@pytest.mark.parametrize("watts", ["1500", True, [1500], {"W": 1500}])
def test_a_power_that_is_not_a_number_is_refused_not_read_as_in_use(watts):
    decoded = decode(
        "zigbee2mqtt/kettle", json.dumps({"power": watts}).encode(), HOME, received_at=NOW
    )
    assert decoded.readings == ()
    (refused,) = decoded.rejected
    assert (refused.problem, refused.field, refused.device) == ("wrong_type", "power", "kettle")


def test_a_plug_without_metering_reports_in_use_from_its_switch():
    assert readings_of("zigbee2mqtt/outlet", {"state": "ON"}) == [("rice_cooker", "in_use", True)]
    with pytest.raises(AssertionError):
        readings_of("zigbee2mqtt/outlet", {"state": "on"})  # Zigbee2MQTT writes ON / OFF


def test_a_bed_sensor_with_nobody_on_it_reports_no_vitals_rather_than_zero():
    body = {"ts": NOW.timestamp(), "in_bed": False, "heart_rate": 0, "breathing_rate": 0}
    decoded = decode(
        "eldercare/v1/h001/dev/bed_sensor/up", json.dumps(body).encode(), HOME, received_at=NOW
    )
    assert [(r.metric, r.value) for r in decoded.readings] == [("presence", False)]
    assert sorted(e.problem for e in decoded.rejected) == ["no_data", "no_data"]


def test_a_threshold_needs_a_true_false_metric_and_no_map():
    from pydantic import ValidationError

    from devices import Expose

    with pytest.raises(ValidationError, match="true/false metric"):
        Expose(property="power", metric="heart_rate", above=5)
    with pytest.raises(ValidationError, match="not both"):
        Expose(property="power", metric="in_use", above=5, map={1: True})
