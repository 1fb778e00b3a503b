"""HTTP answers for the hub's errors: a clear 4xx, never a 500 for a bad request."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from contracts.errors import HomeConfigError
from hub.errors import HubError


def install(app: FastAPI) -> None:
    @app.exception_handler(HubError)
    async def _hub_error(_request: Request, exc: HubError) -> JSONResponse:
        status = getattr(exc, "status", 400)
        return JSONResponse({"detail": str(exc)}, status_code=status)

    @app.exception_handler(HomeConfigError)
    async def _config_error(_request: Request, exc: HomeConfigError) -> JSONResponse:
        return JSONResponse({"detail": f"invalid home config: {exc}"}, status_code=422)
