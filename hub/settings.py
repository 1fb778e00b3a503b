"""Hub settings from the environment (``ELDERCARE_*``) or keyword arguments.

>>> HubSettings(broker="mqtt://127.0.0.1:1884").broker_url.port
1884
"""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from contracts.topics import DEFAULT_PREFIX
from transport.broker_url import BrokerUrl, BrokerUrlError

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
    # subscriptions ($share/<group>/...); without one, this hub takes all of it. Experimental:
    # untested with several workers, which may then handle events of one home at once.
    shared_group: str | None = None
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

    @property
    def broker_url(self) -> BrokerUrl:
        return BrokerUrl.parse(self.broker)
