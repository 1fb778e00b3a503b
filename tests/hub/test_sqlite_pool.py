"""A busy hub's SQLite store made read-only, then writable again, writes again at once.

SQLite shares one handle on a database's -shm file among a process's connections; the
store must get it opened anew once the file is writable, although its connections overlap.
Run in a child process without root's file override, so that a read-only file is one.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support.hub_process import without_root_file_override

BUSY_STORE = textwrap.dedent(
    """
    import json, sys, threading, time
    from pathlib import Path
    from sqlalchemy import text
    from hub.store import Store

    folder = Path(sys.argv[1])
    database = folder / "hub.db"
    store = Store(f"sqlite:///{database}", recycle_s=1)  # as the hub's tests run it
    busy, stop = threading.Event(), threading.Event()
    busy.set()
    reads, errors = [0], []

    def request(start_s):  # a page's query, 0.2 s long; two of them, 0.1 s apart, overlap
        time.sleep(start_s)
        while not stop.is_set():
            busy.wait()
            try:
                with store.sessions() as session:
                    session.execute(text("SELECT count(*) FROM homes")).all()
                    time.sleep(0.2)
                reads[0] += 1
            except Exception as exc:
                errors.append(repr(exc))

    def mode(bits):  # as an administrator would: the database and its -wal and -shm
        database.chmod(bits)
        for path in folder.glob("hub.db-*"):
            path.chmod(bits)

    requests = [threading.Thread(target=request, args=(s,), daemon=True) for s in (0, 0.1)]
    for thread in requests:
        thread.start()
    time.sleep(0.5)
    mode(0o444)
    time.sleep(2)  # every connection has been opened again since
    busy.clear()  # a quiet moment, then busy again
    time.sleep(0.5)
    read_only = [store.can_write()]
    busy.set()
    time.sleep(0.5)
    read_only.append(store.can_write())
    reads_while_read_only = reads[0]
    mode(0o644)
    writable = store.can_write()
    time.sleep(0.5)
    stop.set()
    for thread in requests:
        thread.join()
    print(json.dumps({
        "read_only": read_only, "writable": writable, "errors": errors,
        "reads_while_read_only": reads_while_read_only,
        "reads_after": reads[0] - reads_while_read_only,
    }))
    """
)


def test_a_busy_store_made_writable_again_writes_at_once(tmp_path: Path):
    child = subprocess.run(
        [sys.executable, "-c", BUSY_STORE, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=without_root_file_override,
        cwd=Path(__file__).parents[2],
    )
    assert child.returncode == 0, child.stderr
    outcome = json.loads(child.stdout)
    assert outcome["read_only"] == [False, False]  # it was read-only to the hub
    # Before: False, and again at every later probe while the pages kept reading.
    assert outcome["writable"] is True
    # The pages read all along, and wait at most a moment while the store is opened anew.
    assert outcome["errors"] == []
    assert outcome["reads_while_read_only"] > 0 and outcome["reads_after"] > 0
