"""Secrets out of sight: notification URLs shown with their credentials hidden, and log
records cleaned of every secret the hub knows and of anything shaped like one.

Notification targets are apprise URLs, which put secrets everywhere: in the user info
(``mailto://user:pw@``), where a host would be (``dingtalk://TOKEN``, ``feishu://TOKEN``),
in the port's place (``tgram://BOTID:TOKEN``), in path segments (``json://host/T01/B02/XYZ``,
``discord://ID/TOKEN``) and in the query. :func:`redact` hides the password (and a
user name that looks like a token), every query value, the fragment, and every host or path
segment that looks like a token (letters and digits mixed, or long).

A library may log a secret in forms no pattern foresees (apprise logs the DingTalk API URL
with ``access_token=``, urllib3 logs the request line without a scheme). So the secrets
themselves are remembered (:func:`remember_target`, :func:`remember`) and
:class:`RedactingFilter`, on every handler (:func:`install_log_redaction`), replaces them
wherever they appear, besides redacting URLs and secret-named query parameters.

>>> redact("mailto://alerts:hunter2@smtp.example.org/?to=daughter@example.org")
'mailto://alerts:***@smtp.example.org/?to=***'
>>> redact("json://user:pw@hooks.example.org:8443/alerts?token=abc&x=1")
'json://user:***@hooks.example.org:8443/alerts?token=***&x=***'
>>> redact("dingtalk://a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6/13800000000")
'dingtalk://***/13800000000'
>>> redact("tgram://123456789:AAHfj3kd8sl2mdkfjeiwoAAA/-100200300")
'tgram://123456789:***/-100200300'
>>> redact("json://hooks.example.org/notify/abc123def?pw=x1&tok=y2")
'json://hooks.example.org/notify/***?pw=***&tok=***'
"""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import parse_qsl, unquote, urlsplit

HIDDEN = "***"

# Bot keys and webhook tokens are 20-64 characters; names in paths are short words.
_LONG = 17
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]{1,20}://[^\s'\"<>`]+")
_KEY = r"[a-z0-9_.\-]*(?:token|secret|key|pass|pwd|pw|auth|sign|sig|tok|credential)[a-z0-9_.\-]*"
# key=value (a query or a form), and "key": "value" (JSON, a Python dict)
_SECRET_PARAM = re.compile(rf"(?i)((?:^|[?&;,\s]){_KEY}=)([^&\s'\",}}]+)")
_SECRET_FIELD = re.compile(rf"(?i)([\"']{_KEY}[\"']\s*:\s*[\"'])([^\"']+)")
_MIN_REMEMBERED = 4  # shorter "secrets" would blank out ordinary words


def redact(target: str) -> str:
    """``target`` with passwords and tokens replaced by ``***``; never raises."""
    try:
        parts = urlsplit(target)
    except (ValueError, TypeError):
        return HIDDEN
    if not parts.scheme or not target.startswith(f"{parts.scheme}://"):
        # Not a URL at all: it may still be a pasted token.
        return HIDDEN if _tokenish(target) else target
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if at:
        user, colon, _password = userinfo.partition(":")
        userinfo = _segment(user) + (f":{HIDDEN}" if colon else "") + "@"
    text = f"{parts.scheme}://{userinfo}{_hostport(hostport)}"
    text += "/".join(_segment(segment) for segment in parts.path.split("/"))
    if parts.query:
        text += "?" + "&".join(_query_item(item) for item in parts.query.split("&"))
    if parts.fragment:
        text += "#" + HIDDEN
    return text


def secrets_of(target: str) -> list[str]:
    """The parts of a notification URL that :func:`redact` hides, as they may appear in a
    library's log lines (raw and URL-decoded)."""
    try:
        parts = urlsplit(target)
    except (ValueError, TypeError):
        return []
    if not parts.scheme:
        return [target] if _tokenish(target) else []
    found: list[str] = []
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if at:
        user, _colon, password = userinfo.partition(":")
        found += [password] + ([user] if _tokenish(user) else [])
    host, colon, port = hostport.rpartition(":")
    if colon and not port.isdigit():
        found.append(port)
    else:
        host = hostport
    if not _looks_like_host(host) and _tokenish(host):
        found.append(host)
    found += [segment for segment in parts.path.split("/") if _tokenish(segment)]
    found += [value for _key, value in parse_qsl(parts.query, keep_blank_values=False)]
    if parts.fragment:
        found.append(parts.fragment)
    decoded = [unquote(value) for value in found]
    return [value for value in dict.fromkeys(found + decoded) if len(value) >= _MIN_REMEMBERED]


def _tokenish(value: str) -> bool:
    """A value that may be a key: long, or letters and digits mixed."""
    if len(value) >= _LONG:
        return True
    has_digit = any(c.isdigit() for c in value)
    has_alpha = any(c.isalpha() for c in value)
    return len(value) >= 6 and has_digit and has_alpha


def _segment(value: str) -> str:
    return HIDDEN if _tokenish(value) else value


def _looks_like_host(host: str) -> bool:
    return "." in host or host.lower() == "localhost"


def _hostport(hostport: str) -> str:
    if hostport.startswith("["):  # an IPv6 literal, with or without a port
        return hostport
    host, colon, port = hostport.rpartition(":")
    if not colon:
        host, port = hostport, ""
    text = host if _looks_like_host(host) else _segment(host)
    if colon:
        # tgram://BOTID:TOKEN/... parses with the token in the port's place.
        text += ":" + (port if port.isdigit() else HIDDEN)
    return text


def _query_item(item: str) -> str:
    key, equals, _value = item.partition("=")
    return f"{key}={HIDDEN}" if equals else _segment(item)


# -- logs ----------------------------------------------------------------------------------

_known: set[str] = set()
_known_lock = threading.Lock()
_known_pattern: list[re.Pattern[str] | None] = [None]


def remember(*secrets: str | None) -> None:
    """Secrets to hide wherever they appear in a log line (passwords, tokens)."""
    fresh = {s for s in secrets if s and len(s) >= _MIN_REMEMBERED} - _known
    if not fresh:
        return
    with _known_lock:
        _known.update(fresh)
        # Longest first: a secret that contains another is hidden whole.
        ordered = sorted(_known, key=len, reverse=True)
        _known_pattern[0] = re.compile("|".join(re.escape(s) for s in ordered))


def remember_target(target: str) -> None:
    remember(*secrets_of(target))


def scrub(text: str) -> str:
    """``text`` with remembered secrets, URL credentials and secret-named parameters hidden."""
    pattern = _known_pattern[0]
    if pattern is not None:
        text = pattern.sub(HIDDEN, text)
    text = _URL.sub(lambda match: redact(match.group(0)), text)
    text = _SECRET_PARAM.sub(lambda match: match.group(1) + HIDDEN, text)
    return _SECRET_FIELD.sub(lambda match: match.group(1) + HIDDEN, text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and a traceback's text) through :func:`scrub`."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: leave it be
            return True
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


def install_log_redaction(*logger_names: str) -> None:
    """Put the filter on every handler of the root logger and of the named loggers (e.g.
    uvicorn's, which do not pass through the root). Handler filters see every record a
    handler writes, wherever it was logged; logger filters would not."""
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in logger_names)]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())
