"""Request and response bodies of the API, split into create / update / public shapes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.alert import Outcome
from hub import feedback

from .params import Moment


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StationCreate(_Body):
    name: str = Field(min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=40)
    notify: list[str] = Field(
        default_factory=list, description="apprise URLs told about this station's alerts"
    )


class StationUpdate(_Body):
    """A change of some fields; ``notify`` left out keeps the targets (and their secrets),
    which the API never shows back in clear."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=40)
    notify: list[str] | None = Field(default=None, description="replaces every target")


class StationPublic(BaseModel):
    id: str
    name: str
    address: str | None
    phone: str | None
    notify: list[str] = Field(description="targets with their secrets hidden")
    channel_problems: list[dict[str, Any]] = Field(
        default_factory=list,
        description="the station or a family of its homes has no channel, or a channel "
        "keeps failing (kind, audience, home, target, failures, error, since)",
    )


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
    status_at: str | None = Field(description="since when the edge has said this status")
    config: dict[str, Any]
    active: bool = Field(description="false once deactivated (DELETE /homes/{id})")
    deactivated_at: str | None = None
    deactivated_by: str | None = None
    blind_spots: list[str] = Field(
        default_factory=list,
        description="what no fixed sensor of the home sees: front_door (her outings are "
        "silences at home; not_returned_home cannot be raised), bedroom (a collapse at night "
        "is found the next morning, by not_up, unless a bracelet she wears sees the fall), "
        "bathroom (a long stay there cannot be told), bathroom_exit (nothing sees her leave "
        "the bathroom or sit in the living room: while her routine is learned a collapse "
        "there is raised after 5 h, not 2 h)",
    )


class DeviceModelPublic(BaseModel):
    """One model of the device catalog (devices/catalog.yaml)."""

    model: str
    vendor: str
    description: str
    kind: str
    source: str = Field(description="zigbee2mqtt | native: how the home's edge hears it")
    metrics: list[str]


class ArrivalPublic(BaseModel):
    """A reading or an event the hub took in for a home, as the install check shows it."""

    id: int = Field(description="ask again with after_reading / after_event set to the last")
    type: str = Field(description="reading | event")
    at: str | None = Field(description="event time, in the home's time zone")
    received_at: str | None = Field(default=None, description="events: when the hub got it")
    device: str | None
    metric: str | None = None
    value: float | str | None = None
    kind: str | None = None
    state: str | None = None


class ArrivalsPublic(BaseModel):
    home: str
    status: str
    readings: list[ArrivalPublic] = Field(description="oldest first")
    events: list[ArrivalPublic] = Field(description="oldest first")


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


class UserSave(_Body):
    name: str = Field(min_length=1, max_length=100)
    role: Literal[
        "admin", "dispatcher", "caregiver", "family", "district", "city", "nurse", "head_nurse"
    ]
    # The length and the list of common passwords are checked against the hub's settings
    # (hub.passwords), with a 422 that never quotes the password.
    password: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    stations: list[str] = Field(
        default_factory=list, description="dispatcher, caregiver, nurse, head_nurse"
    )
    residents: list[str] = Field(default_factory=list, description="family: home ids")
    areas: list[str] = Field(
        default_factory=list, description="district: district ids; city: city ids"
    )


class UserPublic(BaseModel):
    username: str
    name: str
    role: str
    phone: str | None
    stations: list[str]
    residents: list[str]
    areas: list[str] = Field(default_factory=list)
    active: bool = Field(description="false once deactivated: cannot log in")
    deactivated_at: str | None
    failed_logins: int = 0
    locked_until: str | None = Field(default=None, description="ISO 8601 while log-ins must wait")
    sessions: int = 0
    channel_problems: list[dict[str, Any]] = Field(
        default_factory=list,
        description="alerts that reach this user's people through no channel: a family's "
        "residents, a dispatcher's stations (see GET /stations/{id})",
    )


class ContactPublic(BaseModel):
    name: str
    relation: str
    phone: str | None
    notify: list[str]


class SilentDevice(BaseModel):
    id: str
    kind: str
    role: str
    last_seen: str | None = Field(description="null: it has never reported")


class WellbeingPublic(BaseModel):
    """What the hub can honestly say about her now (hub/wellbeing.py), with its evidence."""

    state: str = Field(
        description="fine (activity today, gateway online, every device reporting) | quiet "
        "(all reporting, nothing moved today) | offline (gateway or a device silent) | "
        "no_data (no device has ever reported) | in_hospital (her newest case was resolved "
        "as hospital and nothing has moved at home since) | away (an absence is announced "
        "for now: never fine or quiet meanwhile)"
    )
    since: str | None = Field(description="when the state began, where the hub knows it")
    until: str | None = Field(
        default=None, description="the end of the absence announced for now, if any"
    )
    last_activity: str | None
    now: str | None = Field(
        default=None,
        description="the home's time now (the demo's simulated time in the demo), ISO 8601 "
        "in its zone: 'updated at' on the pages",
    )
    gateway: str = Field(description="online | offline | unknown (never heard from)")
    alerts_today: int = Field(
        default=0,
        description="her alerts that began today (since the home's midnight), open or "
        "closed: the family app says all is well today only with none",
    )
    alerts_today_open: int = Field(default=0, description="of those, the ones not resolved")
    devices: int
    silent: list[SilentDevice] = Field(description="devices offline or never reported")


