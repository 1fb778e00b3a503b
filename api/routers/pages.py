"""The pages people see: the dispatcher console, the family app (a PWA) and the log-in page.

Plain HTML, CSS and JavaScript modules from ``api/static/``, no build step and nothing from
a CDN. Every text is in ``static/i18n/strings.json`` in Simplified Chinese and English.

| route | what |
|---|---|
| ``/`` | redirects to ``/login`` |
| ``/login``, ``/console``, ``/family``, ``/admin`` | the pages (``/admin``: the operator's) |
| ``/reports`` | monthly reports and the supervisors' overview (district and city accounts) |
| ``/ward``, ``/ward/phone`` | an institution's nurse station and a caregiver's phone |
| ``/family/manifest.webmanifest`` | the family app's web app manifest |
| ``/family/sw.js`` | its service worker (scope ``/family``), caches the shell |
| ``/static/...`` | CSS, JavaScript modules, strings, icons |

Assets are revalidated on every load (``no-cache`` with an ETag): without a build step
there are no hashed file names, so this is what lets a new version reach browsers at once.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from ..routing import LimitedJsonRoute

STATIC = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(include_in_schema=False, route_class=LimitedJsonRoute)

# Only what the pages need: no inline script or style, no other origin.
_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self' ws: wss:",
        "manifest-src 'self'",
        "worker-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
_PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
_files = StaticFiles(directory=STATIC)


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC / name, media_type="text/html", headers=_PAGE_HEADERS)


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/login", status_code=302)


@router.get("/login")
def login_page() -> FileResponse:
    return _page("login.html")


@router.get("/console")
def console_page() -> FileResponse:
    return _page("console.html")


@router.get("/admin")
def admin_page() -> FileResponse:
    return _page("admin.html")


@router.get("/reports")
def reports_page() -> FileResponse:
    return _page("reports.html")


@router.get("/ward")
def ward_page() -> FileResponse:
    """The nurse station's floor view of an institution."""
    return _page("ward.html")


@router.get("/ward/phone")
def ward_phone_page() -> FileResponse:
    """A caregiver's phone: the alerts and beds of the rooms of her shift."""
    return _page("ward_phone.html")


@router.get("/family")
def family_page() -> FileResponse:
    return _page("family.html")


@router.get("/family/")
def family_slash() -> RedirectResponse:
    return RedirectResponse("/family", status_code=302)


@router.get("/family/manifest.webmanifest")
def family_manifest() -> FileResponse:
    return FileResponse(
        STATIC / "manifest.webmanifest",
        media_type="application/manifest+json",
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/family/sw.js")
def family_service_worker() -> FileResponse:
    # The worker sits under /family/ but must also control the page /family itself.
    return FileResponse(
        STATIC / "sw.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/family"},
    )


@router.get("/static/{path:path}")
async def static_file(path: str, request: Request) -> Response:
    # StaticFiles refuses paths outside the folder and answers If-None-Match with a 304.
    response = await _files.get_response(path, request.scope)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
