"""`eldercare demo` as a user starts it: a real process on a free port, its terminal read
as it goes; ready once it prints where to log in."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from tests.support.factories import free_port


@dataclass
class Demo:
    url: str
    process: asyncio.subprocess.Process
    reader: asyncio.Task[None]
    lines: list[str] = field(default_factory=list)


@contextlib.asynccontextmanager
async def running_demo(*options: str, ready_within: float = 60) -> AsyncIterator[Demo]:
    """The demo with these options, once it says where to log in; killed afterwards."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "eldercare", "demo", "--port", str(port), *options,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    lines: list[str] = []

    async def read() -> None:
        assert process.stdout is not None
        async for line in process.stdout:
            lines.append(line.decode())

    demo = Demo(f"http://127.0.0.1:{port}", process, asyncio.create_task(read()), lines)
    try:
        async with asyncio.timeout(ready_within):
            while not any("/login" in line for line in lines):
                assert process.returncode is None, await process.stderr.read()  # type: ignore[union-attr]
                await asyncio.sleep(0.1)
        yield demo
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        demo.reader.cancel()
