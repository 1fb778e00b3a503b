"""Hub settings from the environment (``ELDERCARE_*``) or keyword arguments.

>>> HubSettings(broker="mqtt://127.0.0.1:1884").broker_url.port
1884
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from contracts.topics import DEFAULT_PREFIX
from transport.broker_url import BrokerUrl, BrokerUrlError
from transport.credentials import broker_url

from .channels import template_problem
from .escalation import DEFAULT_POLICIES, EscalationPolicies
from .influx_settings import InfluxSettings


class HubSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ELDERCARE_", frozen=True)

    broker: str = "mqtt://127.0.0.1:1883"
    database: str = "sqlite:///eldercare-hub.db"
    prefix: str = DEFAULT_PREFIX
    # The hub's MQTT client id. Unset: one generated at the first start of this installation
    # and kept in the store (hub_meta), so that no other client takes the hub's session by
    # chance. A second hub with the same id is refused at start (hub.presence).
    client_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:\-]{1,128}$")
    # With a group name, several hub workers share the homes' traffic through MQTT 5 shared
    # subscriptions ($share/<group>/...) over one PostgreSQL, which arbitrates between them
    # (hub.arbiter); without one, this hub takes all of it. Each worker needs a stable slot
    # (ELDERCARE_WORKER: "1", "2", ...): its MQTT client id and persistent session, which
    # Mosquitto keeps, with the messages it holds, until that slot's worker is back
    # (docs/hub-at-scale.md, "Several hub workers").
    shared_group: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_\-]{1,32}$")
    worker: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_\-]{1,32}$")
    language: str = "zh"
    # With no account in the store yet, an "admin" account with this password is created at
    # start (the first log-in of a new installation); ignored once accounts exist.
    admin_password: str | None = Field(default=None, repr=False)
    # A contact's notify channel ("sms", "call", "wechat") -> apprise URL template with
    # {phone} and {name}, e.g. {"sms": "json://sms-gateway.local/send?to={phone}"}.
    contact_targets: dict[str, str] = Field(default_factory=dict)
    policies: EscalationPolicies = DEFAULT_POLICIES
    # A home whose edge says "offline" (or whose hosted process died) for this long gets a
    # home_offline alert: nothing that happens there reaches the station.
    home_offline_after_s: float = Field(default=900.0, gt=0)
    batch_max: int = Field(default=500, ge=1)  # messages per ingest transaction
    escalation_tick_s: float = Field(default=1.0, gt=0)
    delivery_attempts: int = Field(default=8, ge=1)
    delivery_retry_s: float = Field(default=5.0, gt=0)  # doubles per attempt, up to 10 min
    delivery_timeout_s: float = Field(default=10.0, gt=0)
    # Who runs this hub, for the push services (the VAPID "sub" claim): they write to it when
    # the hub's Web Push misbehaves. A mailto: or https: URL.
    webpush_subject: str = Field(
        default="mailto:admin@eldercare.invalid", pattern=r"^(mailto:|https://)\S+$"
    )
    delivery_concurrency: int = Field(default=8, ge=1)
    # Reconnecting to the broker: a jittered delay doubling from 0.5 s up to this.
    reconnect_max_s: float = Field(default=3.0, gt=0)
    # Degraded (GET /health, the console's banner) when the broker has been unreachable
    # this long; a store failure or a session takeover is shown at once.
    broker_down_after_s: float = Field(default=15.0, ge=0)
    # A batch the store could not take is tried again after a delay doubling up to this.
    store_retry_max_s: float = Field(default=5.0, gt=0)
    # Database connections are opened anew after this long (a file made read-only or
    # writable again is noticed); unset: kept while they work.
    store_recycle_s: float | None = Field(default=300.0, gt=0)
    # Another hub answering to the same client id is waited for this long at start.
    presence_probe_s: float = Field(default=3.0, gt=0)
    # Password checks run here, one at a time by default, never on ingest's thread; log-ins
    # waiting beyond login_queue_max are answered 503.
    login_workers: int = Field(default=1, ge=1)
    login_queue_max: int = Field(default=32, ge=1)
    # -- the web: sessions, cookies, log-in throttling, passwords (docs/security.md) --
    # A session ends after this long without a request (an open live WebSocket counts as
    # use), and in any case this long after the log-in.
    session_idle_s: float = Field(default=12 * 3600.0, gt=0)
    session_absolute_s: float = Field(default=7 * 86400.0, gt=0)
    # How often an open WebSocket checks that its session still holds (log-out, password or
    # role change, expiry close it within this).
    session_check_s: float = Field(default=5.0, gt=0)
    # The session cookie's Secure flag: on behind HTTPS, which is every installation but the
    # demo and tests on plain http://127.0.0.1 (they turn it off explicitly).
    cookie_secure: bool = True
    # Origins (scheme://host[:port]) whose pages may write with the session cookie, besides
    # the one the request was sent to (its Host header); e.g. the public address behind a
    # reverse proxy that rewrites Host.
    public_origins: list[str] = Field(default_factory=list)
    # Failed log-ins allowed per account (and per client address) before each further one
    # waits: login_delay_s, doubling per failure up to login_delay_max_s. Failures are
    # forgotten login_forget_s after the last one.
    login_free_failures: int = Field(default=5, ge=1)
    login_free_failures_per_address: int = Field(default=20, ge=1)
    login_delay_s: float = Field(default=2.0, gt=0)
    login_delay_max_s: float = Field(default=900.0, gt=0)
    login_forget_s: float = Field(default=24 * 3600.0, gt=0)
    # Passwords shorter than this, or on the list of common passwords, are refused (the
    # API's accounts and the first admin). The demo alone allows weak ones ("demo").
    password_min_length: int = Field(default=10, ge=1)
    allow_weak_passwords: bool = False
    # What the hub keeps.
    rejected_max: int = Field(default=1000, ge=1)  # newest refused messages kept
    retention_every_s: float = Field(default=3600.0, gt=0)
    retention_chunk: int = Field(default=500, ge=1)  # rows per delete: ingest never waits long
    retention_received_days: float = Field(default=30.0, gt=0)  # (edge, seq) for dedup
    retention_rejected_days: float = Field(default=30.0, gt=0)
    retention_events_days: float = Field(default=365.0, gt=0)  # not those of open alerts
    retention_deliveries_days: float = Field(default=90.0, gt=0)  # sent or given up
    retention_outgoing_days: float = Field(default=30.0, gt=0)  # sent configs, commands
    retention_sessions_days: float = Field(default=1.0, ge=0)  # after a log-in expired
    retention_audit_days: float = Field(default=365.0, gt=0)  # who read whose data
    retention_login_failures_days: float = Field(default=7.0, gt=0)  # after the last failure
    # Readings by event time (the pages show today and the last weeks); unset: kept.
    retention_readings_days: float | None = Field(default=30.0, gt=0)
    # Resolved alerts with their history, events and deliveries: the station's record of
    # care, kept unless this is set.
    retention_alerts_days: float | None = Field(default=None, gt=0)
    # Readings in InfluxDB too (ELDERCARE_INFLUX_*, hub.influx_settings); unset URL: not.
    influx: InfluxSettings = Field(default_factory=InfluxSettings)

    @field_validator("broker")
    @classmethod
    def _broker_url(cls, url: str) -> str:
        try:
            BrokerUrl.parse(url)
        except BrokerUrlError as exc:
            raise ValueError(str(exc)) from None
        return url

    @field_validator("contact_targets")
    @classmethod
    def _contact_templates(cls, targets: dict[str, str]) -> dict[str, str]:
        # Refused at start: at the first fall it would cost the family's every message.
        for channel, template in targets.items():
            problem = template_problem(template)
            if problem is not None:
                raise ValueError(f"the {channel!r} template: {problem}")
        return targets

    @field_validator("database")
    @classmethod
    def _database_url(cls, url: str) -> str:
        try:
            make_url(url)
        except ArgumentError:
            raise ValueError(
                f"{url!r} is not a database URL: give e.g. sqlite:///eldercare-hub.db "
                "or postgresql://user@host/eldercare"
            ) from None
        return url

    @model_validator(mode="after")
    def _workers(self) -> HubSettings:
        if self.shared_group is None:
            if self.worker is not None:
                raise ValueError(
                    "ELDERCARE_WORKER names a worker slot of a shared group: set "
                    "ELDERCARE_SHARED_GROUP too, or leave ELDERCARE_WORKER unset"
                )
            return self
        if make_url(self.database).get_backend_name() == "sqlite":
            raise ValueError(
                "ELDERCARE_SHARED_GROUP needs a PostgreSQL store (ELDERCARE_DATABASE="
                "postgresql://...): several workers cannot share one SQLite file"
            )
        if self.worker is None:
            raise ValueError(
                "ELDERCARE_SHARED_GROUP needs ELDERCARE_WORKER, this worker's stable slot "
                "(1, 2, ...): the broker keeps a worker's messages for its slot's next start"
            )
        return self

    @property
    def broker_url(self) -> BrokerUrl:
        """The broker with the hub's credentials (ELDERCARE_MQTT_USERNAME, _PASSWORD_FILE...);
        read again at every connect, so a rotated password file is used at the next one."""
        return broker_url(self.broker)
