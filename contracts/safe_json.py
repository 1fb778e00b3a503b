"""JSON from the network, parsed with limits; JSON to the network, never with NaN.

Everything that arrives over MQTT or HTTP is parsed here before any model sees it. A
payload is refused (:class:`JsonLimitError`, a ``ValueError``) when it is larger than the
caller allows, nested deeper than ``max_depth``, or holds a number that is not a 64-bit
integer or a double (orjson reads integers of up to 308 digits as floats; beyond, and on
the standard parser's path, a number written with more than ``MAX_NUMBER_DIGITS``
characters is refused): such payloads are not devices or edges talking, and parsing them
further would cost recursion (``RecursionError``) or arbitrary precision arithmetic
(``OverflowError``) in code that is not written to survive either.

Non-finite numbers (``NaN``, ``Infinity``, ``1e400``) become ``None``: a value that is not
a number is "no data", and the rest of the message (the fall beside a NaN in its
evidence) is kept. On the way out, :func:`dumps` writes them as ``null`` too, so a browser's
``JSON.parse`` never meets a token it cannot read.

>>> loads(b'{"heart_rate": 72, "spo2": NaN}')
{'heart_rate': 72, 'spo2': None}
>>> loads(b"[" * 100 + b"]" * 100)
Traceback (most recent call last):
...
contracts.safe_json.JsonLimitError: nested deeper than 32 levels
>>> loads(b'{"battery": ' + b"9" * 400 + b"}")
Traceback (most recent call last):
...
contracts.safe_json.JsonLimitError: a number written with 400 characters (at most 40)
>>> dumps({"peak_g": float("nan"), "name": "王秀英"})
b'{"peak_g":null,"name":"\xe7\x8e\x8b\xe7\xa7\x80\xe8\x8b\xb1"}'
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

MAX_DEPTH = 32
MAX_NUMBER_DIGITS = 40  # a 64-bit integer has 20; a float's shortest repr at most 24


class JsonLimitError(ValueError):
    """A payload that is not JSON, or JSON beyond the limits: says which limit."""


def loads(
    payload: bytes | bytearray | memoryview | str,
    *,
    max_bytes: int | None = None,
    max_depth: int = MAX_DEPTH,
) -> Any:
    """Parse ``payload``; raise :class:`JsonLimitError` saying why when it cannot be taken."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8", "surrogatepass")
    if max_bytes is not None and len(payload) > max_bytes:
        raise JsonLimitError(f"{len(payload)} bytes (at most {max_bytes})")
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError:
        # The fast parser refuses NaN, huge numbers and deep nesting outright; the standard
        # one, with hooks, tells a malformed payload from one that only needs those fixed.
        document = _standard_loads(payload)
        _check_depth(document, max_depth)
        return _without_lone_surrogates(document)
    _check_depth(document, max_depth)
    return document


def dumps(document: Any) -> bytes:
    """Compact UTF-8 JSON; NaN and infinities are written as ``null``."""
    try:
        return orjson.dumps(document, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # e.g. an integer beyond 64 bits, or a type orjson does not know
        return json.dumps(
            _finite(document), ensure_ascii=False, separators=(",", ":"), default=str
        ).encode()


def _standard_loads(payload: bytes | bytearray | memoryview) -> Any:
    try:
        text = bytes(payload).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonLimitError(f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    try:
        return json.loads(
            text,
            parse_constant=lambda _constant: None,
            parse_int=_integer,
            parse_float=_float,
        )
    except RecursionError:
        raise JsonLimitError(f"nested deeper than {MAX_DEPTH} levels") from None
    except JsonLimitError:
        raise
    except ValueError as exc:
        raise JsonLimitError(str(exc)) from None


def _integer(text: str) -> int:
    _check_length(text)
    return int(text)


def _float(text: str) -> float | None:
    _check_length(text)
    value = float(text)
    return value if math.isfinite(value) else None


def _check_length(text: str) -> None:
    if len(text) > MAX_NUMBER_DIGITS:
        raise JsonLimitError(
            f"a number written with {len(text)} characters (at most {MAX_NUMBER_DIGITS})"
        )


def _check_depth(document: Any, max_depth: int) -> None:
    """Level by level, so that checking a deep document cannot itself run out of stack;
    each level is one comprehension per container (an accelerometer batch of 50 samples
    costs ~15 us, on the edge's hottest path)."""
    level = [document] if type(document) is dict or type(document) is list else []
    depth = 0
    while level:
        depth += 1
        if depth > max_depth:
            raise JsonLimitError(f"nested deeper than {max_depth} levels")
        below: list[Any] = []
        for node in level:
            children = node.values() if type(node) is dict else node
            below += [child for child in children if type(child) is dict or type(child) is list]
        level = below


def _without_lone_surrogates(document: Any) -> Any:
    """The standard parser lets ``"\\ud800"`` through; such a string cannot be written as
    UTF-8 again (to the store, to a page), so it is replaced where it stands."""
    if isinstance(document, str):
        return document.encode("utf-8", "replace").decode("utf-8")
    if isinstance(document, dict):
        return {
            _without_lone_surrogates(key): _without_lone_surrogates(value)
            for key, value in document.items()
        }
    if isinstance(document, list):
        return [_without_lone_surrogates(value) for value in document]
    return document


def _finite(document: Any) -> Any:
    if isinstance(document, float):
        return document if math.isfinite(document) else None
    if isinstance(document, dict):
        return {key: _finite(value) for key, value in document.items()}
    if isinstance(document, list | tuple):
        return [_finite(value) for value in document]
    return document
