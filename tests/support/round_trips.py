"""What a piece of the hub's work costs its store in round trips: the statements an engine
sends (SQLAlchemy's ``before_cursor_execute``: one per statement or executemany, savepoints
included) and the transactions it commits or rolls back.

On PostgreSQL each statement is one round trip to the server, and each transaction two more
(psycopg's ``BEGIN`` before its first statement, and the ``COMMIT``), plus the pool's ping
when it hands the session a connection (``pool_pre_ping``): docs/hub-at-scale.md ("Hub
workers on PostgreSQL") counts them per event and per telemetry message.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy import Engine, event


class Statements:
    """Counts what ``engine`` sends while the ``with`` block runs."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.sent: list[str] = []  # each statement, in order
        self.transactions = 0  # committed or rolled back
        self.checkouts = 0  # connections handed out by the pool (a ping each)

    @property
    def round_trips(self) -> int:
        return len(self.sent) + 2 * self.transactions + self.checkouts

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._ended)
        event.listen(self.engine, "rollback", self._ended)
        event.listen(self.engine.pool, "checkout", self._checkout)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._ended)
        event.remove(self.engine, "rollback", self._ended)
        event.remove(self.engine.pool, "checkout", self._checkout)

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        self.sent.append(" ".join(statement.split()))

    def _ended(self, _conn: Any) -> None:
        self.transactions += 1

    def _checkout(self, *_args: Any) -> None:
        self.checkouts += 1

    def listing(self) -> str:
        """The statements, one a line, shortened: what a reader of a failure wants."""
        return "\n".join(f"{n:3d} {sql[:160]}" for n, sql in enumerate(self.sent, 1))
