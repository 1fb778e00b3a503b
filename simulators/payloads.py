"""encode: canonical readings become the MQTT messages the real devices would send.

The inverse of ``devices.decode``, driven by the same catalog data: each expose's ``map``
is read backwards (canonical value -> the first payload value that decodes to it), so a
new model in catalog.yaml is simulated without code here.

- Zigbee2MQTT devices publish ``<zigbee_base>/<friendly_name>`` with the model's own keys,
  ``linkquality`` as Zigbee2MQTT appends it, and ``last_seen`` (advanced.last_seen:
  ISO_8601_local) so the event time travels with the payload through an accelerated run.
- Native devices publish ``<prefix>/<home>/dev/<device>/up`` with a flat object and ``ts``
  in epoch seconds.

Readings of one device at one instant become one message, as a device reports its state
at once. Only what the readings say is sent: replaying Zigbee2MQTT's cached state would
repeat old values as new readings and the stream would no longer decode to its source.
The exception is a key that carries several metrics (OWON FDS315 ``status``: posture and
presence): its value must also state the metrics the message has no reading for, and the
device's last known values are used, so such a message decodes to its readings plus a
repeat of the device's state.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.home import DeviceConfig, HomeConfig
from contracts.metrics import METRICS
from contracts.reading import Reading
from contracts.topics import DEFAULT_PREFIX, ZIGBEE2MQTT_BASE
from devices.catalog import DeviceDefinition, Expose, definition, definitions_for

from .errors import EncodeError

# Readings a detector acts on at once: worth QoS 1. Vitals and battery come again in a
# minute, and a lost one is no worse than a bracelet out of range.
EVENT_METRICS = frozenset({"contact", "sos", "fall_state", "motion", "presence", "in_use"})
_UNKNOWN = object()


@dataclass(frozen=True)
class DeviceMessage:
    """One MQTT publish of one device, with the event time it describes."""

    topic: str
    payload: bytes
    ts: datetime
    device: str
    home: str
    qos: int = 0


def encode(
    readings: Sequence[Reading],
    home: HomeConfig,
    *,
    prefix: str = DEFAULT_PREFIX,
    zigbee_base: str = ZIGBEE2MQTT_BASE,
) -> list[DeviceMessage]:
    """The messages of ``home``'s devices that carry ``readings``, in event-time order.

    Raises EncodeError for a reading the home's device cannot send (unknown device, a
    metric or value its model has no payload for).
    """
    ordered = sorted(readings, key=lambda reading: reading.ts)
    return list(encode_stream(ordered, home, prefix=prefix, zigbee_base=zigbee_base))


def encode_stream(
    readings: Iterable[Reading],
    home: HomeConfig,
    *,
    prefix: str = DEFAULT_PREFIX,
    zigbee_base: str = ZIGBEE2MQTT_BASE,
) -> Iterator[DeviceMessage]:
    """Like ``encode`` for a stream already in event-time order (a month need not fit in
    memory): readings are merged while their timestamps are equal."""
    encoder = _Encoder(home, prefix, zigbee_base)
    instant: list[Reading] = []
    for reading in readings:
        if instant and reading.ts != instant[0].ts:
            yield from encoder.messages(instant)
            instant = []
        instant.append(reading)
    if instant:
        yield from encoder.messages(instant)


@dataclass(frozen=True)
class _Target:
    """Where one device's readings go and which catalog definition shapes them."""

    device: DeviceConfig
    spec: DeviceDefinition
    topic: str

    @property
    def zigbee(self) -> bool:
        return self.device.zigbee_name is not None


@dataclass
class _Slot:
    """A payload under construction: each property with the payload values still
    acceptable to every reading placed in it (OWON's one ``status`` key carries two
    metrics), and the metrics it carries."""

    values: dict[str, list[Any]]
    metrics: set[str]

    def take(self, prop: str, choices: list[Any], metric: str) -> bool:
        held = self.values.get(prop)
        if held is not None:
            choices = [value for value in held if any(_same(value, c) for c in choices)]
            if not choices:
                return False
        self.values[prop] = choices
        self.metrics.add(metric)
        return True


