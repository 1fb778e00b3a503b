"""The pool of the hub's connections to an SQLite file, which can close them all at once.

SQLite opens a database's shared-memory file (``-shm``, the WAL's index) once per process,
when a connection first needs it, and shares that handle among the process's connections
until the last of them closes. A handle opened while the file was read-only (a database
made read-only by its administrator, a disk remounted read-only after errors) is
read-only, and so is every connection that shares it, even once the file is writable
again. In a busy hub, whose API requests and loops overlap, some connection is always
open: the store would stay read-only for good.

Dropping the pool (``Engine.dispose``) is not enough: a connection checked out meanwhile
is returned to the old pool and stays open there until the garbage collector finds it.
:meth:`SqlitePool.close_all` holds new check-outs back, waits for the connections in use
to come back, and only then closes them all; the next one opens the files as they are now.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy.pool import ConnectionPoolEntry, QueuePool

log = logging.getLogger("hub.store")

# How long close_all() waits for the connections in use, and a check-out for close_all():
# longer than a unit of work should take, short enough that a stuck one delays little.
CLOSE_ALL_WAIT_S = 2.0


class SqlitePool(QueuePool):
    """SQLAlchemy's QueuePool, plus :meth:`close_all`."""

    def __init__(self, creator: Any, **kwargs: Any):
        super().__init__(creator, **kwargs)
        self._changed = threading.Condition()
        self._closing = 0  # close_all() calls going on (two threads may probe at once)

    def close_all(self, wait_s: float = CLOSE_ALL_WAIT_S) -> bool:
        """Close every connection, waiting (at most ``wait_s``) for those in use while new
        check-outs wait. False if some were still in use after ``wait_s``: then none is
        closed (dropping the pool instead is the best left, see the module's doc)."""
        with self._changed:
            self._closing += 1
            try:
                returned = self._changed.wait_for(lambda: self.checkedout() == 0, wait_s)
                if returned:
                    self.dispose()  # closes the idle ones, which are now all of them
            finally:
                self._closing -= 1
                self._changed.notify_all()
        if not returned:
            log.warning(
                "store: connections still in use after %.1f s; the SQLite files are not "
                "opened anew this time",
                wait_s,
            )
        return returned

    def _do_get(self) -> ConnectionPoolEntry:
        with self._changed:
            # Bounded: a thread that holds a connection and asks for another would otherwise
            # wait for itself.
            self._changed.wait_for(lambda: self._closing == 0, CLOSE_ALL_WAIT_S)
        return super()._do_get()

    def _do_return_conn(self, record: ConnectionPoolEntry) -> None:
        super()._do_return_conn(record)  # type: ignore[arg-type]
        with self._changed:
            self._changed.notify_all()
