"""The home config: who lives in a home, which devices are where, who to call.

The hub pushes it to the edge (retained on ``eldercare/v1/<home>/config``); files are YAML
or JSON. The model validates itself so an invalid config is refused whole, with a reason,
and the last good one stays in force.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import time, timedelta
from pathlib import Path
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import HomeConfigError, describe_validation_error
from .topics import RESERVED_HOME_IDS

DeviceKind = Literal[
    "door",
    "motion",
    "presence",
    "appliance",
    "fall_radar",
    "fall_pendant",
    "bracelet",
    "sos_button",
]
# The roles the detectors understand. A fixed sensor may also sit in a room of another name
# (`hall`, `study`, `dining_room`): an "other room", where she is seen moving about.
Role = Literal[
    "front_door",
    "bathroom_door",
    "toilet_door",
    "bedroom_door",
    "fridge",
    "kitchen",
    "bathroom",
    "toilet",
    "bedroom",
    "bed",
    "chair",
    "living_room",
    "bedside",
    "wrist",
    "waist",
    "chest",
    # An institution's unit (ward, floor): the door residents leave the unit by.
    "unit_door",
]
KNOWN_ROLES: tuple[str, ...] = get_args(Role)
_OTHER_ROOM = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def _one_slip_apart(name: str, known: str) -> bool:
    """Whether ``name`` is ``known`` but for case, separators, or one character added,
    dropped, changed or two swapped ('Bathroom', 'front door', 'bathrom', 'toilett')."""
    a, b = (re.sub(r"[\s_\-]", "", x.lower()) for x in (name, known))
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


# How likely she is to fall when she gets up, as a care home assesses it: an institution
# watches bed exits at night for "at_risk" (after a grace for a quick return) and "high"
# (at once); a home in the community leaves it at "none".
FallRisk = Literal["none", "at_risk", "high"]
Identifier = str  # letters, digits, '_' and '-': safe inside an MQTT topic level
_IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Resident(_Frozen):
    name: str = Field(min_length=1)
    birth_year: int = Field(ge=1900, le=2026)
    lives_alone: bool = True
    address: str | None = None
    fall_risk: FallRisk = "none"
    # At risk of wandering off (dementia): leaving the unit at night is an alert.
    wanders: bool = False


class Place(_Frozen):
    """Where a resident of an institution sleeps: one config per bed.

    The devices of her bed (bed sensor, call button) and of her room (door, bathroom
    radar, presence) are listed in her config; an edge hosts a whole unit's beds.
    """

    institution: str = Field(pattern=_IDENTIFIER)
    unit: str = Field(min_length=1, max_length=64)  # a wing or a floor: 3F, 东区
    room: str = Field(min_length=1, max_length=32)
    bed: str = Field(min_length=1, max_length=16)


class Night(_Frozen):
    start: time = time(22, 30)
    end: time = time(6, 0)

    def contains(self, moment: time) -> bool:
        """Night spans midnight when start > end (the usual case)."""
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


class DeviceConfig(_Frozen):
    id: str = Field(pattern=_IDENTIFIER)
    kind: DeviceKind
    role: str  # one of KNOWN_ROLES, or an other room (see _role_known_or_room)
    source: str
    # Catalog model (e.g. "MCCGQ11LM"); without one, the decoder tries the catalog's
    # definitions of this kind, so an installer need not know the exact model.
    model: str | None = None

    @field_validator("role")
    @classmethod
    def _role_known_or_room(cls, role: str) -> str:
        """A known role, or the name of another room. A name one slip from a known role
        is a typo, refused: taken as another room, 'bathrom' would quietly lose every
        bathroom inference."""
        if role in KNOWN_ROLES:
            return role
        typo = next((known for known in KNOWN_ROLES if _one_slip_apart(role, known)), None)
        if typo:
            raise ValueError(
                f"unknown role {role!r}: did you mean {typo!r}? (another room needs a "
                "name of its own, e.g. 'hall' or 'study')"
            )
        if not _OTHER_ROOM.match(role):
            raise ValueError(
                f"role {role!r} is neither a known role ({', '.join(KNOWN_ROLES)}) nor "
                "the name of a room (lower-case letters, digits and '_', e.g. 'hall')"
            )
        return role

    @property
    def other_room(self) -> bool:
        """Whether the device sits in a room the detectors know only as a room."""
        return self.role not in KNOWN_ROLES

    @field_validator("source")
    @classmethod
    def _source_format(cls, source: str) -> str:
        if source == "native":
            return source
        prefix, _, friendly_name = source.partition(":")
        if prefix != "zigbee2mqtt" or not friendly_name or "#" in source or "+" in source:
            raise ValueError(
                f"source must be 'native' or 'zigbee2mqtt:<friendly_name>', got {source!r}"
            )
        return source

    @property
    def zigbee_name(self) -> str | None:
        """The Zigbee2MQTT friendly name, or None for a native device."""
        return self.source.partition(":")[2] if self.source != "native" else None


class Contact(_Frozen):
    name: str = Field(min_length=1)
    relation: str
    phone: str | None = None
    notify: tuple[Literal["app", "sms", "call", "wechat"], ...] = ("app",)


# The longest absence that can be announced at once: a stay in hospital, a season at a
# child's. Longer, and the home should be paused, not monitored with its alerts off.
AWAY_LONGEST = timedelta(days=92)


class AwayPeriod(_Frozen):
    """An absence the family or the station announced (外出登记): she is staying at her
    daughter's, or in hospital, from ``start`` until ``end``. Her routine alerts are off
    meanwhile (analytics.activity), unless the front door sees her come home sooner; falls,
    SOS and vital signs never are.

    >>> from datetime import datetime, timezone
    >>> AwayPeriod(start=datetime(2026, 12, 1, 9, tzinfo=timezone.utc),
    ...            end=datetime(2026, 12, 1, 8, tzinfo=timezone.utc))
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for AwayPeriod
      Value error, an absence must end after it starts ...
    """

    start: AwareDatetime
    end: AwareDatetime
    note: str = Field(default="", max_length=200)  # "at her daughter's in Hefei"
    by: str | None = Field(default=None, max_length=64)  # who announced it (an account)

    @model_validator(mode="after")
    def _a_real_span(self) -> AwayPeriod:
        if self.end <= self.start:
            raise ValueError(
                f"an absence must end after it starts (start {self.start.isoformat()}, "
                f"end {self.end.isoformat()})"
            )
        if self.end - self.start > AWAY_LONGEST:
            raise ValueError(f"an absence may be announced for {AWAY_LONGEST.days} days at most")
        return self

    def covers(self, epoch: float) -> bool:
        return self.start.timestamp() <= epoch < self.end.timestamp()


def away_at(periods: Iterable[AwayPeriod], epoch: float) -> AwayPeriod | None:
    """Of ``periods``, the absence ``epoch`` falls in (the one ending last, if several)."""
    found = [period for period in periods if period.covers(epoch)]
    return max(found, key=lambda period: period.end) if found else None


class HomeConfig(_Frozen):
    """A home as ARCHITECTURE.md defines it.

    >>> home = HomeConfig.model_validate({
    ...     "home": "h001", "station": "st-yingzhou-01", "timezone": "Asia/Shanghai",
    ...     "resident": {"name": "王秀英", "birth_year": 1942},
    ...     "devices": [{"id": "front_door", "kind": "door", "role": "front_door",
    ...                  "source": "zigbee2mqtt:entrance"}]})
    >>> home.device_for_zigbee("entrance").id
    'front_door'
    """

    home: str = Field(pattern=_IDENTIFIER)
    station: str = Field(pattern=_IDENTIFIER)
    timezone: str = "Asia/Shanghai"
    resident: Resident
    night: Night = Night()
    devices: tuple[DeviceConfig, ...] = ()
    contacts: tuple[Contact, ...] = ()
    # Set for a bed in a care home or day-care centre; a home in the community has none.
    place: Place | None = None
    # Detector settings by detector name (thresholds, windows); the analytics package
    # owns their meaning and defaults, the config only carries the home's overrides.
    thresholds: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Absences announced by the family or the station (AwayPeriod); the hub keeps them.
    away: tuple[AwayPeriod, ...] = Field(default=(), max_length=20)

    @field_validator("home")
    @classmethod
    def _not_a_reserved_level(cls, home: str) -> str:
        if home in RESERVED_HOME_IDS:  # <prefix>/hosted/... and <prefix>/hub/... are not homes
            raise ValueError(f"{home!r} is reserved in the MQTT topics; choose another home id")
        return home

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r}") from None
        return name

    @model_validator(mode="after")
    def _devices_are_unique(self) -> HomeConfig:
        for attribute in ("id", "source"):
            seen: set[str] = set()
            for device in self.devices:
                key = getattr(device, attribute)
                if key == "native" or key not in seen:
                    seen.add(key)
                    continue
                raise ValueError(f"two devices share the {attribute} {key!r}")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def away_at(self, epoch: float) -> AwayPeriod | None:
        """The announced absence ``epoch`` falls in (the one ending last, if several)."""
        return away_at(self.away, epoch)

    def device(self, device_id: str) -> DeviceConfig | None:
        return next((d for d in self.devices if d.id == device_id), None)

    def device_for_zigbee(self, friendly_name: str) -> DeviceConfig | None:
        return next((d for d in self.devices if d.zigbee_name == friendly_name), None)

    @classmethod
    def parse(cls, text: str | bytes, *, source: str | Path | None = None) -> HomeConfig:
        """Parse YAML or JSON text (JSON is YAML); raises HomeConfigError with the reason."""
        try:
            # JSON first: it is what the hub pushes, and PyYAML is ~100x slower on it.
            raw = json.loads(text)
        except ValueError:
            try:
                raw = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                raise HomeConfigError(f"not valid YAML or JSON: {exc}", source=source) from exc
        if not isinstance(raw, dict):
            raise HomeConfigError("a home config must be a mapping", source=source)
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            home = raw.get("home") if isinstance(raw.get("home"), str) else None
            raise HomeConfigError(
                describe_validation_error(exc, show_input=True), home=home, source=source
            ) from exc

    @classmethod
    def load(cls, path: str | Path) -> HomeConfig:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise HomeConfigError(f"cannot read: {exc.strerror}", source=path) from exc
        return cls.parse(text, source=path)

    def to_json(self) -> str:
        return self.model_dump_json(exclude_defaults=False)

    def to_yaml(self) -> str:
        return yaml.safe_dump(json.loads(self.to_json()), allow_unicode=True, sort_keys=False)
