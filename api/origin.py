"""Cross-site request forgery: writes that a browser sends with the session cookie must come
from one of the hub's own pages.

A browser sends ``Origin`` with every cross-origin POST, PUT, PATCH and DELETE (forms
included) and with every WebSocket handshake. A write whose ``Origin`` (or, without one,
``Referer``) is neither the address the request was sent to (its ``Host``) nor one of the
configured public origins is refused with 403. A request that carries neither header is not
from a browser page (scripts, apps) and cannot be forged that way; a request authenticated
by ``Authorization: Bearer`` is not either, since no other site can make a browser add it.

>>> allowed_origin("https://hub.example.org", "hub.example.org", [])
True
>>> allowed_origin("https://evil.example", "hub.example.org", [])
False
>>> allowed_origin("null", "hub.example.org", [])
False
>>> allowed_origin("https://care.example.org", "10.0.0.5:8000", ["https://care.example.org"])
True
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from .responses import SafeJSONResponse

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FOREIGN = "this request comes from another site's page; it was refused (Origin check)"


def allowed_origin(origin: str, host: str | None, public_origins: Iterable[str]) -> bool:
    """Whether a page at ``origin`` (scheme://host[:port]) is one of the hub's own."""
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    if not parts.scheme or not parts.netloc:
        return False  # "null" (sandboxed frames, file: pages, some redirects), or garbage
    wanted = f"{parts.scheme}://{parts.netloc}".lower()
    if any(wanted == o.rstrip("/").lower() for o in public_origins):
        return True
    return host is not None and parts.netloc.lower() == host.lower()


def page_origin(headers: Headers) -> str | None:
    """The origin of the page that sent the request: ``Origin``, else ``Referer``'s."""
    origin = headers.get("origin")
    if origin is not None:
        return origin
    referer = headers.get("referer")
    if referer is None:
        return None
    parts = urlsplit(referer)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "null"


def foreign_page(headers: Headers, public_origins: Iterable[str]) -> str | None:
    """The origin of a foreign page that sent this request, None if it is the hub's own
    or no page sent it."""
    origin = page_origin(headers)
    if origin is None or allowed_origin(origin, headers.get("host"), public_origins):
        return None
    return origin


class OriginCheck:
    """ASGI middleware: refuse an HTTP write sent by another site's page (403). WebSocket
    handshakes are checked by the WebSocket route itself, where it can say why."""

    def __init__(self, app: ASGIApp, public_origins: Iterable[str] = ()) -> None:
        self.app = app
        self.public_origins = tuple(public_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in UNSAFE_METHODS:
            headers = Headers(scope=scope)
            bearer = headers.get("authorization", "").lower().startswith("bearer ")
            if not bearer and foreign_page(headers, self.public_origins) is not None:
                response = SafeJSONResponse({"detail": FOREIGN}, status_code=403)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
