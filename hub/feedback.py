"""Outcome feedback: the rules by which a home's limit for a routine alert follows what
dispatchers find there, and the log of every change.

The edge's activity detectors multiply their limit for a kind by the home config's
``thresholds.feedback.<kind>`` (analytics/context.py; 0.5-3, and each detector keeps its own
floor and ceiling whatever the factor). The hub sets that factor:

- **A false alarm loosens.** Resolving an alert of a routine kind (:data:`ADAPTING_KINDS`)
  as ``false_alarm`` multiplies the home's factor for that kind by :data:`STEP` (x1.25), up
  to :data:`CAP` (3): 1 -> 1.25 -> 1.56 -> 1.95 -> 2.44 -> 3, the fifth false alarm reaches
  the cap.
- **One bad week cannot make a home deaf.** At most one step per kind every
  :data:`SPACING_S` (7 days), counted from the last step or the last time a person set the
  factor: a week of daily false alarms loosens the limit once (x1.25), and the cap takes at
  least four weeks of them. The detectors learn the resident's routine on their own,
  alarming episodes included; feedback is the slow correction on top, not the main one.
- **Quiet weeks tighten again.** After :data:`DECAY_AFTER_S` (28 days) without a false
  alarm of that kind and without a change, a factor above 1 steps back (/1.25, never below
  1), again every 28 quiet days: from the cap back to 1 in 20 weeks. A missed collapse
  costs far more than a phone call, and a resident's needs change (a limit loosened for
  last winter's habits should not stay loose as she grows frailer); if the looser limit
  was right after all, the next false alarm loosens it again, which costs one call a month
  at most. Factors below 1 (an admin made a home *more* watchful) never decay.
- **Only the routine kinds.** Falls, SOS, vital signs and device problems never adapt:
  their false alarms are the price of never missing one.

Every change is a :class:`~hub.schema.FeedbackChange` row (from -> to, who, why, which
alert), and a false alarm's also a line of that alert's history; an admin sees and sets
them (``/homes/{id}/feedback``). Those history lines are for the station's staff: a family
never sees them. Changing the config itself (store, push to the edge) is
:func:`hub.registry.set_factor`'s.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analytics.context import FEEDBACK, FEEDBACK_MAX, FEEDBACK_MIN

from .errors import HubError
from .schema import Alert, FeedbackChange

DAY_S = 86_400.0

AdaptingKind = Literal[
    "no_activity", "not_up", "long_bathroom_stay", "not_returned_home", "night_wandering"
]
ADAPTING_KINDS: frozenset[str] = frozenset(get_args(AdaptingKind))
STEP = 1.25
CAP = FEEDBACK_MAX
LOWEST = FEEDBACK_MIN  # what an admin may set: a more watchful limit
SPACING_S = 7 * DAY_S
DECAY_AFTER_S = 28 * DAY_S
DECAY_EVERY_S = 3600.0  # how often the hub looks for factors due to decay

# Lines of an alert's history about the home's limits: for the station's staff only.
STAFF_ONLY_ACTIONS = frozenset({"adapted", "not_adapted"})

Reason = Literal["false_alarm", "decay", "admin", "config"]
# Changes a person decided (or caused): the next automatic step waits SPACING_S after them.
_DECIDED: tuple[Reason, ...] = ("false_alarm", "admin", "config")


class FeedbackError(HubError):
    """Factors that cannot be set: an unknown kind, or a value out of bounds."""

    status = 422


def tidy(factor: float) -> float:
    """Four decimals: 1.25 ** 3 is stored as 1.9531, not 1.953125000001."""
    return round(factor, 4)


def factors(document: Mapping[str, Any]) -> dict[str, float]:
    """The factors of a stored config document (``{}`` when it has none)."""
    thresholds = document.get("thresholds") or {}
    raw = thresholds.get(FEEDBACK) or {}
    return {
        kind: float(value)
        for kind, value in raw.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }


def factor(document: Mapping[str, Any], kind: str) -> float:
    return factors(document).get(kind, 1.0)


def checked(raw: object) -> dict[str, float]:
    """``raw`` as factors the detectors accept, or :class:`FeedbackError` saying why not.

    >>> checked({"no_activity": 1.5})
    {'no_activity': 1.5}
    >>> checked({"fall": 2})
    Traceback (most recent call last):
    ...
    hub.feedback.FeedbackError: thresholds.feedback.fall: only no_activity, not_up, \
