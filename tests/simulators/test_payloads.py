"""simulators.payloads (encode, the inverse of devices.decode), the codec's use of
Zigbee2MQTT ``last_seen``, and simulators.faults."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contracts.home import HomeConfig
from contracts.reading import Reading
from devices import ClockLimits, PayloadError, catalog, decode
from devices.catalog import DeviceDefinition, definitions_for
from simulators.errors import EncodeError
from simulators.faults import (
    EXPECTED_PROBLEMS,
    FAULT_KINDS,
    FaultRecord,
    inject_faults,
)
from simulators.payloads import DeviceMessage, encode
from tests.support import factories
from tests.support.factories import make_home

TS = datetime(2026, 11, 29, 7, 31, 5, 120000, tzinfo=UTC)


def _device_id(model: str) -> str:
    return "d_" + re.sub(r"[^A-Za-z0-9]", "_", model)


def _home(devices: list[dict[str, Any]]) -> HomeConfig:
    return make_home(devices=devices)


def _device(spec: DeviceDefinition, *, with_model: bool = True) -> dict[str, Any]:
    device_id = _device_id(spec.model)
    return {
        "id": device_id,
        "kind": spec.kind,
        "role": "bedside",
        "source": "native" if spec.source == "native" else f"zigbee2mqtt:{device_id}-zb",
        **({"model": spec.model} if with_model else {}),
    }


HOME = _home([_device(spec) for spec in catalog()])

# Payload values a real device sends for a metric reported as-is (no map).
_PLAIN_SAMPLES: dict[str, list[Any]] = {
    "heart_rate": [72, 58.5],
    "spo2": [97, 100],
    "skin_temp": [33.25],
    "steps": [0, 4321],
    "worn": [True, False],
    "battery": [100, 3],
    "presence": [True, False],
    "motion": [True, False],
    "breathing_rate": [14, 22.5],
    "accel": [[0.01, -0.02, 0.98], {"rate_hz": 50, "samples": [[0.0, 0.1, 1.0], [1.5, -2.5, 3]]}],
}


def _payload_samples(spec: DeviceDefinition) -> list[dict[str, Any]]:
    """One payload per value each property can take, and one with every property."""
    per_property: dict[str, list[Any]] = {}
    for expose in spec.exposes:
        if expose.map is not None:
            values = [raw for raw, value in expose.map.items() if value is not None]
        elif expose.above is not None:
            values = [expose.above * 300, expose.above / 10]  # a kettle on; a plug on standby
        else:
            values = _PLAIN_SAMPLES[expose.metric]
        per_property.setdefault(expose.property, values)
    singles = [{prop: value} for prop, values in per_property.items() for value in values]
    return [*singles, {prop: values[0] for prop, values in per_property.items()}]


def _decode_messages(
    messages: list[DeviceMessage], home: HomeConfig = HOME, **kwargs: Any
) -> list[Reading]:
    readings: list[Reading] = []
    for message in messages:
        decoded = decode(message.topic, message.payload, home, received_at=message.ts, **kwargs)
        assert decoded.rejected == ()
        readings.extend(decoded.readings)
    return readings


def _key(reading: Reading) -> tuple[Any, ...]:
    return (reading.ts, reading.device, reading.metric, reading.value, reading.rate_hz)


@pytest.mark.parametrize("spec", catalog(), ids=lambda spec: spec.model)
def test_encode_then_decode_gives_back_the_readings_for_every_model(spec: DeviceDefinition):
    device = HOME.device(_device_id(spec.model))
    assert device is not None
    topic = (
        f"eldercare/v1/h001/dev/{device.id}/up"
        if spec.source == "native"
        else f"zigbee2mqtt/{device.zigbee_name}"
    )
    for offset, sample in enumerate(_payload_samples(spec)):
        ts = TS + timedelta(seconds=offset)
        body = {"ts": ts.timestamp(), **sample} if spec.source == "native" else sample
        original = decode(topic, json.dumps(body), HOME, received_at=ts)
        assert original.readings, sample
        messages = encode(original.readings, HOME)
        assert len(messages) == 1, "readings of one device at one instant are one message"
        assert messages[0].topic == topic
        assert messages[0].ts == ts
        # Arriving a minute late must not move the event: the payload carries its time.
        late = ts + timedelta(minutes=1)
        decoded = decode(topic, messages[0].payload, HOME, received_at=late)
        assert decoded.rejected == ()
        assert Counter(map(_key, decoded.readings)) == Counter(map(_key, original.readings))


@pytest.mark.parametrize(
    ("kind", "source"),
    sorted({(spec.kind, spec.source) for spec in catalog()}),
    ids=lambda value: str(value),
)
def test_a_device_without_a_model_round_trips_through_the_first_definition_of_its_kind(
    kind: str, source: str
):
    # decode guesses the model from the payload keys; encode must send keys it guesses right.
    spec = definitions_for(kind, source)[0]
    home = _home([_device(spec, with_model=False)])
    device = home.devices[0]
    topic = (
        f"eldercare/v1/h001/dev/{device.id}/up"
        if source == "native"
        else f"zigbee2mqtt/{device.zigbee_name}"
    )
    for offset, sample in enumerate(_payload_samples(spec)):
        ts = TS + timedelta(seconds=offset)
        body = {"ts": ts.timestamp(), **sample} if source == "native" else sample
        original = decode(topic, json.dumps(body), home, received_at=ts).readings
        decoded = _decode_messages(encode(original, home), home)
        assert Counter(map(_key, decoded)) == Counter(map(_key, original))


def _reading(device: str, metric: str, value: Any, ts: datetime = TS, **extra: Any) -> Reading:
    return factories.reading(ts, device, metric, value, **extra)


@pytest.mark.parametrize(
    ("model", "metric", "value", "payload"),
    [
        ("MCCGQ11LM", "contact", "closed", {"contact": True}),
        ("MCCGQ11LM", "contact", "open", {"contact": False}),
        ("MIR-HE200-TY", "fall_state", "fall", {"fall_down_status": "fall"}),
        ("MIR-HE200-TY", "fall_state", "suspected", {"fall_down_status": "maybe_fall"}),
        ("HS2FD-EF1-3.0", "fall_state", "fall", {"fall_status": "fall_alarm"}),
        ("FDS315", "fall_state", "fall", {"status": "falling"}),
        ("TS0215A_sos", "sos", True, {"action": "emergency"}),
        ("HS1EB", "sos", True, {"action": "single"}),
        ("SEB01ZB", "sos", True, {"sos": True}),
    ],
)
def test_zigbee2mqtt_payloads_have_the_real_shape(model, metric, value, payload):
    device = _device_id(model)
    (message,) = encode([_reading(device, metric, value)], HOME)
    body = json.loads(message.payload)
    assert message.topic == f"zigbee2mqtt/{device}-zb"
    assert {k: v for k, v in body.items() if k in payload} == payload
    assert 0 <= body["linkquality"] <= 255
    assert body["last_seen"] == "2026-11-29T15:31:05.120+08:00"  # ISO 8601, home's offset
    assert message.qos == 1, "events go at QoS 1"


def test_a_metering_plug_reports_watts_on_the_right_side_of_its_threshold():
    device = _device_id("TS011F_plug_1")
    times = [TS + timedelta(minutes=k) for k in range(20)]
    on = [
        json.loads(m.payload)["power"]
        for m in encode([_reading(device, "in_use", True, t) for t in times], HOME)
    ]
    off = [
        json.loads(m.payload)["power"]
        for m in encode([_reading(device, "in_use", False, t) for t in times], HOME)
    ]
    assert min(on) > 5 and max(off) <= 5
    assert len(set(on)) > 1, "a drawing appliance wobbles from report to report"
    assert on == [
        json.loads(m.payload)["power"]
        for m in encode([_reading(device, "in_use", True, t) for t in times], HOME)
    ]


def test_native_payload_is_one_flat_object_per_device_and_instant():
    band = _device_id("native-bracelet")
    samples = ((0.0, 0.0, 1.0), (0.1, 0.2, 0.9))
    readings = [
        _reading(band, "heart_rate", 72),
        _reading(band, "spo2", 97),
        _reading(band, "accel", samples, rate_hz=50),
        _reading(band, "fall_state", "fall"),
        _reading(band, "sos", True),
        _reading(band, "worn", True),
        _reading(band, "battery", 80),
        _reading(band, "heart_rate", 73, TS + timedelta(seconds=60)),
    ]
    first, second = encode(readings, HOME)
    assert first.topic == f"eldercare/v1/h001/dev/{band}/up"
    assert json.loads(first.payload) == {
        "ts": TS.timestamp(),
        "heart_rate": 72,
        "spo2": 97,
        "accel": {"rate_hz": 50, "samples": [[0.0, 0.0, 1.0], [0.1, 0.2, 0.9]]},
        "fall": True,
        "sos": True,
        "worn": True,
        "battery": 80,
    }
    assert json.loads(second.payload) == {
        "ts": (TS + timedelta(seconds=60)).timestamp(),
        "heart_rate": 73,
    }
    assert second.qos == 0, "vitals come again in a minute: QoS 0"


def test_a_key_carrying_two_metrics_keeps_the_state_the_message_says_nothing_about():
    # OWON's one `status` states posture and presence: a presence report during a fall
    # must still say "falling", or it would decode as "no fall" and clear the alarm.
    radar = _device_id("FDS315")
    later = TS + timedelta(minutes=5)
    messages = encode(
        [
            _reading(radar, "presence", True),
            _reading(radar, "fall_state", "fall", TS + timedelta(seconds=1)),
            _reading(radar, "presence", True, later),
            _reading(radar, "fall_state", "none", later + timedelta(seconds=1)),
            _reading(radar, "presence", False, later + timedelta(seconds=2)),
        ],
        HOME,
    )
    statuses = [json.loads(m.payload)["status"] for m in messages]
    assert statuses == ["occupied", "falling", "falling", "occupied", "unoccupied"]


def test_conflicting_readings_of_one_instant_become_separate_messages():
    door = _device_id("MCCGQ11LM")
    messages = encode(
        [_reading(door, "contact", "open"), _reading(door, "contact", "closed")], HOME
    )
    assert [json.loads(m.payload)["contact"] for m in messages] == [False, True]


def test_a_reading_the_device_cannot_send_is_an_encode_error():
    band = _device_id("native-bracelet")
    with pytest.raises(EncodeError, match="no fall value for fall_state='suspected'") as caught:
        encode([_reading(band, "fall_state", "suspected")], HOME)
    assert (caught.value.home, caught.value.device) == ("h001", band)
    with pytest.raises(EncodeError, match="does not report heart_rate"):
        encode([_reading(_device_id("MCCGQ11LM"), "heart_rate", 70)], HOME)
    with pytest.raises(EncodeError, match="no such device"):
        encode([_reading("kettle", "battery", 70)], HOME)


# -- codec: Zigbee2MQTT last_seen as event time ------------------------------------------

DOOR_TOPIC = f"zigbee2mqtt/{_device_id('MCCGQ11LM')}-zb"


@pytest.mark.parametrize(
    "last_seen",
    ["2026-11-29T15:31:05.120+08:00", "2026-11-29T07:31:05.120Z", TS.timestamp() * 1000],
    ids=["iso_local", "iso_utc", "epoch_ms"],
)
def test_decode_takes_the_event_time_from_zigbee2mqtt_last_seen(last_seen):
    payload = json.dumps({"contact": False, "last_seen": last_seen})
    decoded = decode(DOOR_TOPIC, payload, HOME, received_at=TS + timedelta(seconds=30))
    assert [(r.metric, r.value, r.ts) for r in decoded.readings] == [("contact", "open", TS)]


def test_decode_without_last_seen_uses_the_arrival_time():
    decoded = decode(DOOR_TOPIC, b'{"contact": true}', HOME, received_at=TS)
    assert decoded.readings[0].ts == TS


@pytest.mark.parametrize(
    "last_seen",
    [
        (TS + timedelta(minutes=6)).isoformat(),
        (TS - timedelta(hours=25)).isoformat(),
        "2026-11-29T07:31:05",  # no offset: ambiguous
        "yesterday",
        True,
        1e20,  # epoch ms beyond any calendar
    ],
)
def test_a_bad_or_skewed_last_seen_is_a_bad_timestamp(last_seen):
    payload = json.dumps({"contact": False, "last_seen": last_seen})
    with pytest.raises(PayloadError) as caught:
        decode(DOOR_TOPIC, payload, HOME, received_at=TS)
    assert (caught.value.problem, caught.value.field) == ("bad_timestamp", "last_seen")


def test_unbounded_clock_limits_accept_a_device_clock_days_ahead():
    # An accelerated simulation of next month, received now.
    ahead = TS + timedelta(days=40)
    band = f"eldercare/v1/h001/dev/{_device_id('native-bracelet')}/up"
    native = json.dumps({"ts": ahead.timestamp(), "heart_rate": 70})
    zigbee = json.dumps({"contact": True, "last_seen": ahead.isoformat()})
    for topic, payload in ((band, native), (DOOR_TOPIC, zigbee)):
        with pytest.raises(PayloadError, match="ahead of arrival"):
            decode(topic, payload, HOME, received_at=TS)
        decoded = decode(topic, payload, HOME, received_at=TS, clock=ClockLimits.unbounded())
        assert decoded.readings[0].ts == ahead
    behind = json.dumps({"contact": True, "last_seen": (TS - timedelta(days=400)).isoformat()})
    assert decode(DOOR_TOPIC, behind, HOME, received_at=TS, clock=ClockLimits.unbounded()).readings


# -- faults ------------------------------------------------------------------------------


def _an_hour_of_traffic() -> list[DeviceMessage]:
    band, door = _device_id("native-bracelet"), _device_id("MCCGQ11LM")
    radar, sos = _device_id("MIR-HE200-TY"), _device_id("TS0215A_sos")
    readings = []
    for minute in range(60):
        ts = TS + timedelta(minutes=minute)
        readings += [
            _reading(band, "heart_rate", 60 + minute % 20, ts),
            _reading(band, "spo2", 95 + minute % 5, ts),
            _reading(band, "steps", minute * 10, ts),
            _reading(band, "accel", ((0.0, 0.0, 1.0),) * 25, ts + timedelta(seconds=1), rate_hz=25),
            _reading(radar, "presence", minute % 2 == 0, ts + timedelta(seconds=2)),
            _reading(
                door, "contact", "open" if minute % 2 else "closed", ts + timedelta(seconds=3)
            ),
        ]
        if minute % 15 == 0:
            readings.append(_reading(sos, "sos", True, ts + timedelta(seconds=4)))
    return encode(readings, HOME)


def test_every_injected_fault_is_counted_by_decode_and_the_genuine_readings_all_arrive():
    genuine = _an_hour_of_traffic()
    record = FaultRecord()
    stream = list(inject_faults(genuine, 0.5, seed=7, record=record))

    assert set(record.counts) == set(FAULT_KINDS), record.counts
    assert len(stream) == len(genuine) + record.total - record.counts["out_of_order"]

    # The receiving clock runs in event time, as a live edge's would.
    problems: Counter[str] = Counter()
    readings: list[Reading] = []
    seen: set[tuple[str, bytes]] = set()
    for message in stream:
        if (message.topic, message.payload) in seen:
            problems["duplicate"] += 1
            continue
        seen.add((message.topic, message.payload))
        try:
            decoded = decode(message.topic, message.payload, HOME, received_at=message.ts)
        except PayloadError as error:
            problems[error.problem] += 1
            continue
        problems.update(error.problem for error in decoded.rejected)
        readings.extend(decoded.readings)

    for fault in record.injected:
        expected = EXPECTED_PROBLEMS[fault.kind]
        if expected:
            found = _problems_of(fault.message)
            assert found and set(found) <= expected, (fault.kind, found)

    bad = sum(n for kind, n in record.counts.items() if EXPECTED_PROBLEMS[kind])
    assert sum(n for problem, n in problems.items() if problem != "duplicate") >= bad
    assert problems["duplicate"] == record.counts["duplicate"]
    genuine_readings = _decode_messages(genuine)
    assert Counter(map(_key, readings)) == Counter(map(_key, genuine_readings))


def _problems_of(message: DeviceMessage) -> list[str]:
    """What decode says is wrong with a message that must give no reading at all."""
    try:
        decoded = decode(message.topic, message.payload, HOME, received_at=message.ts)
    except PayloadError as error:
        return [error.problem]
    assert decoded.readings == (), message
    return [error.problem for error in decoded.rejected]


def test_faults_are_reproducible_for_a_seed_and_absent_at_rate_zero():
    genuine = _an_hour_of_traffic()
    assert list(inject_faults(genuine, 0.2, seed=3)) == list(inject_faults(genuine, 0.2, seed=3))
    assert list(inject_faults(genuine, 0.2, seed=3)) != list(inject_faults(genuine, 0.2, seed=4))
    record = FaultRecord()
    assert list(inject_faults(genuine, 0, seed=3, record=record)) == genuine
    assert record.total == 0


def test_duplicates_are_identical_and_reordered_messages_stay_within_seconds():
    genuine = _an_hour_of_traffic()
    record = FaultRecord()
    stream = list(
        inject_faults(genuine, 0.3, seed=11, record=record, kinds=("duplicate", "out_of_order"))
    )
    assert record.counts["duplicate"] and record.counts["out_of_order"]
    for fault in record.injected:
        at = stream.index(fault.source)
        if fault.kind == "duplicate":
            assert stream[at + 1] == fault.source
        else:
            before = stream[at - 1]
            assert before.ts >= fault.source.ts
            assert before.ts - fault.source.ts <= timedelta(seconds=5)
