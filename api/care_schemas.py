"""Request and response bodies of the care operations (#16): visits and service orders,
split into create / update / public shapes like api/schemas.py."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.service_orders import OrderState
from hub.visits import Method

from .params import Moment

Check = Literal["ok", "concern"]
Name = Field(min_length=1, max_length=100)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- visit tiers -------------------------------------------------------------------------


class VisitTierCreate(_Body):
    station: str = Field(min_length=1, max_length=64)
    name_zh: str = Name
    name_en: str = Name
    every_days: int = Field(ge=1, le=366, description="a visit every this many days")
    method: Method = Field(description="the usual way: phone, video or home")


class VisitTierUpdate(_Body):
    name_zh: str | None = Field(default=None, min_length=1, max_length=100)
    name_en: str | None = Field(default=None, min_length=1, max_length=100)
    every_days: int | None = Field(default=None, ge=1, le=366)
    method: Method | None = None
    active: bool | None = None


class VisitTierPublic(BaseModel):
    id: int
    station: str
    name_zh: str
    name_en: str
    every_days: int
    method: str
    active: bool


# -- visit plans -------------------------------------------------------------------------


class VisitPlanSave(_Body):
    tier: int = Field(ge=1, le=2**63 - 1)
    responsible: str = Name
    responsible_kind: Literal["caregiver", "volunteer"] = "caregiver"


class VisitPlanPublic(BaseModel):
    resident: str
    resident_name: str
    station: str
    tier: VisitTierPublic
    responsible: str
    responsible_kind: str
    since: str | None
    due_day: str = Field(description="the home's calendar day the next visit is due")
    state: Literal["planned", "due", "overdue"]
    method: str = Field(description="how: the tier's way, or home after missed calls")
    misses: int = Field(description="attempts that did not reach her since she last was")
    last_reached_at: str | None


# -- visits ------------------------------------------------------------------------------


class VisitCreate(_Body):
    resident: str = Field(min_length=1, max_length=64)
    visitor: str | None = Field(
        default=None, min_length=1, max_length=100, description="who visited (default: you)"
    )
    method: Method
    reached: bool
    checks: dict[Literal["eating", "medication", "home_safe", "mood"], Check] = Field(
        default_factory=dict
    )
    notes: str | None = Field(default=None, max_length=2000)
    follow_up: str | None = Field(default=None, max_length=2000)


class VisitPublic(BaseModel):
    id: int
    resident: str
    resident_name: str
    station: str
    at: str | None
    visitor: str
    recorded_by: str
    method: str
    reached: bool
    checks: dict[str, str]
    notes: str | None
    follow_up: str | None
    alert: int | None = Field(description="the alert this visit answered, if any")


# -- service types and providers ---------------------------------------------------------


class ServiceTypeCreate(_Body):
    station: str = Field(min_length=1, max_length=64)
    code: str = Field(pattern=r"^[a-z][a-z_]{0,31}$", description="meal, bath, clean, ...")
    name_zh: str = Name
    name_en: str = Name


class ServiceTypeUpdate(_Body):
    name_zh: str | None = Field(default=None, min_length=1, max_length=100)
    name_en: str | None = Field(default=None, min_length=1, max_length=100)
    active: bool | None = None


class ServiceTypePublic(BaseModel):
    id: int
    station: str
    code: str
    name_zh: str
    name_en: str
    active: bool


class ServiceProviderCreate(_Body):
    station: str = Field(min_length=1, max_length=64)
    name: str = Name
    kind: Literal["provider", "volunteer"]
    phone: str | None = Field(default=None, max_length=40)
    type_codes: list[str] = Field(default_factory=list, max_length=20)


class ServiceProviderUpdate(_Body):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    type_codes: list[str] | None = Field(default=None, max_length=20)
    active: bool | None = None


class ServiceProviderPublic(BaseModel):
    id: int
    station: str
    name: str
    kind: str
    phone: str | None
    type_codes: list[str]
    active: bool


# -- service orders ----------------------------------------------------------------------


class ServiceOrderCreate(_Body):
    resident: str = Field(min_length=1, max_length=64)
    type: int = Field(ge=1, le=2**63 - 1, description="the service type's id")
    wanted_at: Moment = Field(description="ISO 8601; without an offset: the home's time")
    notes: str | None = Field(default=None, max_length=1000)


class ServiceOrderChangeBody(_Body):
    to: OrderState
    provider: int | None = Field(default=None, ge=1, le=2**63 - 1)
    note: str | None = Field(default=None, max_length=1000)


class ServiceOrderRating(_Body):
    rating: int = Field(ge=1, le=5)
    note: str | None = Field(default=None, max_length=1000)


class ServiceOrderChangePublic(BaseModel):
    at: str | None
    actor: str
    action: str
    detail: dict[str, Any]


class ServiceOrderPublic(BaseModel):
    id: int
    resident: str
    resident_name: str
    station: str
    type: dict[str, Any]
    wanted_at: str | None
    notes: str | None
    state: str
    provider: dict[str, Any] | None
    created_at: str | None
    created_by: str
    updated_at: str | None
    rating: int | None
    rating_note: str | None
    history: list[ServiceOrderChangePublic]
