"""Whether the hub can reach people: who has no notification channel, which channel keeps
failing. For the alert manager (what an escalation can send to), the console's warning,
the admin's ``/health`` and the stations' and users' API.

A family's channels are its contacts' ``notify`` entries that the hub has a URL template
for (``ELDERCARE_CONTACT_TARGETS``: "sms", "call", "wechat") and a phone number to fill in;
"app" is the family app, which only reaches someone who has it open. A station's are its
``notify`` apprise URLs. A channel *fails* when its newest delivery has failed
``FAILING_AFTER`` attempts in a row and none has got through since.

>>> targets = {"sms": "json://sms.example.org/?to={phone}"}
>>> family_targets({"contacts": [{"name": "李明", "phone": "138", "notify": ["app", "sms"]}]},
...                targets)
['json://sms.example.org/?to=138']
>>> family_targets({"contacts": [{"name": "李明", "phone": "138", "notify": ["app"]}]}, targets)
[]
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .outbound import redact
from .schema import Alert, AlertChange, Delivery, Home, Station
from .texts import channel_failing_text
from .webpush import homes_with_push

log = logging.getLogger("hub")

# What a contact target template (ELDERCARE_CONTACT_TARGETS) may fill in.
CONTACT_FIELDS = ("phone", "name")
_UNFILLABLE = (KeyError, IndexError, AttributeError, ValueError, TypeError)

# Failed attempts in a row on one channel before the station is paged about it: a first
# failure is often a blip (apprise retries), three in a row (about 35 s with the default
# retry delays) is a broken robot or an expired key.
FAILING_AFTER = 3
# How far back a failing channel is looked for: older failures were either fixed or paged.
FAILING_LOOKBACK_S = 7 * 24 * 3600.0

Problem = Literal["no_channel", "channel_failing"]


@dataclass(frozen=True)
class ChannelProblem:
    kind: Problem
    audience: Literal["station", "family"]
    station: str
    home: str | None = None  # the family's resident; None for the station's own channels
    target: str | None = None  # redacted
    failures: int = 0
    error: str | None = None
    since: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "audience": self.audience,
            "station": self.station,
            "home": self.home,
            "target": self.target,
            "failures": self.failures,
            "error": self.error,
            "since": self.since,
        }


def family_targets(config: Mapping[str, Any], contact_targets: Mapping[str, str]) -> list[str]:
    """The apprise URLs that reach the resident's contacts (see the module docstring)."""
    targets = []
    for contact in config.get("contacts", []):
        for channel in contact.get("notify", []):
            template = contact_targets.get(channel)
            if template and contact.get("phone"):
                target = contact_target(template, phone=contact["phone"], name=contact["name"])
                if target is not None:
                    targets.append(target)
    return targets


def contact_target(template: str, *, phone: str, name: str) -> str | None:
    """The template filled in for one person; None when it cannot be. The settings refuse
    such a template at start (hub.settings); one that slips through must cost that channel
    only (its audience counts as having no channel), never the alert that was to use it."""
    try:
        return template.format(phone=phone, name=name)
    except _UNFILLABLE as exc:
        _unusable(template, template_problem(template) or repr(exc))
        return None


def template_problem(template: str) -> str | None:
    """Why a contact target template cannot be filled in (None: it can); the template
    itself is not repeated, since it may hold a gateway's key."""
    try:
        template.format(**dict.fromkeys(CONTACT_FIELDS, "1"))
    except KeyError as exc:
        problem = f"unknown field {{{exc.args[0]}}}"
    except _UNFILLABLE as exc:
        problem = str(exc)
    else:
        return None
    allowed = " and ".join(f"{{{field}}}" for field in CONTACT_FIELDS)
    return f"{problem}; a template may use only {allowed}"


@functools.cache  # once per template, not once per alert or /health poll
def _unusable(template: str, problem: str) -> None:
    log.error("a contact target template cannot be filled in (%s): not sent through it", problem)


def unconfigured(
    session: Session, contact_targets: Mapping[str, str], station: str | None = None
) -> list[ChannelProblem]:
    """Stations without a channel, and homes whose family has none."""
    stations = select(Station).order_by(Station.id)
    homes = select(Home).order_by(Home.id)
    if station is not None:
        stations = stations.where(Station.id == station)
        homes = homes.where(Home.station_id == station)
    problems = [
        ChannelProblem("no_channel", "station", s.id)
        for s in session.scalars(stations)
        if not s.notify
    ]
    pushed = homes_with_push(session)  # once, not a query per home: /health asks this
    problems += [
        ChannelProblem("no_channel", "family", h.station_id, home=h.id)
        for h in session.scalars(homes)
        if not family_targets(h.config, contact_targets) and h.id not in pushed
    ]
    return problems