class StationContact(BaseModel):
    """Whom a family calls: the resident's station, its name and phone."""

    id: str
    name: str
    phone: str | None


class DataReadPublic(BaseModel):
    """One read of a resident's data (GET /residents/{id}/reads)."""

    at: str
    username: str
    role: str
    route: str = Field(description='e.g. "GET /residents/{resident_id}/today"')


class AwayCreate(_Body):
    """An absence announced (外出登记): she is away from ``start`` until ``end``."""

    start: Moment = Field(description="ISO 8601; without an offset: the home's time")
    end: Moment = Field(
        description="ISO 8601; without an offset: the home's time. At most 92 days after start"
    )
    note: str = Field(default="", max_length=200, description="e.g. at her daughter's in Hefei")


class AwayPublic(BaseModel):
    """An announced absence, its times in the home's zone."""

    id: str = Field(description="names it: its start, note and announcer (kept when it is ended)")
    start: str | None
    end: str | None
    note: str
    by: str | None = Field(description="the user name of the account that announced it")
    by_name: str | None = Field(description="that account's name, as the pages show it")
    state: Literal["upcoming", "current", "ended"]


class ResidentPublic(BaseModel):
    id: str = Field(description="the resident's home id (one resident per home)")
    name: str
    birth_year: int
    age: int
    address: str | None
    station: str
    timezone: str = Field(
        description="her home's time zone (IANA): the times the pages show and read are hers"
    )
    home_status: str
    contacts: list[ContactPublic]
    open_alerts: int
    devices_offline: int = Field(description="devices whose device_offline alert is active")
    low_battery: list[str] = Field(description="devices at or below 20% battery")
    wellbeing: WellbeingPublic
    away: AwayPublic | None = Field(
        default=None, description="the absence announced for now (外出登记), if any"
    )
    away_next: AwayPublic | None = Field(
        default=None,
        description="the soonest absence announced to start after now, if any (so that a "
        "home visit is not planned for an empty flat)",
    )


# A device as the home config describes it, per language (zh, en): pages name it, never by id.
DeviceNames = Annotated[
    dict[str, str | None],
    Field(description="the device as the home config describes it, per language (zh, en)"),
]


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
    device_name: DeviceNames = {}
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
    audience: str = Field(description="station | family | caregiver | head_nurse")
    target: str = Field(description="the apprise URL, secrets hidden")
    title: str
    state: str = Field(description="pending | sent | failed (given up after its retries)")
    attempts: int
    created_at: str | None
    sent_at: str | None
    last_error: str | None


class DeliverySummary(BaseModel):
    """One audience of an alert: how many notifications were sent, failed or are pending,
    and whether it has no channel at all."""

    sent: int = 0
    failed: int = 0
    pending: int = 0
    no_channel: bool = False


class EarlierEvidence(BaseModel):
    """What another device saw of the same occurrence before the alert's own device did."""

    device: str | None = Field(description="its id (null from an edge that named none)")
    device_name: DeviceNames = {}
    evidence: dict[str, Any]
    evidence_text: dict[str, str] = Field(
        description="its evidence in plain words, by language (zh, en)"
    )


class AlertDetail(AlertPublic):
    history: list[AlertChangePublic]
    earlier_evidence: list[EarlierEvidence] = Field(
        default_factory=list,
        description="what the alert's other devices saw of this occurrence, the newest of "
        "each (the band's impact, once the bathroom radar's fall updated the alert and it "
        "shows the radar's evidence); from the history's device changes",
    )
    notifications: list[NotificationPublic] = Field(
        description="who was told, through what, and whether it got there"
    )
    delivered: dict[str, DeliverySummary] = Field(
        default_factory=dict, description="per audience (station, family): what was sent"
    )
    has_window: bool = Field(
        default=False, description="an accelerometer window: GET /alerts/{id}/window has it"
    )
    reopen_until: str | None = Field(
        default=None, description="a resolved case can be reopened until then (else null)"
    )


class ReopenBody(_Body):
    note: str | None = Field(default=None, max_length=2000)


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
    now: str | None = Field(
        default=None,
        description="the home's time now (the demo's simulated time in the demo), ISO 8601 "
        "in its zone: 'updated at' on the pages",
    )
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
