"""Recording reads of residents' data (:mod:`hub.audit`) from the routes that serve it.

A route calls :func:`audit_read` with the residents whose data it returns, once it has
found them visible to the user. A store that cannot write just now does not turn a
dispatcher's read into an error (the data may be needed for someone's care): the failure
is logged and counted (``audit_failures`` in ``GET /health``), and the read goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from fastapi import Request
from sqlalchemy.exc import SQLAlchemyError

from hub.accounts import Scope

log = logging.getLogger("api.audit")


def audit_read(request: Request, scope: Scope, residents: Iterable[str]) -> None:
    """Record that ``scope``'s user read the data of ``residents`` through this route.
    Blocking: for the (sync) routes, which run in a worker thread."""
    residents = list(residents)
    if not residents:
        return
    hub = request.app.state.hub
    route = getattr(request.scope.get("route"), "path", request.url.path)
    try:
        hub.read_log.record(scope.username, scope.role, residents, f"{request.method} {route}")
    except SQLAlchemyError as exc:
        hub.counts.audit_failures += 1
        log.error("a read of %s by %s was not recorded: %s", residents, scope.username, exc)
