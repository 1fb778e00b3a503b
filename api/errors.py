"""HTTP answers for what goes wrong: a clear 4xx for a bad request, a 503 while the store
is unavailable, never a 500.

The store's failures (disk full, read-only, locked past its busy timeout, unreachable) arrive
as SQLAlchemy's ``OperationalError``; they are the server's, not the request's, and pass, so
the answer is 503 with ``Retry-After``. Validation errors are written with
:class:`SafeJSONResponse`, since the rejected input may itself be a NaN.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from contracts.errors import HomeConfigError
from hub.errors import HubError
from hub.redaction import HIDDEN

from .responses import SafeJSONResponse

log = logging.getLogger("api")

RETRY_AFTER_S = 10
STORE_UNAVAILABLE = "the store is unavailable; try again shortly"
_LOG_EVERY_S = 60.0  # a store that is down fails every request: say so once a minute


class Unprocessable(HTTPException):
    """A 422 shaped like FastAPI's own validation errors, for the checks a schema cannot
    make (does that station exist, is that model in the catalog): each problem says
    where (``loc``), what (``input``) and why (``msg``)."""

    def __init__(self, problems: list[str] | list[dict[str, Any]], where: tuple = ("body",)):
        detail = [
            p if isinstance(p, dict) else {"loc": list(where), "msg": p, "type": "value_error"}
            for p in problems
        ]
        super().__init__(422, detail)


# Fields whose values a 422 must not echo: passwords, tokens, notification URLs (which
# carry bot tokens). Matched on any part of the error's location or of the input's keys.
_SECRET_FIELD = re.compile(r"pass|secret|token|notify|target|key|credential", re.I)


def without_secrets(error: Any) -> Any:
    """A validation error as pydantic gives it, minus the values of secret fields: the
    input is dropped when the error is about one, and secret keys of an input object
    (a body with a password and a missing name) are hidden.

    >>> without_secrets({"loc": ("body", "password"), "msg": "too short", "input": "a"})
    {'loc': ('body', 'password'), 'msg': 'too short'}
    >>> without_secrets({"loc": ("body", "name"), "input": {"password": "pw", "role": "x"}})
    {'loc': ('body', 'name'), 'input': {'password': '***', 'role': 'x'}}
    """
    if not isinstance(error, dict):
        return error
    if any(_SECRET_FIELD.search(str(part)) for part in error.get("loc", ())):
        return {k: v for k, v in error.items() if k not in ("input", "ctx")}
    if "input" in error:
        return {**error, "input": _hidden(error["input"])}
    return error


def _hidden(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: HIDDEN if _SECRET_FIELD.search(str(k)) else _hidden(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_hidden(v) for v in value]
    return value


def install(app: FastAPI) -> None:
    last_logged = [0.0]

    @app.exception_handler(HubError)
    async def _hub_error(_request: Request, exc: HubError) -> SafeJSONResponse:
        status = getattr(exc, "status", 400)
        headers = getattr(exc, "headers", None)  # e.g. Retry-After of a throttled log-in
        body = {"detail": str(exc)}
        if code := getattr(exc, "code", None):  # the reason for a program: the pages say it
            body["code"] = code
        return SafeJSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(HomeConfigError)
    async def _config_error(_request: Request, exc: HomeConfigError) -> SafeJSONResponse:
        return SafeJSONResponse({"detail": f"invalid home config: {exc}"}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> SafeJSONResponse:
        errors = [without_secrets(error) for error in exc.errors()]
        return SafeJSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeoutError)
    async def _store_unavailable(request: Request, exc: Exception) -> SafeJSONResponse:
        now = time.monotonic()
        if now - last_logged[0] >= _LOG_EVERY_S:
            last_logged[0] = now
            reason = getattr(exc, "orig", None) or exc
            log.error("store unavailable (%s %s): %s", request.method, request.url.path, reason)
        return SafeJSONResponse(
            {"detail": STORE_UNAVAILABLE},
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
