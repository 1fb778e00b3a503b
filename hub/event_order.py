"""A home's events in event order, whatever order the hub workers handle them in.

With several workers (hub.arbiter) a home's raise and its clear may reach two of them, and
the clear may be committed first. The home's lock makes them take turns; this module makes
the outcome the one event order gives, by comparing event times (``ts``, then ``seq`` of
the same edge):

* **a clear before its raise**: a ``cleared`` event with no open alert is stored unlinked
  (``alert_id`` NULL); the raise, when it comes, finds it (:func:`early_clear`) and is
  applied as raised and then cleared, as it happened;
* **a clear older than the alert's latest raise or update** (raise, clear, raise again,
  handled raise, raise, clear): :func:`stale_clear`, the clear is linked and changes
  nothing, the condition is on again;
* **an update older than the alert's clear**: :func:`cleared_since`, it does not
  re-activate the alert;
* **a consequence of a fall** (``no_activity`` while she is down, hub.alerts): recorded on
  the fall if the fall was active when it happened (:func:`active_at`), whether the fall's
  clear was handled before or after it; one recorded on the fall before the fall's older
  clear was handled happened after she got up (:func:`consequences_after`), and becomes
  an alert of its own when that clear comes.

One hub process on SQLite takes its messages in broker order, which is the edge's order:
none of this is asked there. A reopen is asked on both (:func:`cleared_while_resolved`): it
comes from a person, at any time after the events it must take account of.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .schema import Alert, EventRow


def _later(a: EventRow, b: EventRow) -> bool:
    """Whether ``a`` happened after ``b`` (the same moment: the edge's seq decides)."""
    if a.ts != b.ts:
        return a.ts > b.ts
    return a.edge == b.edge and a.seq > b.seq


def early_clear(session: Session, raised: EventRow) -> EventRow | None:
    """The clear of this condition that was handled before its raise, if any: of the same
    home, kind and edge, unlinked, and later in event time than the raise."""
    candidates = session.scalars(
        select(EventRow)
        .where(
            EventRow.home_id == raised.home_id,
            EventRow.kind == raised.kind,
            EventRow.edge == raised.edge,
            EventRow.state == "cleared",
            EventRow.alert_id.is_(None),
            EventRow.ts >= raised.ts,
        )
        .order_by(EventRow.ts.desc(), EventRow.seq.desc())
    ).all()
    return next((clear for clear in candidates if _later(clear, raised)), None)


def stale_clear(session: Session, alert: Alert, cleared: EventRow) -> bool:
    """Whether the alert was raised or updated after this clear, in event time."""
    latest = _latest(session, alert, raising=True)
    return latest is not None and _later(latest, cleared)


def cleared_since(session: Session, alert: Alert, update: EventRow) -> bool:
    """Whether the (inactive) alert was cleared after this raise or update, in event time."""
    latest = _latest(session, alert, raising=False)
    return latest is not None and _later(latest, update)


def active_at(session: Session, alert: Alert, event: EventRow) -> bool:
    """Whether the alert was active when ``event`` happened, in event time: its newest
    raise, update or clear before the event is not a clear."""
    candidates = session.scalars(
        select(EventRow)
        .where(
            EventRow.alert_id == alert.id,
            EventRow.kind == alert.kind,
            EventRow.ts <= event.ts,
        )
        .order_by(EventRow.ts.desc(), EventRow.seq.desc())
    ).all()
    before = next((own for own in candidates if not _later(own, event)), None)
    return before is not None and before.state != "cleared"


def consequences_after(session: Session, alert: Alert, cleared: EventRow) -> list[EventRow]:
    """The other kinds' events recorded on ``alert`` (a fall's no_activity, not_up...) that
    happened after ``cleared``, its clear, in event time: it was not active then. Oldest
    first."""
    candidates = session.scalars(
        select(EventRow)
        .where(
            EventRow.alert_id == alert.id,
            EventRow.kind != alert.kind,
            EventRow.ts >= cleared.ts,
        )
        .order_by(EventRow.ts, EventRow.seq)
    ).all()
    return [event for event in candidates if _later(event, cleared)]


def _latest(session: Session, alert: Alert, *, raising: bool) -> EventRow | None:
    states = ("raised", "updated") if raising else ("cleared",)
    return session.scalars(
        select(EventRow)
        .where(
            EventRow.alert_id == alert.id,
            # Its own: a fall's no_activity (related) is no raise or update of the fall.
            EventRow.kind == alert.kind,
            EventRow.state.in_(states),  # never this one's: it is the other kind
        )
        .order_by(EventRow.ts.desc(), EventRow.seq.desc())
        .limit(1)
    ).first()


def cleared_while_resolved(session: Session, alert: Alert) -> EventRow | None:
    """The clear its edge sent while the alert was resolved, if the condition has been over
    since: the newest event of the alert's home and kind from the edge that raised it, when
    that is a clear later than the alert's own newest raise or update. With no open alert to
    clear, it was kept unlinked (or went to a later alert of the kind, resolved since)."""
    own = _latest(session, alert, raising=True)
    if own is None:
        return None  # the hub's own alert: no edge clears it
    raiser = session.scalar(  # as hub.alerts' clear_refused: only the raiser clears
        select(EventRow.edge).where(EventRow.alert_id == alert.id).order_by(EventRow.id).limit(1)
    )
    newest = session.scalars(
        select(EventRow)
        .where(
            EventRow.home_id == alert.home_id,
            EventRow.kind == alert.kind,
            EventRow.edge == raiser,
            EventRow.ts >= own.ts,
        )
        .order_by(EventRow.ts.desc(), EventRow.seq.desc())
        .limit(1)
    ).first()
    if newest is None or newest.state != "cleared" or not _later(newest, own):
        return None
    return newest
