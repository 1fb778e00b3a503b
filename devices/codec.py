"""decode: a device payload on an MQTT topic becomes canonical readings.

Pure: no I/O and no clock. The caller says when the message was received, which is the
event time of Zigbee2MQTT payloads without ``last_seen`` and the reference against which a
device's own timestamp (native ``ts``, Zigbee2MQTT ``last_seen``) is checked for skew.

Whatever the topic and the bytes, :func:`decode` raises nothing but :class:`PayloadError`:
the payload is parsed with limits (:func:`contracts.safe_json.loads`: size, nesting depth,
length of a number) before anything looks at it, so that 2 KB of brackets or a battery of
400 digits is a refused payload, never a ``RecursionError`` or ``OverflowError`` in the
edge. A ``NaN`` becomes ``null``, which is "no data" for that one value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from contracts import safe_json
from contracts.errors import describe_validation_error
from contracts.home import DeviceConfig, HomeConfig
from contracts.reading import Reading
from contracts.topics import DEFAULT_PREFIX, ZIGBEE2MQTT_BASE

from .catalog import DeviceDefinition, Expose, definition, definitions_for
from .errors import PayloadError

# A bracelet batch of 10 s at 50 Hz is ~15 KB of JSON; anything far beyond that is not
# a device talking, and parsing it would cost the edge more than it is worth.
MAX_PAYLOAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class ClockLimits:
    """How far a device's own timestamp may be from the time the message arrived."""

    max_ahead: timedelta = timedelta(minutes=5)
    # Wearables buffer while out of range; a day back is still worth storing.
    max_behind: timedelta = timedelta(hours=24)

    @classmethod
    def unbounded(cls) -> ClockLimits:
        """Accept any device time: for replays and accelerated simulations, where the
        device clock legitimately runs days ahead of (or behind) the wall clock."""
        return cls(max_ahead=timedelta.max, max_behind=timedelta.max)


@dataclass(frozen=True)
class Decoded:
    """What one payload gave: the good readings, and the values that were refused.

    One refused value never costs the others: a bracelet message with a heart rate of 0
    (not worn) still delivers its step count and battery.
    """

    home: str
    device: str | None
    readings: tuple[Reading, ...] = ()
    rejected: tuple[PayloadError, ...] = field(default=())


def decode(
    topic: str,
    payload: bytes | str,
    home: HomeConfig,
    *,
    received_at: datetime,
    prefix: str = DEFAULT_PREFIX,
    zigbee_base: str = ZIGBEE2MQTT_BASE,
    clock: ClockLimits = ClockLimits(),
) -> Decoded:
    """Decode one MQTT message of ``home``.

    Raises PayloadError when nothing in the message is usable (malformed JSON, unknown
    device, oversized, bad timestamp); refused single values are in ``Decoded.rejected``.

    >>> home = HomeConfig.model_validate({"home": "h001", "station": "st1",
    ...     "resident": {"name": "王秀英", "birth_year": 1942},
    ...     "devices": [{"id": "front_door", "kind": "door", "role": "front_door",
    ...                  "source": "zigbee2mqtt:entrance", "model": "MCCGQ11LM"}]})
    >>> now = datetime(2026, 11, 29, 7, 31, tzinfo=UTC)
    >>> decoded = decode("zigbee2mqtt/entrance", b'{"contact": false, "battery": 97}', home,
    ...                  received_at=now)
    >>> [(r.metric, r.value) for r in decoded.readings]
    [('contact', 'open'), ('battery', 97.0)]
    """
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    try:
        return _decode(topic, payload, home, received_at, prefix, zigbee_base, clock)
    except PayloadError:
        raise
    except Exception as exc:
        # A payload this code was not written for: still a refused payload, never a crash
        # of the loop that called us. The cause stays attached for the caller's log.
        raise PayloadError(
            "undecodable",
            f"{type(exc).__name__}: {_shortened(str(exc))}",
            topic=_shortened(str(topic)),
            home=home.home,
        ) from exc


