"""The database as arbiter between hub workers (MQTT 5 shared subscriptions, one PostgreSQL).

With several workers, any of them may get any message: a home's raise on one worker, its
clear on another, the same message on two after a failover. Nothing in the workers' memory
decides who does what; the store does, inside the transaction that does the work:

* **a message is claimed** by inserting its ``(home, edge, seq)`` into ``received`` with
  ``ON CONFLICT DO NOTHING``: the keys the insert returns are this transaction's to handle,
  the others were (or are being) handled elsewhere and are skipped, never a failed batch.
  A concurrent insert of the same key waits for the other transaction and then skips.
* **a home's alerts change one transaction at a time**: a transaction-scoped advisory lock
  per home (``pg_advisory_xact_lock``), taken before the home's alerts are read, so a
  raise and its clear handled by two workers are applied one after the other, each seeing
  what the other committed (and hub.event_order puts them in event order).
* **background work is claimed**: an escalation timer by locking its home without waiting
  (``pg_try_advisory_xact_lock``: a home another worker is busy with is left to the next
  tick) and reading the timer again under the lock; notifications by ``SELECT ... FOR
  UPDATE SKIP LOCKED`` and a lease (hub.deliveries).

Deadlocks are avoided by order: a transaction takes its home locks first, in one sorted
pass, then claims its messages in sorted key order, then touches alert rows.

On SQLite (one hub process, the embedded default) every function here is a no-op or the
plain query: SQLite lets one writer at a time in, which arbitrates by itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.orm import Session

# The advisory lock space of home locks (the first of the two int4 keys), so that another
# application's advisory locks on the same database cannot collide with ours.
HOME_LOCKS = 0x45_4C_44_52  # "ELDR"


def shared_store(session: Session) -> bool:
    """Whether several processes may write this store at once (anything but SQLite)."""
    return session.get_bind().dialect.name != "sqlite"


def lock_homes(session: Session, homes: Iterable[str]) -> None:
    """Hold each home's lock until the transaction ends, waiting for other workers; in one
    sorted order, so two transactions locking the same homes cannot deadlock."""
    if not shared_store(session):
        return
    wanted = sorted(set(homes))
    if not wanted:
        return
    # hashtext's int4 per home: two homes sharing a hash only wait for each other.
    session.execute(
        text(
            "SELECT pg_advisory_xact_lock(:space, k) FROM "
            "(SELECT DISTINCT hashtext(h) AS k FROM unnest(CAST(:homes AS text[])) AS h "
            "ORDER BY k) AS keys"
        ),
        {"space": HOME_LOCKS, "homes": wanted},
    )


def try_lock_home(session: Session, home: str) -> bool:
    """Take the home's lock if no other transaction holds it (True), without waiting."""
    if not shared_store(session):
        return True
    return bool(
        session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:space, hashtext(:home))"),
            {"space": HOME_LOCKS, "home": home},
        )
    )


def claim_received(
    session: Session, keys: Iterable[tuple[str, str, int]], now: float
) -> set[tuple[str, str, int]]:
    """Insert ``(home, edge, seq)`` into ``received`` unless there; the keys inserted by
    this transaction, which it alone handles. PostgreSQL only (SQLite: hub.ingest's
    look-up, one writer)."""
    ordered = sorted(set(keys))
    if not ordered:
        return set()
    homes, edges, seqs = zip(*ordered, strict=True)
    rows = session.execute(
        text(
            "INSERT INTO received (home, edge, seq, at) "
            "SELECT h, e, s, :at FROM unnest(CAST(:homes AS text[]), CAST(:edges AS text[]), "
            "CAST(:seqs AS bigint[])) WITH ORDINALITY AS k(h, e, s, n) ORDER BY n "
            "ON CONFLICT DO NOTHING RETURNING home, edge, seq"
        ),
        {"at": now, "homes": list(homes), "edges": list(edges), "seqs": list(seqs)},
    )
    return {(home, edge, int(seq)) for home, edge, seq in rows}
