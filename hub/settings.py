"""Hub settings from the environment (``ELDERCARE_*``) or keyword arguments.

>>> HubSettings(broker="mqtt://127.0.0.1:1884").broker_url.port
1884
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.topics import DEFAULT_PREFIX
from transport.broker_url import BrokerUrl, BrokerUrlError

from .escalation import DEFAULT_POLICIES, EscalationPolicies


class HubSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ELDERCARE_", frozen=True)

    broker: str = "mqtt://127.0.0.1:1883"
    database: str = "sqlite:///eldercare-hub.db"
    prefix: str = DEFAULT_PREFIX
    client_id: str = "eldercare-hub"
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

    @field_validator("broker")
    @classmethod
    def _broker_url(cls, url: str) -> str:
        try:
            BrokerUrl.parse(url)
        except BrokerUrlError as exc:
            raise ValueError(str(exc)) from None
        return url

    @property
    def broker_url(self) -> BrokerUrl:
        return BrokerUrl.parse(self.broker)

    @classmethod
    def with_policies_file(cls, path: str | Path, **values: object) -> HubSettings:
        policies = EscalationPolicies.model_validate_json(Path(path).read_text("utf-8"))
        return cls(policies=policies, **values)  # type: ignore[arg-type]
