"""Where readings go besides the SQL store: an InfluxDB, from ``ELDERCARE_INFLUX_*``.

Unset URL: no InfluxDB, every reading stays in the SQL store (with its retention).

* ``api="v2"`` (InfluxDB 2.x, 3.x, and 1.8+ through its v2 compatibility endpoints): a token
  (1.8: ``user:password``), an organisation (1.8: ``-``) and a bucket (1.8:
  ``database/retention-policy``), written through influxdb-client's WriteApi;
* ``api="v1"`` (older 1.x servers such as Debian's 1.6.7, which answer only ``/write`` and
  ``/query``): a database, and a user and password when the server asks for them.

Secrets are ``SecretStr``: no log line, repr or ``/health`` answer shows them.

>>> InfluxSettings(url="http://127.0.0.1:8086", api="v1", database="eldercare").enabled
True
>>> InfluxSettings(url="http://x:8086", api="v1", password="s3cret")
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for InfluxSettings
  Value error, ELDERCARE_INFLUX_API=v1 needs ELDERCARE_INFLUX_DATABASE (or _BUCKET) ...
>>> "s3cret" in repr(InfluxSettings(url="http://x:8086", api="v1", database="d", password="s3cret"))
False
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class InfluxSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ELDERCARE_INFLUX_", frozen=True)

    url: str | None = None  # e.g. http://127.0.0.1:8086; unset: no InfluxDB
    api: Literal["v2", "v1"] = "v2"
    token: SecretStr | None = None  # v2
    org: str | None = None  # v2
    bucket: str | None = None  # v2 (v1: the database, when ``database`` is unset)
    database: str | None = None  # v1
    user: str | None = None  # v1, when the server has authentication on
    password: SecretStr | None = None
    measurement_prefix: str = ""  # e.g. "eldercare_": measurements are <prefix><metric>
    # Readings waiting for InfluxDB; beyond it the oldest are dropped (and counted).
    buffer_max: int = Field(default=200_000, ge=1)
    batch_max: int = Field(default=5_000, ge=1)  # readings per write
    flush_s: float = Field(default=1.0, gt=0)  # a batch smaller than batch_max waits this long
    # A failed write is tried again after a jittered delay doubling from 0.5 s up to this.
    retry_max_s: float = Field(default=30.0, gt=0)
    timeout_s: float = Field(default=10.0, gt=0)  # per HTTP request

    @model_validator(mode="after")
    def _complete(self) -> InfluxSettings:
        if self.url is None:
            return self
        if self.api == "v2" and not (self.org and self.bucket):
            raise ValueError(
                "ELDERCARE_INFLUX_API=v2 needs ELDERCARE_INFLUX_ORG and ELDERCARE_INFLUX_BUCKET "
                "(InfluxDB 1.8: org '-' and bucket 'database/retention-policy')"
            )
        if self.api == "v1" and not (self.database or self.bucket):
            raise ValueError(
                "ELDERCARE_INFLUX_API=v1 needs ELDERCARE_INFLUX_DATABASE (or _BUCKET) "
                f"to write to at {self.safe_url}"
            )
        return self

    @property
    def enabled(self) -> bool:
        return self.url is not None

    @property
    def safe_url(self) -> str:
        """The URL without a user or password someone may have put in it.

        >>> InfluxSettings(url="http://me:pw@influx:8086", api="v1", database="d").safe_url
        'http://influx:8086'
        """
        parts = urlsplit(self.url or "")
        return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))

    @property
    def target(self) -> str:
        """Where readings go, for logs and /health: no secret in it."""
        where = self.bucket if self.api == "v2" else (self.database or self.bucket)
        return f"{self.safe_url} ({self.api}, {where})"
