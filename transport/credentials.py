"""Who a client is on a broker: a user name, a password (from the environment or a file),
and for ``mqtts://`` the CA and an optional client certificate.

Settings, not URLs, are where secrets belong: a URL is printed, logged and shown in ``ps``.
``ELDERCARE_MQTT_*`` is the connection to the hub's broker (the hub's, an edge's uplink, the
simulator's); ``ELDERCARE_LOCAL_MQTT_*`` an edge's home broker. A user name or password in
the URL itself wins over them (the tests' private broker, a quick try by hand).

>>> url = BrokerAuth(username="h001", password="s3cret").applied_to(
...     BrokerUrl.parse("mqtt://hub.example"))
>>> str(url), url.password
('mqtt://h001@hub.example:1883', 's3cret')
>>> "s3cret" in repr(url)
False
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from transport.broker_url import BrokerUrl, BrokerUrlError

__all__ = ["BrokerAuth", "LocalBrokerAuth", "broker_url"]


class BrokerAuth(BaseSettings):
    """``ELDERCARE_MQTT_USERNAME``, ``_PASSWORD`` or ``_PASSWORD_FILE``, ``_CA_FILE``,
    ``_CERT_FILE``, ``_KEY_FILE``."""

    model_config = SettingsConfigDict(env_prefix="ELDERCARE_MQTT_", frozen=True)

    username: str | None = None
    password: SecretStr | None = None
    password_file: Path | None = None  # first line; re-read at every connect (rotation)
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None

    def secret(self) -> str | None:
        if self.password is not None:
            return self.password.get_secret_value()
        if self.password_file is None:
            return None
        try:
            lines = self.password_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            # The path and the reason, never the content.
            raise BrokerUrlError(f"cannot read the MQTT password file {exc}") from exc
        if not lines or not lines[0]:
            raise BrokerUrlError(f"the MQTT password file {self.password_file} is empty")
        return lines[0]

    def applied_to(self, url: BrokerUrl) -> BrokerUrl:
        """``url`` with these credentials where it has none, and these TLS files."""
        if self.cert_file and not url.tls:
            raise BrokerUrlError(f"a client certificate needs mqtts://, not {url}")
        username = url.username or self.username
        password = url.password if url.username else self.secret()
        return replace(
            url.with_credentials(username, password),
            ca_file=self.ca_file,
            cert_file=self.cert_file,
            key_file=self.key_file,
        )


class LocalBrokerAuth(BrokerAuth):
    """The same for an edge's home broker: ``ELDERCARE_LOCAL_MQTT_*``."""

    model_config = SettingsConfigDict(env_prefix="ELDERCARE_LOCAL_MQTT_", frozen=True)


def broker_url(url: str, *, local: bool = False) -> BrokerUrl:
    """``url`` parsed, with the credentials and TLS files of the environment."""
    auth = LocalBrokerAuth() if local else BrokerAuth()
    return auth.applied_to(BrokerUrl.parse(url))
