"""The hub's tables (SQLAlchemy 2 ORM). SQLite by default; nothing here is SQLite-only.

Times are epoch seconds (UTC) as floats: event time for what homes report, wall-clock time
for what happens at the hub (acknowledgements, timers). The API turns them into ISO 8601 in
the home's time zone.

One resident per home: a resident is addressed by the id of their home (``resident`` in
alerts and URLs is the home id). The home config (ARCHITECTURE.md) is the source of truth for
the resident, the devices and the contacts; ``homes.config`` keeps it whole and the other
columns are copies the queries need.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Ids and counters are 64-bit in every store: SQLite's INTEGER is, PostgreSQL's is not (an id
# beyond 2**31 was a 500 there). SQLite keeps INTEGER, which its rowid primary keys need.
BigInt = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        int: BigInt,
    }


class City(Base):
    """A city (市): the civil-affairs bureau that supervises its districts' stations."""

    __tablename__ = "cities"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class District(Base):
    """A district or county (区/县) of a city; its stations are the communities' (hub.districts)."""

    __tablename__ = "districts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    city_id: Mapped[str] = mapped_column(ForeignKey("cities.id"), index=True)


class Station(Base):
    """A community eldercare station (社区养老服务站) and where its alerts are sent."""

    __tablename__ = "stations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(40))
    # apprise URLs (DingTalk, WeCom, Feishu, e-mail, webhooks) told about this station's alerts
    notify: Mapped[list[str]] = mapped_column(default=list)
    # The district it reports to; None: not yet placed (only the admin's reports count it).
    district_id: Mapped[str | None] = mapped_column(ForeignKey("districts.id"), index=True)


class Home(Base):
    __tablename__ = "homes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), index=True)
    config: Mapped[dict[str, Any]]  # the HomeConfig document, as pushed to the edge
    resident_name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[float] = mapped_column(Float)
    # what the home's edge last said on <prefix>/<home>/status
    status: Mapped[str] = mapped_column(String(16), default="unknown")
    status_at: Mapped[float | None] = mapped_column(Float)
    status_document: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    hosted_by: Mapped[str | None] = mapped_column(String(64))  # hosted-edge process id
    # Deactivated, not deleted: its alerts, readings and history stay; it leaves the lists
    # and the queue of staff and family, and its events open no alert (hub.registry).
    deactivated_at: Mapped[float | None] = mapped_column(Float)
    deactivated_by: Mapped[str | None] = mapped_column(String(100))