long_bathroom_stay, not_returned_home, night_wandering adapt to outcomes
    """
    if not isinstance(raw, Mapping):
        raise FeedbackError(f"thresholds.{FEEDBACK} must map alert kinds to factors")
    result = {}
    for kind, value in raw.items():
        where = f"thresholds.{FEEDBACK}.{kind}"
        if kind not in ADAPTING_KINDS:
            kinds = ", ".join(get_args(AdaptingKind))
            raise FeedbackError(f"{where}: only {kinds} adapt to outcomes")
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
        if number is None or not math.isfinite(number) or not LOWEST <= number <= CAP:
            raise FeedbackError(f"{where}: {value!r} is not a factor from {LOWEST:g} to {CAP:g}")
        result[kind] = float(number)
    return result


def with_factors(document: Mapping[str, Any], new: Mapping[str, float]) -> dict[str, Any]:
    """``document`` with these factors; a factor of 1 is no adjustment and is left out."""
    thresholds = dict(document.get("thresholds") or {})
    kept = {kind: tidy(value) for kind, value in sorted(new.items()) if tidy(value) != 1.0}
    if kept:
        thresholds[FEEDBACK] = kept
    else:
        thresholds.pop(FEEDBACK, None)
    return {**document, "thresholds": thresholds}


# -- what a false alarm does ----------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """What one false alarm does to its kind's factor: ``old`` -> ``new``, or ``held`` (at
    the cap, or too soon after the last step: ``until`` when the next may be taken)."""

    kind: str
    old: float
    new: float
    held: Literal["at_cap", "too_soon"] | None = None
    until: float | None = None

    @property
    def changed(self) -> bool:
        return self.new != self.old


def next_step(session: Session, home_id: str, kind: str, old: float, now: float) -> Step:
    """The step a false alarm of ``kind`` takes now, given the factor ``old``."""
    if old >= CAP:
        return Step(kind, old, old, held="at_cap")
    last = session.scalar(
        select(func.max(FeedbackChange.at)).where(
            FeedbackChange.home_id == home_id,
            FeedbackChange.kind == kind,
            FeedbackChange.reason.in_(_DECIDED),
        )
    )
    if last is not None and now - last < SPACING_S:
        return Step(kind, old, old, held="too_soon", until=last + SPACING_S)
    return Step(kind, old, tidy(min(CAP, old * STEP)))


# -- what quiet weeks do --------------------------------------------------------------------


@dataclass(frozen=True)
class Decay:
    """A factor above 1 whose kind has been quiet since ``quiet_since``: step it back."""

    home_id: str
    kind: str
    quiet_since: float

    @staticmethod
    def of(old: float) -> float:
        return max(1.0, tidy(old / STEP))


def decays_due(session: Session, now: float) -> list[Decay]:
    """Kinds whose factor went above 1 and that have had neither a false alarm nor a change
    for :data:`DECAY_AFTER_S`. Only homes with a logged change are looked at (every change
    is logged), so this costs nothing for the homes that never adapted."""
    newest = select(func.max(FeedbackChange.id)).group_by(
        FeedbackChange.home_id, FeedbackChange.kind
    )
    latest = session.scalars(
        select(FeedbackChange).where(FeedbackChange.id.in_(newest), FeedbackChange.factor_to > 1)
    ).all()
    due = []
    for change in latest:
        last_false_alarm = session.scalar(
            select(func.max(Alert.resolved_at)).where(
                Alert.home_id == change.home_id,
                Alert.kind == change.kind,
                Alert.outcome == "false_alarm",
            )
        )
        quiet_since = max(change.at, last_false_alarm or 0.0)
        if now - quiet_since >= DECAY_AFTER_S:
            due.append(Decay(change.home_id, change.kind, quiet_since))
    return due


# -- the log --------------------------------------------------------------------------------


def record(
    session: Session,
    home_id: str,
    kind: str,
    old: float,
    new: float,
    *,
    actor: str,
    reason: Reason,
    now: float,
    alert_id: int | None = None,
    note: str | None = None,
) -> FeedbackChange:
    change = FeedbackChange(
        home_id=home_id, kind=kind, at=now, actor=actor, reason=reason,
        factor_from=old, factor_to=new, note=note, alert_id=alert_id,
    )  # fmt: skip
    session.add(change)
    return change


def changes(session: Session, home_id: str, limit: int = 200) -> Sequence[FeedbackChange]:
    """The home's changes, newest first."""
    query = select(FeedbackChange).where(FeedbackChange.home_id == home_id)
    return session.scalars(query.order_by(FeedbackChange.id.desc()).limit(limit)).all()
