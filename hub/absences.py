"""Announced absences (外出登记): the family or the station says she is away (at her
daughter's, in hospital) from one time until another, and the hub keeps it in her home config
(``HomeConfig.away``), where the edge's activity detectors read it.

While an absence is announced the edge keeps her routine alerts (no_activity, not_up,
not_returned_home, night_wandering, long_bathroom_stay) off, unless the front door sees her
come home sooner, and counts her silences and outings from its end; falls, SOS, vital signs
and device alerts are never affected (analytics.activity). Without a front-door sensor an
early return is not seen: the absence holds until someone ends it ("she is back").

The rules, each applied when the list is written:

- **Adding** an absence: the contract validates it (ends after it starts, at most
  :data:`~contracts.home.AWAY_LONGEST`); one that would be over already is refused; the
  same absence announced twice is kept once, and one from the same start by the same
  account with another end is refused (end the first). ``by`` is the announcing account's
  user name.
- **Ending** one now: a current one ends now; one that has not started is dropped (called
  off); one that is over already is refused.
- Absences that ended more than :data:`KEEP_ENDED_S` (7 days) ago are dropped; at most
  :data:`MOST` (the contract's 20) are kept, the oldest ended ones making room first. When
  20 current or coming absences leave no room, a new one is refused.

Writing a list goes the way outcome feedback does (:func:`hub.registry.set_away`): the
config stored and queued, retained, for the edge in the caller's transaction. An admin's
``PUT /homes/{id}`` without ``away`` keeps these absences (hub.registry.save_home).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy.orm import Session

from contracts.errors import describe_validation_error
from contracts.home import AWAY_LONGEST, AwayPeriod, away_at
from contracts.topics import DEFAULT_PREFIX

from .errors import HubError
from .registry import lock_config, set_away
from .schema import Home
from .views import in_zone

log = logging.getLogger("hub.absences")

DAY_S = 86_400.0
KEEP_ENDED_S = 7 * DAY_S
MOST = 20  # as many as the contract takes (HomeConfig.away's max_length)

State = Literal["upcoming", "current", "ended"]


class AbsenceError(HubError):
    """An absence that cannot be announced or ended as asked (409: the list says no).
    ``code`` names the reason for a program (the API answers it beside the English
    ``detail``; the family app says it in Chinese)."""

    status = 409

    def __init__(self, reason: str, *, code: str | None = None) -> None:
        self.code = code
        super().__init__(reason)


class InvalidAbsence(AbsenceError):
    """An absence the contract refuses (ends before it starts, too long, note too long)."""

    status = 422


class AbsenceNotFound(AbsenceError):
    status = 404


def periods_of(document: Mapping[str, Any]) -> tuple[AwayPeriod, ...]:
    """The absences of a stored config document (validated when it was saved)."""
    return tuple(AwayPeriod.model_validate(raw) for raw in document.get("away") or ())


def period_id(period: AwayPeriod) -> str:
    """A short name of an absence: the digest of its start, note and author, so that it
    keeps its name when it is ended early (a second "she is back" is then told it is over,
    not that there is no such absence)."""
    text = "\n".join((repr(period.start.timestamp()), period.note, period.by or ""))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def state_of(period: AwayPeriod, now: float) -> State:
    if period.end.timestamp() <= now:
        return "ended"
    return "current" if period.start.timestamp() <= now else "upcoming"


def current(document: Mapping[str, Any], now: float) -> AwayPeriod | None:
    """The absence ``now`` falls in, as ``HomeConfig.away_at`` says it, from a stored
    document."""
    return away_at(periods_of(document), now)


def upcoming(document: Mapping[str, Any], now: float) -> AwayPeriod | None:
    """The soonest absence that starts after ``now``, from a stored document (the one
    ending first, if several start together)."""
    coming = [p for p in periods_of(document) if state_of(p, now) == "upcoming"]
    return min(coming, key=lambda p: (p.start, p.end)) if coming else None


def pruned(periods: Iterable[AwayPeriod], now: float) -> tuple[AwayPeriod, ...]:
    """Without the absences that ended more than :data:`KEEP_ENDED_S` ago, by start."""
    kept = [p for p in periods if p.end.timestamp() > now - KEEP_ENDED_S]
    return tuple(sorted(kept, key=lambda p: (p.start, p.end)))


def new_period(
    start: datetime, end: datetime, *, note: str, by: str | None, zone: ZoneInfo
) -> AwayPeriod:
    """An absence as the contract takes it, in the home's zone; a naive time is the home's
    wall clock. :class:`InvalidAbsence` says what is wrong with it."""
    start, end = in_zone(start, zone), in_zone(end, zone)
    try:
        return AwayPeriod(start=start.astimezone(zone), end=end.astimezone(zone), note=note, by=by)
    except ValidationError as exc:
        code = (
            "absence_end_before_start"
            if end <= start
            else "absence_too_long"
            if end - start > AWAY_LONGEST
            else None
        )
        reason = describe_validation_error(exc).removeprefix("(root): ")
        raise InvalidAbsence(reason, code=code) from None


def with_added(
    periods: Iterable[AwayPeriod], new: AwayPeriod, now: float
) -> tuple[AwayPeriod, ...]:
    """The list with ``new`` announced in it (the rules of the module docstring)."""
    if new.end.timestamp() <= now:
        raise InvalidAbsence(
            f"this absence would be over already (it ends {new.end.isoformat()}); "
            "announce one that ends later",
            code="absence_over",
        )
    kept = pruned(periods, now)
    same = next((p for p in kept if period_id(p) == period_id(new)), None)
    if same is not None:
        if same == new:  # sent twice (a double tap): announced once
            return kept
        raise AbsenceError(
            f"an absence from {new.start.isoformat()} is announced already (until "
            f"{same.end.isoformat()}); end it, or announce one with another start",
            code="absence_taken",
        )
    result = list(pruned((*kept, new), now))
    ended = sorted((p for p in result if state_of(p, now) == "ended"), key=lambda p: p.end)
    while len(result) > MOST and ended:
        result.remove(ended.pop(0))
    if len(result) > MOST:
        raise AbsenceError(
            f"{MOST} absences are announced already; end or call one off before adding another",
            code="absence_too_many",
        )
    return tuple(result)


def with_ended(
    periods: Iterable[AwayPeriod], wanted: str, now: float, zone: ZoneInfo
) -> tuple[tuple[AwayPeriod, ...], AwayPeriod, AwayPeriod | None]:
    """The list with absence ``wanted`` ended now: (the list, the absence as it was, as it is
    now or None when it was dropped, not having started)."""
    periods = tuple(periods)
    found = next((p for p in periods if period_id(p) == wanted), None)
    if found is None:
        raise AbsenceNotFound(f"no announced absence {wanted!r}")
    others = [p for p in periods if p is not found]
    if state_of(found, now) == "ended":
        raise AbsenceError(
            f"this absence is over already (it ended {found.end.isoformat()})",
            code="absence_ended",
        )
    ended_at = datetime.fromtimestamp(now, zone).replace(microsecond=0)  # now, to the second
    if ended_at <= found.start:  # called off before it began
        return pruned(others, now), found, None
    ended = found.model_copy(update={"end": ended_at})
    return pruned((*others, ended), now), found, ended


# -- writing ---------------------------------------------------------------------------------


def announce(
    session: Session,
    home: Home,
    start: datetime,
    end: datetime,
    *,
    note: str = "",
    by: str,
    now: float,
    prefix: str = DEFAULT_PREFIX,
) -> AwayPeriod:
    """Announce an absence of ``home``'s resident (by the account ``by``): stored, and
    queued for the edge. The absence as kept."""
    lock_config(session, home)
    zone = ZoneInfo(home.timezone)
    period = new_period(start, end, note=note, by=by, zone=zone)
    periods = with_added(periods_of(home.config), period, now)
    set_away(session, home, periods, prefix=prefix, now=now)
    log.info(
        "%s: %s announced an absence from %s until %s",
        home.id, by, period.start.isoformat(), period.end.isoformat(),
    )  # fmt: skip
    return period


def end_now(
    session: Session,
    home: Home,
    wanted: str,
    *,
    by: str,
    now: float,
    prefix: str = DEFAULT_PREFIX,
) -> AwayPeriod | None:
    """ "She is back": absence ``wanted`` ends now (or is called off, not having begun),
    stored and queued for the edge. The absence as it is now, None when dropped."""
    lock_config(session, home)
    zone = ZoneInfo(home.timezone)
    periods, was, now_is = with_ended(periods_of(home.config), wanted, now, zone)
    set_away(session, home, periods, prefix=prefix, now=now)
    if now_is is None:
        log.info("%s: %s called off the absence from %s", home.id, by, was.start.isoformat())
    else:
        log.info(
            "%s: %s ended the absence from %s at %s (announced until %s)",
            home.id, by, was.start.isoformat(), now_is.end.isoformat(), was.end.isoformat(),
        )  # fmt: skip
    return now_is