class Device(Base):
    """A device of a home and its liveness, from telemetry and the edge's heartbeat."""

    __tablename__ = "devices"

    home_id: Mapped[str] = mapped_column(ForeignKey("homes.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(128))
    model: Mapped[str | None] = mapped_column(String(64))
    last_seen: Mapped[float | None] = mapped_column(Float)
    battery: Mapped[float | None] = mapped_column(Float)
    offline: Mapped[bool] = mapped_column(Boolean, default=False)  # device_offline is open


class Received(Base):
    """Every ``(home, edge, seq)`` taken in: a replayed outbox is recognised and dropped.

    ``home`` is the home of the topic, which the broker's ACL vouches for; ``edge`` is only
    what the payload claims. Keyed by both, one home's account cannot make the hub drop
    another home's messages as duplicates by claiming its edge's name."""

    __tablename__ = "received"

    home: Mapped[str] = mapped_column(String(64), primary_key=True)
    edge: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInt, primary_key=True)
    at: Mapped[float] = mapped_column(Float, index=True)  # retention deletes by it


class Rejected(Base):
    """A message the hub could not take in, kept for the operator to look at."""

    __tablename__ = "rejected"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    at: Mapped[float] = mapped_column(Float, index=True)
    topic: Mapped[str] = mapped_column(String(300))
    problem: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[bytes] = mapped_column(LargeBinary)  # first bytes only


class ReadingRow(Base):
    __tablename__ = "readings"
    __table_args__ = (Index("ix_readings_home_metric_ts", "home_id", "metric", "ts"),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    home_id: Mapped[str] = mapped_column(String(64))
    device: Mapped[str] = mapped_column(String(64))
    metric: Mapped[str] = mapped_column(String(32))
    ts: Mapped[float] = mapped_column(Float)
    number: Mapped[float | None] = mapped_column(Float)  # numbers, and booleans as 0/1
    text: Mapped[str | None] = mapped_column(String(32))  # "open", "closed", "fall", ...


class EventRow(Base):
    """An event as the edge sent it (raised, updated, cleared), and the alert it went to."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    edge: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(BigInt)
    home_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    ts: Mapped[float] = mapped_column(Float)
    started: Mapped[float] = mapped_column(Float)
    detector: Mapped[str] = mapped_column(String(64))
    device: Mapped[str | None] = mapped_column(String(64))
    evidence: Mapped[dict[str, Any]]
    # The wearable's accelerometer samples around a fall, as the edge sent them (kept apart
    # from the evidence so that alert lists stay small).
    window: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    received_at: Mapped[float] = mapped_column(Float, index=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)


class Alert(Base):
    """One case: active or cleared × unacknowledged or acknowledged, until resolved.

    At most one unresolved alert per home and kind (the partial unique index), so a repeat
    of the same condition updates the case instead of opening a second one.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        Index(
            "uq_alerts_open_per_kind",
            "home_id",
            "kind",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        Index("ix_alerts_station_open", "station_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    home_id: Mapped[str] = mapped_column(ForeignKey("homes.id"))
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"))
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    acknowledged: Mapped[bool] = mapped_column(Boolean, default=False)
    started: Mapped[float] = mapped_column(Float)  # event time the condition began
    raised_at: Mapped[float] = mapped_column(Float)  # wall clock at the hub
    updated_at: Mapped[float] = mapped_column(Float)
    cleared_at: Mapped[float | None] = mapped_column(Float)
    acknowledged_at: Mapped[float | None] = mapped_column(Float)
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    assignee: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[float | None] = mapped_column(Float, index=True)
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str | None] = mapped_column(String(32))
    detector: Mapped[str] = mapped_column(String(64))
    device: Mapped[str | None] = mapped_column(String(64))
    evidence: Mapped[dict[str, Any]]
    # related events that did not open their own alert (no_activity while she is down)
    related: Mapped[list[str]] = mapped_column(default=list)
    escalation_step: Mapped[int] = mapped_column(BigInt, default=0)


class AlertChange(Base):
    """The history of an alert: who did what, when."""

    __tablename__ = "alert_history"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    at: Mapped[float] = mapped_column(Float)
    actor: Mapped[str] = mapped_column(String(100))  # a user, "edge:<id>" or "hub"
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class FeedbackChange(Base):
    """One change of a home's outcome-feedback factor for an alert kind (hub/feedback.py):
    raised after a false alarm, decayed, or set by an admin. Kept for good: a few rows per
    home and kind a month at most."""

    __tablename__ = "feedback_changes"
    __table_args__ = (Index("ix_feedback_changes_home_kind", "home_id", "kind", "id"),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    home_id: Mapped[str] = mapped_column(ForeignKey("homes.id"))
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[float] = mapped_column(Float)
    actor: Mapped[str] = mapped_column(String(100))  # a user, or "hub"
    reason: Mapped[str] = mapped_column(String(16))  # false_alarm | decay | admin | config
    factor_from: Mapped[float] = mapped_column(Float)
    factor_to: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    # Not a foreign key: alerts may be deleted by retention, their consequences stay logged.
    alert_id: Mapped[int | None] = mapped_column(BigInt)


class EscalationTimer(Base):
    """The next escalation step of an unacknowledged alert; in the store so it survives."""

    __tablename__ = "escalations"

    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), primary_key=True)
    step: Mapped[int] = mapped_column(BigInt)
    due_at: Mapped[float] = mapped_column(Float, index=True)


class Delivery(Base):
    """One notification to one outbound target (apprise URL), written in the same
    transaction as the alert change that caused it and retried until sent or given up."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    # One of the two: the alert change that caused it, or a family's morning summary.
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    summary_id: Mapped[int | None] = mapped_column(ForeignKey("family_summaries.id"), index=True)
    audience: Mapped[str] = mapped_column(String(16))  # station | family | paging | summary
    target: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # sent | failed
    attempts: Mapped[int] = mapped_column(BigInt, default=0)
    next_at: Mapped[float] = mapped_column(Float, index=True)
    created_at: Mapped[float] = mapped_column(Float, index=True)
    sent_at: Mapped[float | None] = mapped_column(Float)
    last_error: Mapped[str | None] = mapped_column(Text)


class OutgoingMessage(Base):
    """An MQTT message for a home (config, command), published by the hub's session.

    Written in the transaction that decided it, so a crash before the publish only delays it.
    ``sent_at`` is set once the broker took it; with several workers, the one publishing it
    holds it until ``claimed_until`` (a lease: a worker that dies before the publish leaves
    it due again for the others when the lease ends).
    """

    __tablename__ = "mqtt_outbox"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    topic: Mapped[str] = mapped_column(String(300))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    retain: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[float] = mapped_column(Float)
    sent_at: Mapped[float | None] = mapped_column(Float, index=True)
    claimed_until: Mapped[float | None] = mapped_column(Float)


class FeedSpill(Base):
    """A live-feed message too large for a NOTIFY (hub.feed_relay): the NOTIFY carries its
    id and the other workers read it here. Kept about a minute."""

    __tablename__ = "feed_spill"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float, index=True)


class User(Base):
    """Someone who logs in: admin, dispatcher or caregiver (of stations), family (of
    residents). The password is kept only as an argon2 hash."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))  # shown in alert histories
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    stations: Mapped[list[str]] = mapped_column(default=list)
    residents: Mapped[list[str]] = mapped_column(default=list)
    # district and city accounts: the districts (or cities) whose stations they oversee
    areas: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # family: when the morning summary comes, "HH:MM" in the resident's time zone; None: never
    summary_at: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[float] = mapped_column(Float)
    # A deactivated account cannot log in and its sessions are gone; its name stays in the
    # alert histories it wrote.
    deactivated_at: Mapped[float | None] = mapped_column(Float)


class LoginSession(Base):
    """A logged-in browser or app; the token itself is never stored, only its SHA-256."""

    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("users.username", ondelete="CASCADE"))
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float, index=True)  # absolute: created + max
    # The last request (written at most once a minute); idle expiry counts from it. Unset
    # in a store made before idle expiry: counted from created_at.
    last_seen_at: Mapped[float | None] = mapped_column(Float)