def _decode(
    topic: str,
    payload: bytes | str,
    home: HomeConfig,
    received_at: datetime,
    prefix: str,
    zigbee_base: str,
    clock: ClockLimits,
) -> Decoded:
    size = len(payload)
    if size > MAX_PAYLOAD_BYTES:
        raise PayloadError(
            "oversized",
            f"{size} bytes, limit {MAX_PAYLOAD_BYTES}",
            topic=topic,
            home=home.home,
        )
    device, spec_source = _route(topic, home, prefix, zigbee_base)
    if device is None:
        # Zigbee2MQTT bridge and availability topics: known, but not device readings.
        return Decoded(home=home.home, device=None)
    body = _parse_object(topic, payload, home.home, device.id)
    if spec_source == "native":
        ts = _device_timestamp(body, "ts", 1.0, topic, home.home, device.id, received_at, clock)
    elif "last_seen" in body:
        # Zigbee2MQTT's advanced.last_seen: ISO 8601, or epoch milliseconds ("epoch").
        ts = _device_timestamp(
            body, "last_seen", 1e-3, topic, home.home, device.id, received_at, clock
        )
    else:
        ts = received_at
    spec = _definition(device, body, spec_source, topic, home.home)
    return _readings(body, device, spec, home, topic, ts)


def _shortened(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _route(
    topic: str, home: HomeConfig, prefix: str, zigbee_base: str
) -> tuple[DeviceConfig | None, str]:
    levels = topic.split("/")
    base_levels = zigbee_base.split("/")
    if levels[: len(base_levels)] == base_levels:
        friendly_name = "/".join(levels[len(base_levels) :])
        if friendly_name.startswith("bridge/") or friendly_name.endswith(
            ("/availability", "/set", "/get")
        ):
            return None, "zigbee2mqtt"
        device = home.device_for_zigbee(friendly_name)
        if device is None:
            raise PayloadError(
                "unknown_device",
                f"no device with source zigbee2mqtt:{friendly_name} in the home config",
                topic=topic,
                home=home.home,
            )
        return device, "zigbee2mqtt"
    prefix_levels = prefix.split("/")
    rest = levels[len(prefix_levels) :]
    if levels[: len(prefix_levels)] == prefix_levels and len(rest) == 4 and rest[1] == "dev":
        home_id, _, device_id, direction = rest
        if direction != "up":
            raise PayloadError("unknown_topic", "native devices publish on .../up", topic=topic)
        if home_id != home.home:
            raise PayloadError(
                "unknown_home",
                f"topic is for home {home_id}, this config is {home.home}",
                topic=topic,
                home=home_id,
            )
        device = home.device(device_id)
        if device is None or device.source != "native":
            raise PayloadError(
                "unknown_device",
                f"no native device {device_id!r} in the home config",
                topic=topic,
                home=home.home,
                device=device_id,
            )
        return device, "native"
    raise PayloadError("unknown_topic", "not a device topic", topic=topic, home=home.home)


def _parse_object(topic: str, payload: bytes | str, home: str, device: str) -> dict[str, Any]:
    try:
        body = safe_json.loads(payload, max_bytes=MAX_PAYLOAD_BYTES)
    except safe_json.JsonLimitError as exc:
        raise PayloadError(
            "malformed_json", str(exc), topic=topic, home=home, device=device
        ) from None
    if not isinstance(body, dict):
        raise PayloadError(
            "wrong_type",
            f"payload must be a JSON object, got {type(body).__name__}",
            topic=topic,
            home=home,
            device=device,
        )
    return body


def _device_timestamp(
    body: Mapping[str, Any],
    key: str,
    seconds_per_unit: float,
    topic: str,
    home: str,
    device: str,
    received_at: datetime,
    clock: ClockLimits,
) -> datetime:
    """The event time a device put in its payload under ``key``, checked for clock skew."""
    raw = body.get(key)

    def bad(reason: str) -> PayloadError:
        return PayloadError(
            "bad_timestamp", reason, topic=topic, home=home, device=device, field=key
        )

    if isinstance(raw, bool) or raw is None:
        raise bad(f"{key} must be ISO 8601 with offset, or an epoch number")
    try:
        if isinstance(raw, int | float):
            if not math.isfinite(raw):
                raise ValueError("not finite")
            ts = datetime.fromtimestamp(raw * seconds_per_unit, UTC)
        elif isinstance(raw, str):
            ts = datetime.fromisoformat(raw)
        else:
            raise ValueError(f"unsupported type {type(raw).__name__}")
    except (ValueError, OverflowError, OSError) as exc:
        raise bad(f"cannot read {key} {raw!r}: {exc}") from exc
    if ts.tzinfo is None:
        raise bad(f"{key} {raw!r} has no UTC offset")
    # Compare differences, not shifted instants: unbounded limits would overflow datetime.
    if ts - received_at > clock.max_ahead:
        raise bad(f"{key} {ts.isoformat()} is {ts - received_at} ahead of arrival")
    if received_at - ts > clock.max_behind:
        raise bad(f"{key} {ts.isoformat()} is {received_at - ts} behind arrival")
    return ts


def _definition(
    device: DeviceConfig, body: Mapping[str, Any], source: str, topic: str, home: str
) -> DeviceDefinition:
    if device.model is not None:
        try:
            return definition(device.model)
        except KeyError as exc:
            raise PayloadError(
                "unknown_device", str(exc.args[0]), topic=topic, home=home, device=device.id
            ) from exc
    # No model configured: the definition of this kind that understands most of the keys.
    candidates = definitions_for(device.kind, source)
    if not candidates:
        raise PayloadError(
            "unknown_device",
            f"no {source} device of kind {device.kind} in the catalog",
            topic=topic,
            home=home,
            device=device.id,
        )
    keys = body.keys()
    return max(candidates, key=lambda d: len(d.properties & keys))


def _readings(
    body: Mapping[str, Any],
    device: DeviceConfig,
    spec: DeviceDefinition,
    home: HomeConfig,
    topic: str,
    ts: datetime,
) -> Decoded:
    readings: list[Reading] = []
    rejected: list[PayloadError] = []
    for expose in spec.exposes:
        if expose.property not in body:
            continue
        try:
            reading = _reading(body[expose.property], expose, device, home.home, ts)
        except _Refused as refusal:
            rejected.append(
                PayloadError(
                    refusal.problem,
                    refusal.reason,
                    topic=topic,
                    home=home.home,
                    device=device.id,
                    field=expose.property,
                )
            )
            continue
        if reading is not None:
            readings.append(reading)
    return Decoded(
        home=home.home, device=device.id, readings=tuple(readings), rejected=tuple(rejected)
    )


class _Refused(Exception):
    def __init__(self, problem: str, reason: str):
        self.problem = problem
        self.reason = _shortened(reason)  # it may quote a value of 60 KB


def _reading(
    raw: Any, expose: Expose, device: DeviceConfig, home: str, ts: datetime
) -> Reading | None:
    rate_hz = None
    value = raw
    if expose.metric == "accel" and isinstance(raw, Mapping):
        # Native accelerometer batch: {"rate_hz": 50, "samples": [[x, y, z], ...]}
        value, rate_hz = raw.get("samples"), raw.get("rate_hz")
        if not isinstance(rate_hz, int | float) or isinstance(rate_hz, bool):
            raise _Refused("wrong_type", "accel batch needs a numeric rate_hz")
    elif raw is None:  # null, or NaN on the wire
        raise _Refused("no_data", "null (or NaN): the sensor has no measurement")
    elif _is_no_data(raw, expose.no_data):
        raise _Refused("no_data", f"{raw!r} means the sensor has no measurement")
    elif expose.above is not None:
        # A derived level, e.g. a plug's power above a few watts: the appliance is in use.
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            raise _Refused("wrong_type", f"{json.dumps(raw)} is not a number")
        value = raw > expose.above
    elif expose.map is not None:
        # Compare types too: in Python 1 == True, but a contact of 1 is not a contact of true.
        matches = [v for k, v in expose.map.items() if type(k) is type(raw) and k == raw]
        if not matches:
            choices = ", ".join(json.dumps(k) for k in expose.map)
            raise _Refused("unexpected_value", f"{json.dumps(raw)} is not one of {choices}")
        value = matches[0]
        if value is None:
            return None
    try:
        return Reading(
            ts=ts, home=home, device=device.id, metric=expose.metric, value=value, rate_hz=rate_hz
        )
    except ValidationError as exc:
        problem = "out_of_range" if _is_range_error(exc) else "wrong_type"
        raise _Refused(problem, describe_validation_error(exc)) from exc


def _is_no_data(raw: Any, markers: tuple[Any, ...]) -> bool:
    # bool is an int in Python: False must not match a no-data marker of 0.
    return not isinstance(raw, bool) and _hashable(raw) and raw in markers


def _hashable(raw: Any) -> bool:
    return isinstance(raw, str | int | float | bool) or raw is None


def _is_range_error(exc: ValidationError) -> bool:
    return any(
        "range" in problem["msg"] or "finite" in problem["msg"]
        for problem in exc.errors(include_url=False)
    )
