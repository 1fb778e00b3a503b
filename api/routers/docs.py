"""The API's documentation pages, ``/docs`` (Swagger UI) and ``/redoc``, served with no CDN.

FastAPI's pages load Swagger UI and ReDoc from a CDN, so they are blank on a station's
offline network. This is FastAPI's "self-hosting JavaScript and CSS for docs" recipe, with
the assets that the ``fastapi-offline`` package ships (Swagger UI 5, ReDoc 2; their licences
travel with that package), served under ``/docs-assets/``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from ..routing import LimitedJsonRoute

ASSETS = Path(str(resources.files("fastapi_offline") / "static"))
ASSETS_URL = "/docs-assets"
FAVICON = "/static/icons/icon.svg"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"

router = APIRouter(include_in_schema=False, route_class=LimitedJsonRoute)
_assets = StaticFiles(directory=ASSETS)


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    app = request.app
    return get_swagger_ui_html(
        openapi_url=app.openapi_url,
        title=f"{app.title} - API",
        oauth2_redirect_url=OAUTH2_REDIRECT,
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=FAVICON,
    )


@router.get(OAUTH2_REDIRECT)
def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    app = request.app
    return get_redoc_html(
        openapi_url=app.openapi_url,
        title=f"{app.title} - ReDoc",
        redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
        redoc_favicon_url=FAVICON,
        with_google_fonts=False,
    )


@router.get(ASSETS_URL + "/{path:path}")
async def docs_asset(path: str, request: Request) -> Response:
    # StaticFiles refuses paths outside the folder and answers If-None-Match with a 304.
    return await _assets.get_response(path, request.scope)
