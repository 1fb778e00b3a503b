"""The API's JSON responses: never a NaN in them, and never a failure because of one.

Starlette's ``JSONResponse`` refuses NaN and infinities (``allow_nan=False``), so one NaN in
a stored alert's evidence turned a whole answer into a 500; writing them as NaN instead would
make the browser's ``JSON.parse`` throw. :func:`contracts.safe_json.dumps` writes ``null``
(a value that is not a number is "no data"), and integers beyond 64 bits as they are.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from contracts import safe_json


class SafeJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return safe_json.dumps(content)
