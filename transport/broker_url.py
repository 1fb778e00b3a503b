"""Broker URLs: ``mqtt://[user[:password]@]host[:port]`` or ``mqtts://``, parsed once.

Shared by everything that connects to a broker (simulator, edge, hub) so a URL means the
same everywhere and a bad one gets the same clear message. Credentials and TLS files that
do not belong in a URL (a password in a file, a CA, a client certificate) are added by
:mod:`transport.credentials`.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit


class BrokerUrlError(ValueError):
    """A broker URL that cannot be used; the message says why."""


@dataclass(frozen=True)
class BrokerUrl:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in a log line or a repr
    ca_file: Path | None = None  # mqtts: the CA that signed the broker's certificate
    cert_file: Path | None = None  # mqtts: this client's certificate (with key_file)
    key_file: Path | None = None

    @classmethod
    def parse(cls, url: str) -> BrokerUrl:
        """``mqtt://[user[:password]@]host[:port]`` (1883), or ``mqtts://`` (8883)."""
        shown = _without_password(url)
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise BrokerUrlError(f"bad broker URL {shown!r}: {exc}") from exc
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise BrokerUrlError(
                f"bad broker URL {shown!r}: expected mqtt://host:port or mqtts://host:port"
            )
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise BrokerUrlError(f"bad broker URL {shown!r}: no path or query expected")
        tls = parts.scheme == "mqtts"
        return cls(
            host=parts.hostname,
            port=port or (8883 if tls else 1883),
            tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def with_credentials(self, username: str | None, password: str | None) -> BrokerUrl:
        return replace(self, username=username, password=password)

    def __str__(self) -> str:  # never shows the password
        scheme = "mqtts" if self.tls else "mqtt"
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for aiomqtt.Client."""
        kwargs: dict[str, Any] = {"hostname": self.host, "port": self.port}
        if self.username:
            kwargs["username"] = self.username
            kwargs["password"] = self.password
        if self.tls:
            kwargs["tls_context"] = self.tls_context()
        return kwargs

    def tls_context(self) -> ssl.SSLContext:
        """The system's CAs, or ``ca_file``; a client certificate when one is given."""
        try:
            context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
            if self.cert_file:
                context.load_cert_chain(
                    str(self.cert_file), str(self.key_file) if self.key_file else None
                )
        except (OSError, ssl.SSLError) as exc:
            raise BrokerUrlError(f"TLS files for {self}: {exc}") from exc
        return context


def _without_password(url: str) -> str:
    """``url`` as it may be shown: a password in it replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, hostpart = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{hostpart}"