class LoginFailure(Base):
    """Failed log-ins of one account (``user:<name>``, also for names that do not exist,
    so that both behave alike) or one client address (``addr:<ip>``), and until when the
    next attempt must wait. In the store, so a restart or another worker does not reset it."""

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(BigInt)
    last_failed_at: Mapped[float] = mapped_column(Float, index=True)
    locked_until: Mapped[float] = mapped_column(Float)


class ReadAudit(Base):
    """One read of a resident's data by someone (who, which resident, when, what route):
    the answer to "who looked at my mother's data"."""

    __tablename__ = "read_audit"
    __table_args__ = (Index("ix_read_audit_resident_at", "resident", "at"),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    at: Mapped[float] = mapped_column(Float, index=True)
    username: Mapped[str] = mapped_column(String(64))  # not a foreign key: outlives accounts
    role: Mapped[str] = mapped_column(String(16))
    resident: Mapped[str] = mapped_column(String(64))  # the home id
    route: Mapped[str] = mapped_column(String(200))  # e.g. "GET /residents/{resident_id}/today"


class Meta(Base):
    """The hub's own facts about this installation, e.g. its MQTT client id."""

    __tablename__ = "hub_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ReadingHour(Base):
    """Per home, metric and hour: how many readings, their lowest, highest and sum (the mean
    is ``total / count``); what the pages' charts show once readings go to InfluxDB
    (hub.reading_hours). Text readings (doors) count, with no figures."""

    __tablename__ = "reading_hours"

    home_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    hour: Mapped[int] = mapped_column(BigInt, primary_key=True)  # epoch seconds, UTC hour start
    count: Mapped[int] = mapped_column(BigInt)
    low: Mapped[float | None] = mapped_column(Float)
    high: Mapped[float | None] = mapped_column(Float)
    total: Mapped[float | None] = mapped_column(Float)


class PushSubscription(Base):
    """A family user's browser that takes Web Push notifications (the app closed): where to
    send (the push service's endpoint) and the keys its messages are encrypted to."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    username: Mapped[str] = mapped_column(
        ForeignKey("users.username", ondelete="CASCADE"), index=True
    )
    endpoint: Mapped[str] = mapped_column(Text, unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))  # the browser's public key, base64url
    auth: Mapped[str] = mapped_column(String(100))  # its authentication secret, base64url
    created_at: Mapped[float] = mapped_column(Float)


class FamilySummary(Base):
    """One morning summary for one family user about one resident's previous day and night:
    made once (the unique key), so a restart neither repeats nor loses it (hub.family_summary).
    ``facts`` holds the figures and the hourly activity its chart shows; the texts are made
    from them at the time, in both languages."""

    __tablename__ = "family_summaries"
    __table_args__ = (Index("uq_family_summaries_once", "username", "home_id", "day", unique=True),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    username: Mapped[str] = mapped_column(
        ForeignKey("users.username", ondelete="CASCADE"), index=True
    )
    home_id: Mapped[str] = mapped_column(ForeignKey("homes.id"))
    day: Mapped[str] = mapped_column(String(10))  # the day summed up, ISO date, home's zone
    created_at: Mapped[float] = mapped_column(Float, index=True)
    facts: Mapped[dict[str, Any]]
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    channels: Mapped[int] = mapped_column(BigInt, default=0)  # deliveries queued for it


class Institution(Base):
    """A care home (养老院, 护理院) or day-care centre. It is a station to the hub (its
    homes' alerts and its staff's scope are the station's: same id), with what a ward needs
    besides: how its alerts escalate (caregiver on duty, nurse station, head nurse) and its
    own severities for some kinds (hub/ward_routing.py)."""

    __tablename__ = "institutions"

    id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    # Seconds after the raise at which an unacknowledged alert goes to the nurse station,
    # then to the head nurse, and how often the head nurse is told again after that.
    station_after_s: Mapped[float] = mapped_column(Float)
    head_nurse_after_s: Mapped[float] = mapped_column(Float)
    repeat_s: Mapped[float] = mapped_column(Float)
    severities: Mapped[dict[str, Any]]  # kind -> severity, overriding the detector's


class Unit(Base):
    """A wing or a floor (3F, 东区) of an institution, with its nurse station and rounds."""

    __tablename__ = "units"
    __table_args__ = (Index("uq_units_name", "institution_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    name: Mapped[str] = mapped_column(String(64))
    # Night rounds: a round of every room every rounds_every_s between these local times.
    rounds_every_s: Mapped[float] = mapped_column(Float)
    rounds_from: Mapped[str] = mapped_column(String(5))  # "22:00"
    rounds_until: Mapped[str] = mapped_column(String(5))  # "06:00"


class Room(Base):
    __tablename__ = "rooms"
    __table_args__ = (Index("uq_rooms_name", "unit_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(String(32))


class Bed(Base):
    """A bed and who sleeps in it now (a home id: one resident per home config)."""

    __tablename__ = "beds"
    __table_args__ = (Index("uq_beds_name", "room_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), index=True)
    name: Mapped[str] = mapped_column(String(16))
    home_id: Mapped[str | None] = mapped_column(ForeignKey("homes.id"), unique=True)


class BedAssignment(Base):
    """Who slept in which bed from when to when: a move closes one row and opens another."""

    __tablename__ = "bed_assignments"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    bed_id: Mapped[int] = mapped_column(ForeignKey("beds.id"), index=True)
    home_id: Mapped[str] = mapped_column(ForeignKey("homes.id"), index=True)
    since: Mapped[float] = mapped_column(Float)
    until: Mapped[float | None] = mapped_column(Float)
    by: Mapped[str] = mapped_column(String(100))


class Shift(Base):
    """A caregiver on duty from ``starts_at`` to ``ends_at`` (wall clock) for some rooms."""

    __tablename__ = "shifts"
    __table_args__ = (Index("ix_shifts_user_time", "username", "ends_at"),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    username: Mapped[str] = mapped_column(ForeignKey("users.username"))
    starts_at: Mapped[float] = mapped_column(Float)
    ends_at: Mapped[float] = mapped_column(Float)
    rooms: Mapped[list[str]] = mapped_column(JSON)  # room ids, as text (a JSON list)


class RoundVisit(Base):
    """A caregiver looked into a room on a night round."""

    __tablename__ = "rounds"
    __table_args__ = (Index("ix_rounds_room_at", "room_id", "at"),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"))
    at: Mapped[float] = mapped_column(Float)
    by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)


# -- care operations: visits (探访) and service orders (#16) ---------------------------------


class VisitTier(Base):
    """How often a station checks on a resident and how (e.g. a daily phone call, a weekly
    phone or video call, a monthly home visit): the station's own list."""

    __tablename__ = "visit_tiers"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    every_days: Mapped[int] = mapped_column(BigInt)
    method: Mapped[str] = mapped_column(String(16))  # phone | video | home: the usual way
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class VisitPlan(Base):
    """A resident's visit plan: a tier of her station and who is responsible for it."""

    __tablename__ = "visit_plans"

    home_id: Mapped[str] = mapped_column(ForeignKey("homes.id"), primary_key=True)
    tier_id: Mapped[int] = mapped_column(ForeignKey("visit_tiers.id"), index=True)
    responsible: Mapped[str] = mapped_column(String(100))  # a caregiver's or volunteer's name
    responsible_kind: Mapped[str] = mapped_column(String(16))  # caregiver | volunteer
    since: Mapped[float] = mapped_column(Float)  # the first visit is due that day
    updated_at: Mapped[float] = mapped_column(Float)
    updated_by: Mapped[str] = mapped_column(String(100))


class Visit(Base):
    """One visit or attempt: who, when, how, whether she was reached, what was found."""

    __tablename__ = "visits"
    __table_args__ = (
        Index("ix_visits_home_at", "home_id", "at"),
        Index("ix_visits_station_at", "station_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    home_id: Mapped[str] = mapped_column(ForeignKey("homes.id"))
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"))
    at: Mapped[float] = mapped_column(Float)
    visitor: Mapped[str] = mapped_column(String(100))
    recorded_by: Mapped[str] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(16))  # phone | video | home
    reached: Mapped[bool] = mapped_column(Boolean)
    # eating, medication, home_safe, mood -> "ok" | "concern" (left out: not checked)
    checks: Mapped[dict[str, Any]] = mapped_column(default=dict)
    notes: Mapped[str | None] = mapped_column(Text)
    follow_up: Mapped[str | None] = mapped_column(Text)
    alert_id: Mapped[int | None] = mapped_column(BigInt)  # the alert resolved as visited


class ServiceType(Base):
    """A service the station arranges (助餐 meals, 助浴 bathing, 助洁 cleaning, ...)."""

    __tablename__ = "service_types"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))  # meal | bath | clean | doctor | repair | ...
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ServiceProvider(Base):
    """Who delivers services for a station: a provider (a canteen, a cleaning firm) or a
    volunteer."""

    __tablename__ = "service_providers"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # provider | volunteer
    phone: Mapped[str | None] = mapped_column(String(40))
    type_codes: Mapped[list[str]] = mapped_column(default=list)  # what it can do
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ServiceOrder(Base):
    """A service ordered for a resident, by her family or by a dispatcher."""

    __tablename__ = "service_orders"
    __table_args__ = (Index("ix_service_orders_station_created", "station_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    home_id: Mapped[str] = mapped_column(ForeignKey("homes.id"), index=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"))
    type_id: Mapped[int] = mapped_column(ForeignKey("service_types.id"))
    wanted_at: Mapped[float] = mapped_column(Float)
    notes: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("service_providers.id"))
    created_at: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[float] = mapped_column(Float)
    rating: Mapped[int | None] = mapped_column(BigInt)  # 1-5, by the family once done
    rating_note: Mapped[str | None] = mapped_column(Text)


class ServiceOrderChange(Base):
    """The history of an order: who moved it to which state, when."""

    __tablename__ = "service_order_history"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id"), index=True)
    at: Mapped[float] = mapped_column(Float)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(16))  # a state, or "rated"
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