class _Encoder:
    def __init__(self, home: HomeConfig, prefix: str, zigbee_base: str):
        self.home = home
        self.prefix = prefix
        self.zigbee_base = zigbee_base
        self._targets: dict[str, _Target] = {}
        # Last value of each (device, metric): the state a real device would report along.
        self._state: dict[tuple[str, str], Any] = {}

    def messages(self, instant: Sequence[Reading]) -> Iterator[DeviceMessage]:
        """The messages for readings that share one timestamp, device by device."""
        by_device: dict[str, list[Reading]] = {}
        for reading in instant:
            if reading.home != self.home.home:
                raise EncodeError(
                    f"a reading of home {reading.home} given to the encoder of {self.home.home}",
                    home=self.home.home,
                    device=reading.device,
                )
            by_device.setdefault(reading.device, []).append(reading)
        for device_id, readings in by_device.items():
            target = self._target(device_id)
            for slot in _slots(readings, target, self.home.home):
                self._keep_state(target, slot)
                yield self._message(target, slot, readings[0].ts)
            for reading in readings:
                self._state[(device_id, reading.metric)] = reading.value

    def _keep_state(self, target: _Target, slot: _Slot) -> None:
        """Where one payload key carries several metrics (OWON's ``status``: posture and
        presence), say nothing new about the metrics this message has no reading for.

        A presence report in the middle of a fall must send ``falling``, not ``occupied``:
        the device reports its whole state, and "occupied" would decode as "no fall".
        """
        for expose in target.spec.exposes:
            held = slot.values.get(expose.property)
            if held is None or expose.metric in slot.metrics or expose.map is None:
                continue
            known = self._state.get((target.device.id, expose.metric), _UNKNOWN)
            if known is _UNKNOWN:
                continue
            keeps = [raw for raw in held if _maps_to(expose, raw, known)]
            if keeps:
                slot.values[expose.property] = keeps

    def _target(self, device_id: str) -> _Target:
        target = self._targets.get(device_id)
        if target is None:
            target = self._targets[device_id] = self._resolve(device_id)
        return target

    def _resolve(self, device_id: str) -> _Target:
        device = self.home.device(device_id)
        if device is None:
            raise EncodeError(
                "no such device in the home config", home=self.home.home, device=device_id
            )
        name = device.zigbee_name
        source = "native" if name is None else "zigbee2mqtt"
        if device.model is not None:
            try:
                spec = definition(device.model)
            except KeyError as exc:
                raise EncodeError(str(exc.args[0]), home=self.home.home, device=device_id) from exc
        else:
            # decode picks the definition that knows most of the payload's keys, the first
            # on a tie; keys from the first definition of the kind always make it that one.
            candidates = definitions_for(device.kind, source)
            if not candidates:
                raise EncodeError(
                    f"no {source} {device.kind} in the catalog",
                    home=self.home.home,
                    device=device_id,
                )
            spec = candidates[0]
        topic = (
            f"{self.prefix}/{self.home.home}/dev/{device_id}/up"
            if name is None
            else f"{self.zigbee_base}/{name}"
        )
        return _Target(device, spec, topic)

    def _message(self, target: _Target, slot: _Slot, ts: datetime) -> DeviceMessage:
        values = {prop: choices[0] for prop, choices in slot.values.items()}
        if target.zigbee:
            name = target.device.zigbee_name or ""
            body = {
                **values,
                "linkquality": _linkquality(name, ts),
                "last_seen": _iso_local(ts, self.home),
            }
        else:
            body = {"ts": ts.timestamp(), **values}
        payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return DeviceMessage(
            topic=target.topic,
            payload=payload.encode(),
            ts=ts,
            device=target.device.id,
            home=self.home.home,
            qos=1 if slot.metrics & EVENT_METRICS else 0,
        )


def _slots(readings: Sequence[Reading], target: _Target, home: str) -> list[_Slot]:
    """Place readings into as few payloads as their values allow (usually one)."""
    slots: list[_Slot] = []
    for reading in readings:
        prop, choices = _payload_choices(reading, target, home)
        if not any(slot.take(prop, choices, reading.metric) for slot in slots):
            slots.append(_Slot({prop: choices}, {reading.metric}))
    return slots


def _payload_choices(reading: Reading, target: _Target, home: str) -> tuple[str, list[Any]]:
    """The payload key for a reading and the values, best first, that decode back to it."""
    expose = next((e for e in target.spec.exposes if e.metric == reading.metric), None)
    if expose is None:
        raise EncodeError(
            f"model {target.spec.model} does not report {reading.metric}",
            home=home,
            device=reading.device,
        )
    if expose.above is not None:
        return expose.property, [_drawn_power(expose.above, reading)]
    if expose.map is None:
        return expose.property, [_plain(reading)]
    choices = [raw for raw, value in expose.map.items() if _same(value, reading.value)]
    if not choices:
        raise EncodeError(
            f"model {target.spec.model} has no {expose.property} value for "
            f"{reading.metric}={reading.value!r}",
            home=home,
            device=reading.device,
        )
    return expose.property, choices


def _maps_to(expose: Expose, raw: Any, value: Any) -> bool:
    assert expose.map is not None
    return any(_same(key, raw) and _same(mapped, value) for key, mapped in expose.map.items())


def _same(a: Any, b: Any) -> bool:
    # In Python True == 1: a map value true must not stand for a number.
    return type(a) is type(b) and a == b


def _plain(reading: Reading) -> Any:
    """A canonical value as a device writes it in JSON."""
    value = reading.value
    if reading.rate_hz is not None:
        return {"rate_hz": _number(reading.rate_hz), "samples": [list(s) for s in value]}
    if isinstance(value, tuple):
        return list(value)
    if METRICS[reading.metric].type == "number":
        return _number(value)
    return value


def _number(value: float) -> int | float:
    # Devices send counts and percentages as integers; decode reads either.
    return int(value) if float(value).is_integer() else value


def _drawn_power(threshold: float, reading: Reading) -> float:
    """A number on the right side of ``threshold`` for a derived true/false reading: what a
    metering plug reports. Deterministic without a seed, like the link quality: each
    appliance draws its own power (40-2,000 x the threshold, a television to a kettle),
    wobbling a little from report to report; off, a standby draw of at most a third of it."""
    device = zlib.crc32(reading.device.encode())
    wobble = (zlib.crc32(reading.ts.isoformat().encode()) % 41 - 20) / 1000
    if reading.value is True:
        return round(threshold * (40 + device % 1961) * (1 + wobble), 1)
    return round(threshold / 3 * (device % 11) / 10, 1)


def _iso_local(ts: datetime, home: HomeConfig) -> str:
    # Zigbee2MQTT writes milliseconds; keep microseconds if the reading has them, so the
    # message decodes to exactly the reading it came from.
    spec = "milliseconds" if ts.microsecond % 1000 == 0 else "microseconds"
    return ts.astimezone(home.tz).isoformat(timespec=spec)


def _linkquality(friendly_name: str, ts: datetime) -> int:
    # Deterministic without a seed: each device has its own signal, wobbling a little.
    base = 40 + zlib.crc32(friendly_name.encode()) % 160
    wobble = zlib.crc32(ts.isoformat().encode()) % 21 - 10
    return max(0, min(255, base + wobble))
