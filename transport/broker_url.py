"""Broker URLs: ``mqtt://[user[:password]@]host[:port]`` or ``mqtts://``, parsed once.

Shared by everything that connects to a broker (simulator, edge, hub) so a URL means the
same everywhere and a bad one gets the same clear message.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> BrokerUrl:
        """``mqtt://[user[:password]@]host[:port]`` (1883), or ``mqtts://`` (8883)."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise BrokerUrlError(f"bad broker URL {url!r}: {exc}") from exc
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise BrokerUrlError(
                f"bad broker URL {url!r}: expected mqtt://host:port or mqtts://host:port"
            )
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise BrokerUrlError(f"bad broker URL {url!r}: no path or query expected")
        tls = parts.scheme == "mqtts"
        return cls(
            host=parts.hostname,
            port=port or (8883 if tls else 1883),
            tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

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
            import ssl

            kwargs["tls_context"] = ssl.create_default_context()
        return kwargs
