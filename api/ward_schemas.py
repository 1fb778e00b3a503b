"""Bodies of the institution routes (places, shifts, rounds): create / update / public."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from contracts.alert import Severity

from .params import Moment


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InstitutionCreate(_Body):
    """Makes a registered station an institution (same id): its alerts, its staff."""

    timezone: str = Field(default="Asia/Shanghai", max_length=64)
    station_after_s: float = Field(
        default=120.0, ge=0, le=86400, description="unacknowledged: to the nurse station after"
    )
    head_nurse_after_s: float = Field(
        default=300.0, ge=0, le=86400, description="then to the head nurse after"
    )
    repeat_s: float = Field(
        default=300.0, ge=30, le=86400, description="the head nurse told again every"
    )
    severities: dict[str, Severity] = Field(
        default_factory=dict, max_length=64, description="kind -> severity for this institution"
    )


class InstitutionPublic(BaseModel):
    id: str
    name: str
    timezone: str
    station_after_s: float
    head_nurse_after_s: float
    repeat_s: float
    severities: dict[str, str]
    units: list[dict[str, Any]] = Field(description="units, their rooms and beds (as seen)")


class UnitCreate(_Body):
    institution: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=64)
    rounds_every_s: float = Field(default=7200.0, ge=600, le=86400)
    rounds_from: str = Field(default="22:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    rounds_until: str = Field(default="06:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class UnitPublic(BaseModel):
    id: int
    institution: str
    name: str
    rounds_every_s: float
    rounds_from: str
    rounds_until: str


class RoomCreate(_Body):
    unit: int = Field(ge=1, le=2**63 - 1)
    name: str = Field(min_length=1, max_length=32)


class RoomPublic(BaseModel):
    id: int
    unit: int
    name: str


class BedCreate(_Body):
    room: int = Field(ge=1, le=2**63 - 1)
    name: str = Field(min_length=1, max_length=16)


class BedResidentUpdate(_Body):
    """Who sleeps in the bed from now: a home id (she moves here), or null (she left it)."""

    resident: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")


class BedPublic(BaseModel):
    id: int
    room: int
    name: str
    resident: str | None


class AssignmentPublic(BaseModel):
    bed: int
    resident: str
    since: str | None
    until: str | None
    by: str


class ShiftCreate(_Body):
    institution: str = Field(min_length=1, max_length=64)
    caregiver: str = Field(min_length=1, max_length=64, description="the caregiver's user name")
    starts_at: Moment
    ends_at: Moment
    rooms: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(max_length=500)


class ShiftPublic(BaseModel):
    id: int
    institution: str
    caregiver: str
    caregiver_name: str | None
    starts_at: str | None
    ends_at: str | None
    rooms: list[int]
    on_duty: bool


class RoundCreate(_Body):
    room: int = Field(ge=1, le=2**63 - 1)
    note: str | None = Field(default=None, max_length=500)


class RoundPublic(BaseModel):
    id: int
    room: int
    at: str | None
    by: str
    note: str | None
