"""Request and response bodies of the API, split into create / update / public shapes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contracts.alert import Outcome
from hub import feedback


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StationCreate(_Body):
    name: str = Field(min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=40)
    notify: list[str] = Field(
        default_factory=list, description="apprise URLs told about this station's alerts"
    )


class StationPublic(BaseModel):
    id: str
    name: str
    address: str | None
    phone: str | None
    notify: list[str] = Field(description="targets with their secrets hidden")


class DevicePublic(BaseModel):
    id: str
    kind: str
    role: str
    source: str
    model: str | None
    last_seen: str | None
    battery: float | None
    online: bool | None = Field(description="null until the device has been heard from")


class HomePublic(BaseModel):
    id: str
    station: str
    resident_name: str
    status: str = Field(description="online | offline | unknown: what the home's edge said")
    status_at: str | None
    config: dict[str, Any]


class FeedbackChangePublic(BaseModel):
    """One change of a home's outcome-feedback factor."""

    model_config = ConfigDict(populate_by_name=True)

    at: str | None
    kind: str
    factor_from: float = Field(alias="from")
    factor_to: float = Field(alias="to")
    actor: str = Field(description="who: a user's name, or hub")
    reason: str = Field(
        description="false_alarm (a dispatcher's outcome) | decay (quiet weeks) | admin "
        "(set here) | config (a saved home config)"
    )
    note: str | None
    alert: int | None = Field(description="the alert whose outcome made the change")


class FeedbackRules(BaseModel):
    step: float = Field(description="a false alarm multiplies the factor by this")
    cap: float
    lowest: float = Field(description="the lowest factor an admin may set")
    spacing_days: float = Field(description="at most one automatic step per kind this often")
    decay_after_days: float = Field(
        description="a factor above 1 steps back after this many days without a false alarm"
    )


class FeedbackPublic(BaseModel):
    home: str
    factors: dict[str, float] = Field(
        description="every kind that adapts, with its factor (1: the detector's own limit)"
    )
    changes: list[FeedbackChangePublic] = Field(description="newest first")
    rules: FeedbackRules


class FeedbackSet(_Body):
    factor: float = Field(
        ge=feedback.LOWEST, le=feedback.CAP, description="1 undoes every adaptation of the kind"
    )
    note: str | None = Field(default=None, max_length=500, description="why, for the log")


class ContactPublic(BaseModel):
    name: str
    relation: str
    phone: str | None
    notify: list[str]


class DataReadPublic(BaseModel):
    """One read of a resident's data (GET /residents/{id}/reads)."""

    at: str
    username: str
    role: str
    route: str = Field(description='e.g. "GET /residents/{resident_id}/today"')


class ResidentPublic(BaseModel):
    id: str = Field(description="the resident's home id (one resident per home)")
    name: str
    birth_year: int
    age: int
    address: str | None
    station: str
    home_status: str
    contacts: list[ContactPublic]
    open_alerts: int
    devices_offline: int = Field(description="devices whose device_offline alert is active")
    low_battery: list[str] = Field(description="devices at or below 20% battery")


class AlertPublic(BaseModel):
    id: int
    home: str
    resident: str
    resident_name: str
    station: str
    kind: str
    severity: str
    state: str
    active: bool
    acknowledged: bool
    resolved: bool
    started: str | None
    raised_at: str | None
    updated_at: str | None
    cleared_at: str | None
    acknowledged_at: str | None
    acknowledged_by: str | None
    assignee: str | None
    resolved_at: str | None
    resolved_by: str | None
    outcome: str | None
    detector: str
    device: str | None
    evidence: dict[str, Any]
    evidence_text: dict[str, str] = Field(
        description="the evidence in plain words, by language (zh, en), as notifications say it"
    )
    related: list[str]
    escalation_step: int


class AlertChangePublic(BaseModel):
    at: str | None
    actor: str
    action: str
    detail: dict[str, Any]


class NotificationPublic(BaseModel):
    audience: str = Field(description="station | family")
    target: str = Field(description="the apprise URL, secrets hidden")
    title: str
    state: str = Field(description="pending | sent | failed (given up after its retries)")
    attempts: int
    created_at: str | None
    sent_at: str | None
    last_error: str | None


class AlertDetail(AlertPublic):
    history: list[AlertChangePublic]
    notifications: list[NotificationPublic] = Field(
        description="who was told, through what, and whether it got there"
    )


class AssignBody(_Body):
    assignee: str = Field(min_length=1, max_length=100)


class CommentBody(_Body):
    text: str = Field(min_length=1, max_length=2000)


class ResolveBody(_Body):
    outcome: Outcome
    note: str | None = Field(default=None, max_length=2000)


class HourPublic(BaseModel):
    hour: str = Field(description="start of the hour, ISO 8601 in the home's time zone")
    count: int
    min: float | None = None
    mean: float | None = None
    max: float | None = None


class HistoryPublic(BaseModel):
    resident: str
    metric: str
    start: str
    end: str
    hours: list[HourPublic]


class TimelineEntry(BaseModel):
    at: str
    device: str | None
    role: str | None
    what: str = Field(
        description="door_open | door_closed | motion | presence | absent | got_up | alert"
    )
    kind: str | None = None


class HeartRateNow(BaseModel):
    last: float | None
    at: str | None


class TodayPublic(BaseModel):
    date: str
    got_up_at: str | None = Field(
        description="when she got up, as the home's not_up detector decides it: the first "
        "sign of her outside the bedroom after her night (a trip to the toilet and back to "
        "bed is not it)"
    )
    got_up_known: bool = Field(
        description="whether the readings can tell when (or whether) she got up that day; "
        "false when monitoring began after her night (a new home, the first day of the "
        "demo): got_up_at is then null without meaning 'not up yet'"
    )
    last_activity: str | None
    steps: int | None
    heart_rate: HeartRateNow
    timeline: list[TimelineEntry]


class AccelWindowPublic(BaseModel):
    """The wearable's accelerometer samples around the fall, in g."""

    alert: int
    device: str
    rate_hz: float | None = Field(
        description="samples per second; null if the stored one is not a number"
    )
    start: str | None = Field(
        description="time of the first sample, ISO 8601; null if the stored time is impossible"
    )
    samples: list[tuple[float, float, float]]
