"""Rows as the documents the API, the feed and the notifications show.

Times become ISO 8601 in the home's time zone: a dispatcher in Shanghai reads "07:31", not
an epoch. A time that no calendar date can show (NaN, an infinity, beyond year 9999 or before
year 1 in that zone, as a forged clock may have left in an older store) shows as ``None``:
one impossible timestamp must not make a whole list unreadable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from analytics.activity.base import FEEDBACK_NOTE_PATTERN

from .accounts import Scope
from .schema import Alert, AlertChange, Home
from .texts import LANGS, device_name, evidence_text


def in_zone(moment: datetime, zone: ZoneInfo) -> datetime:
    """``moment`` with an offset: one without is ``zone``'s wall clock, as the person who
    typed it there means it (the server's own zone is nobody's).

    >>> in_zone(datetime(2026, 12, 5, 20, 0), ZoneInfo("Asia/Shanghai")).isoformat()
    '2026-12-05T20:00:00+08:00'
    """
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def local_time(epoch: float | None, tz: ZoneInfo) -> str | None:
    """ISO 8601 in ``tz``, or ``None`` when there is no time or no date can show it.

    >>> shanghai = ZoneInfo("Asia/Shanghai")
    >>> local_time(1764372665.0, shanghai)
    '2025-11-29T07:31:05+08:00'
    >>> [local_time(t, shanghai) for t in (None, float("nan"), 253402300799.0, -1e300)]
    [None, None, None, None]
    """
    if epoch is None:
        return None
    try:
        return datetime.fromtimestamp(epoch, tz).isoformat(timespec="seconds")
    except (ValueError, OverflowError, OSError):  # NaN, or no year 1-9999 holds it
        return None


def alert_state(alert: Alert) -> str:
    """ThingsBoard's four states, plus resolved (the case is closed)."""
    if alert.resolved_at is not None:
        return "resolved"
    return ("active" if alert.active else "cleared") + (
        "_acknowledged" if alert.acknowledged else "_unacknowledged"
    )


def _device_names(home: Home, device_id: Any) -> dict[str, str | None]:
    """The device as the home config describes it, per language: pages and texts name it,
    never by its id ({} for a device the config does not have)."""
    config = next((d for d in home.config.get("devices", []) if d.get("id") == device_id), {})
    if not config:
        return {}
    return {lang: device_name(config.get("kind"), config.get("role"), lang=lang) for lang in LANGS}


def _evidence_words(
    kind: str, evidence: Mapping[str, Any], names: Mapping[str, str | None]
) -> dict[str, str]:
    return {
        lang: evidence_text(kind, evidence, lang=lang, device=names.get(lang)) for lang in LANGS
    }


def alert_document(alert: Alert, home: Home) -> dict[str, Any]:
    tz = ZoneInfo(home.timezone)
    at = lambda epoch: local_time(epoch, tz)  # noqa: E731
    names = _device_names(home, alert.device or (alert.evidence or {}).get("device"))
    return {
        "id": alert.id,
        "home": alert.home_id,
        "resident": alert.home_id,
        "resident_name": home.resident_name,
        # Her home's station now (the queue she is in, whom the WebSocket tells), which is
        # the alert's own until she moves.
        "station": home.station_id,
        "kind": alert.kind,
        "severity": alert.severity,
        "state": alert_state(alert),
        "active": alert.active,
        "acknowledged": alert.acknowledged,
        "resolved": alert.resolved_at is not None,
        "started": at(alert.started),
        "raised_at": at(alert.raised_at),
        "updated_at": at(alert.updated_at),
        "cleared_at": at(alert.cleared_at),
        "acknowledged_at": at(alert.acknowledged_at),
        "acknowledged_by": alert.acknowledged_by,
        "assignee": alert.assignee,
        "resolved_at": at(alert.resolved_at),
        "resolved_by": alert.resolved_by,
        "outcome": alert.outcome,
        "detector": alert.detector,
        "device": alert.device,
        "device_name": names,
        "evidence": alert.evidence,
        # Told in words once, here, for SMS and pages alike: a page never words it again.
        "evidence_text": _evidence_words(alert.kind, alert.evidence or {}, names),
        "related": alert.related,
        "escalation_step": alert.escalation_step,
    }