def failing(
    session: Session, station: str | None = None, now: float | None = None
) -> list[ChannelProblem]:
    """Channels whose newest delivery has failed FAILING_AFTER attempts or more."""
    now = time.time() if now is None else now
    newest = (
        select(func.max(Delivery.id))
        .where(Delivery.created_at >= now - FAILING_LOOKBACK_S)
        .group_by(Delivery.target, Delivery.audience)
    )
    query = (
        select(Delivery, Alert.station_id, Alert.home_id)
        .join(Alert, Alert.id == Delivery.alert_id)
        .where(
            Delivery.id.in_(newest),
            Delivery.state != "sent",
            Delivery.attempts >= FAILING_AFTER,
            Delivery.last_error.is_not(None),
        )
        .order_by(Delivery.id)
    )
    if station is not None:
        query = query.where(Alert.station_id == station)
    return [
        ChannelProblem(
            "channel_failing",
            "family" if row.audience == "family" else "station",
            station_id,
            home=home_id if row.audience == "family" else None,
            target=redact(row.target),
            failures=row.attempts,
            error=row.last_error,
            since=row.created_at,
        )
        for row, station_id, home_id in session.execute(query)
    ]


def problems(
    session: Session, contact_targets: Mapping[str, str], station: str | None = None
) -> list[ChannelProblem]:
    return unconfigured(session, contact_targets, station) + failing(session, station)


def summary(found: list[ChannelProblem]) -> list[dict[str, Any]]:
    """For ``/health`` (no session needed, so no names of homes or stations): how many of
    each, as warnings beside the hub's problems."""
    out = []
    no_station = sum(1 for p in found if p.kind == "no_channel" and p.audience == "station")
    no_family = sum(1 for p in found if p.kind == "no_channel" and p.audience == "family")
    if no_station or no_family:
        out.append(
            {
                "kind": "no_channel",
                "since": None,
                "detail": f"{no_station} station(s) and {no_family} home(s)' families have no "
                "notification channel configured: their alerts reach only the pages",
            }
        )
    broken = [p for p in found if p.kind == "channel_failing"]
    if broken:
        out.append(
            {
                "kind": "channel_failing",
                "since": min(p.since or 0.0 for p in broken),
                "detail": f"{len(broken)} notification channel(s) keep failing: "
                + "; ".join(f"{p.target} ({p.error})" for p in broken[:5]),
            }
        )
    return out


# Deliveries that page the station about a failing channel: never paged about themselves,
# so two broken channels of a station cannot page each other for ever.
PAGING = "paging"


def page_station(
    session: Session, delivery: Delivery, error: str, *, language: str, now: float
) -> None:
    """``delivery`` has just failed FAILING_AFTER attempts in a row: tell the station through
    its other channels, and say so in the alert's history (the console shows it there and
    in its channel warning)."""
    if delivery.audience == PAGING or delivery.alert_id is None:
        return  # a page about a page, or a morning summary: no alert to page about
    alert = session.get(Alert, delivery.alert_id)
    if alert is None:
        return
    home = session.get(Home, alert.home_id)
    station = session.get(Station, alert.station_id)
    target = redact(delivery.target)
    others = [t for t in (station.notify if station else []) if t != delivery.target]
    about = {"resident_name": home.resident_name if home else None, "home": alert.home_id,
             "kind": alert.kind}  # fmt: skip
    title, body = channel_failing_text(
        about, delivery.audience, target, delivery.attempts, error, lang=language
    )
    for other in others:
        page = Delivery(alert_id=alert.id, audience=PAGING, target=other, title=title, body=body)
        page.state, page.attempts, page.next_at, page.created_at = "pending", 0, now, now
        session.add(page)
    detail = {
        "audience": delivery.audience,
        "target": target,
        "attempts": delivery.attempts,
        "error": error,
        "paged": len(others),
    }
    session.add(
        AlertChange(alert_id=alert.id, at=now, actor="hub", action="channel_failing", detail=detail)
    )
