"""Who read whose data: one row per read of a resident's data (who, which resident, when,
which route), so a station can answer "who looked at my mother's data".

Reads repeat (a console refreshes its lists every few seconds): one row per user, resident
and route per ``every_s`` (a minute) is kept, which says who looked and when as well as a
row per refresh would, at a fraction of the rows. The rows are deleted after
``retention_audit_days`` (hub.retention).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from .schema import ReadAudit
from .store import Store


class ReadLog:
    """Writes read-audit rows, at most one per (user, resident, route) per ``every_s``."""

    def __init__(self, store: Store, every_s: float = 60.0) -> None:
        self.store = store
        self.every_s = every_s
        self._last: dict[tuple[str, str, str], float] = {}
        self._lock = threading.Lock()

    def record(
        self,
        username: str,
        role: str,
        residents: Iterable[str],
        route: str,
        now: float | None = None,
    ) -> int:
        """Record a read of ``residents`` (blocking: call from a worker thread); rows
        written. Raises what the store raises."""
        now = time.time() if now is None else now
        fresh = []
        with self._lock:
            if len(self._last) > 100_000:  # forget the window rather than grow for good
                self._last.clear()
            for resident in dict.fromkeys(residents):
                key = (username, resident, route)
                if now - self._last.get(key, float("-inf")) >= self.every_s:
                    self._last[key] = now
                    fresh.append(resident)
        if not fresh:
            return 0
        try:
            with self.store.transaction() as session:
                session.add_all(
                    ReadAudit(at=now, username=username, role=role, resident=r, route=route)
                    for r in fresh
                )
        except Exception:
            with self._lock:  # not written: the next read tries again
                for resident in fresh:
                    self._last.pop((username, resident, route), None)
            raise
        return len(fresh)


def reads_of(
    session: Session, resident: str, limit: int = 500, before: float | None = None
) -> Sequence[ReadAudit]:
    """The newest reads of a resident's data first."""
    query = select(ReadAudit).where(ReadAudit.resident == resident)
    if before is not None:
        query = query.where(ReadAudit.at < before)
    return session.scalars(
        query.order_by(ReadAudit.at.desc(), ReadAudit.id.desc()).limit(limit)
    ).all()
