"""`eldercare demo` as a user starts it: a real process on a free port, its terminal read
as it goes; ready once it prints where to log in."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.factories import free_port
from tests.support.stack_dumps import STACK_DUMPS


@dataclass
class Demo:
    url: str
    process: asyncio.subprocess.Process
    reader: asyncio.Future[list[None]]
    lines: list[str] = field(default_factory=list)


@contextlib.asynccontextmanager
async def running_demo(
    *options: str, ready_within: float = 60, ctrl_c: bool = False
) -> AsyncIterator[Demo]:
    """The demo with these options, once it says where to log in; stopped afterwards as a
    service manager stops it (SIGTERM to it), or with ``ctrl_c`` as Ctrl-C in its
    terminal does (SIGINT to its whole process group: whatever it started that stayed in
    the group gets it at the same moment)."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.support.stack_dumps", "demo", "--port", str(port), *options,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        start_new_session=ctrl_c,  # a terminal's foreground job: a group of its own
    )  # fmt: skip
    lines: list[str] = []
    errors: list[str] = []

    # Both streams read as they come, as a terminal reads them: a pipe nobody reads fills
    # up and blocks the writer, which is not how the demo runs for anyone.
    async def read(stream: asyncio.StreamReader | None, into: list[str]) -> None:
        assert stream is not None
        async for line in stream:
            into.append(line.decode(errors="replace"))

    reader = asyncio.gather(read(process.stdout, lines), read(process.stderr, errors))
    demo = Demo(f"http://127.0.0.1:{port}", process, reader, lines)
    try:
        async with asyncio.timeout(ready_within):
            while not any("/login" in line for line in lines):
                assert process.returncode is None, "".join(errors)
                await asyncio.sleep(0.1)
        yield demo
    finally:
        started = children(process.pid)  # its private brokers
        # What it started must go with it.
        with contextlib.suppress(ProcessLookupError):
            if ctrl_c:
                os.killpg(process.pid, signal.SIGINT)
            else:
                process.terminate()
        stuck = False
        try:
            async with asyncio.timeout(STOP_S):
                await process.wait()
        except TimeoutError:
            stuck = True
            with contextlib.suppress(ProcessLookupError):  # where it waits, into its stderr
                for dump in STACK_DUMPS:
                    process.send_signal(dump)
                    await asyncio.sleep(1)
        finally:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await reader
        stderr = "".join(errors)
        stop = "Ctrl-C" if ctrl_c else "SIGTERM"
        assert not stuck, f"{stop}: not stopped within {STOP_S} s; its stderr:\n{stderr}"
        assert process.returncode == 0, f"{stop}: exit {process.returncode}: {stderr}"
        # A clean stop: the pages and the hub shut down, nothing cut off mid-message.
        assert "Traceback" not in stderr and "never retrieved" not in stderr, stderr
        left = [pid for pid in started if alive(pid)]
        assert not left, f"the demo left processes running: {left}"


STOP_S = 20  # what a demo may take to stop its edges, hub and brokers


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (from any of its threads)."""
    found: list[int] = []
    for listing in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in listing.read_text().split()]
    return found


def alive(pid: int) -> bool:
    """Running, not a zombie (a reaped process has no entry at all)."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return status.rsplit(")", 1)[1].split()[0] != "Z"