def _device_move(change: AlertChange) -> tuple[str | None, str | None] | None:
    """The [from, to] devices of an ``updated`` row that moved the alert to another device
    (hub/alerts.py); None for any other row, or a detail not of that shape."""
    devices = (change.detail or {}).get("device")
    if (
        change.action == "updated"
        and isinstance(devices, list)
        and len(devices) == 2
        and all(d is None or isinstance(d, str) for d in devices)
    ):
        return devices[0], devices[1]
    return None


def history_detail(change: AlertChange, home: Home) -> dict[str, Any]:
    """A history row's detail as the pages read it: an ``updated`` row whose ``device``
    [from, to] moved the alert to another device also names that device per language
    (``device_name``), so that the line says which one saw it, never its id."""
    detail = dict(change.detail or {})
    move = _device_move(change)
    if move is not None and (names := _device_names(home, move[1])):
        detail["device_name"] = names
    return detail


def earlier_evidence(
    alert: Alert, home: Home, history: Iterable[AlertChange]
) -> list[dict[str, Any]]:
    """What the alert's other devices saw of this occurrence, the newest of each, oldest
    device first: the band's impact after the bathroom radar's fall updated the alert (which
    then shows the radar's evidence and names the radar). Read from the history's
    ``updated`` rows (their ``device`` [from, to] and ``replaced_evidence``), in order: a
    device that reports again is the alert's own again, and a return after a clear (a new
    occurrence, ``reactivated``) forgets what was seen of the one before.

    Each: ``device`` (its id, or None from an edge that named none), ``device_name`` and
    ``evidence_text`` per language as in the alert's document, ``evidence``."""
    seen: dict[Any, dict[str, Any]] = {}
    for change in history:
        detail = change.detail or {}
        if change.action == "updated" and detail.get("reactivated"):
            seen.clear()
            continue
        move = _device_move(change)
        if move is None:
            continue
        before, after = move
        replaced = detail.get("replaced_evidence")
        seen.pop(before, None)  # the newest of each device, in the order they last spoke
        if isinstance(replaced, Mapping):
            seen[before] = dict(replaced)
        seen.pop(after, None)
    seen.pop(alert.device, None)
    found = []
    for device, evidence in seen.items():
        names = _device_names(home, device or evidence.get("device"))
        found.append(
            {
                "device": device,
                "device_name": names,
                "evidence": evidence,
                "evidence_text": _evidence_words(alert.kind, evidence, names),
            }
        )
    return found


def as_seen_by(value: Any, scope: Scope) -> Any:
    """An alert's document (or its history's detail) as ``scope`` may read it: who does not
    act on alerts (a family, a district or city) reads it without how the station's outcome
    feedback scaled the limit ("; limit x3 after outcomes", in the evidence's ``baseline``
    and ``summary``), which is the staff's business as the home's ``thresholds.feedback`` is.
    The API's alert lists and cards and the WebSocket's alert frames all pass here.

    >>> family = Scope("li.ming", "李明", "family", frozenset(), frozenset({"h001"}))
    >>> evidence = {"baseline": "usual 2.5 h (p95 of 30); limit x3 after outcomes", "h": 4.0}
    >>> as_seen_by({"evidence": evidence}, family)
    {'evidence': {'baseline': 'usual 2.5 h (p95 of 30)', 'h': 4.0}}
    >>> dispatcher = Scope("zhang.li", "张丽", "dispatcher", frozenset({"st1"}), frozenset())
    >>> as_seen_by(evidence, dispatcher) is evidence
    True
    """
    if scope.acts_on_alerts:
        return value
    return _without_feedback(value)


def _without_feedback(value: Any) -> Any:
    if isinstance(value, str):
        return FEEDBACK_NOTE_PATTERN.sub("", value)
    if isinstance(value, Mapping):
        return {key: _without_feedback(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_feedback(item) for item in value]
    return value
