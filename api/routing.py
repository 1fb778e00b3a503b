"""Every route of the API reads JSON bodies with the limits MQTT messages get.

A body is parsed by :func:`contracts.safe_json.loads`: depth, number length and invalid
UTF-8 are refused with a 422 that says which limit, and a lone surrogate (``"\\ud83d"``, which
the standard parser lets through and no store or page can write as UTF-8: PostgreSQL refused
it with a 500) is replaced where it stands, as at ingest. Each router is an
``APIRouter(route_class=LimitedJsonRoute)``; a test checks that every route is.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute

from contracts import safe_json


class LimitedJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = safe_json.loads(await self.body())
            except safe_json.JsonLimitError as exc:
                raise HTTPException(422, f"the request body is not usable JSON: {exc}") from None
        return self._json


class LimitedJsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_limits(request: Request) -> Response:
            return await handler(LimitedJsonRequest(request.scope, request.receive))

        return with_limits
