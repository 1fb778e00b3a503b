"""Run an eldercare command as ``python -m tests.support.stack_dumps ARGS`` to see where it
hangs: SIGUSR1 prints every thread's stack and SIGUSR2 every asyncio task's, both to
stderr, and the command goes on. Nothing else differs from ``python -m eldercare ARGS``.

A test that finds a process stuck sends both before killing it, so a stop that never
finishes (rare, and seen only under a loaded CI run) leaves its reason in the failure."""

from __future__ import annotations

import asyncio
import faulthandler
import signal
import sys
from collections.abc import Coroutine
from typing import Any

STACK_DUMPS = (signal.SIGUSR1, signal.SIGUSR2)


def _print_tasks(loop: asyncio.AbstractEventLoop) -> None:
    for task in asyncio.all_tasks(loop):
        print(f"asyncio task {task.get_name()}: {task!r:.300}", file=sys.stderr)
        task.print_stack(file=sys.stderr)
    sys.stderr.flush()


def _with_task_dumps(run: Any) -> Any:
    def run_dumping_tasks(main: Coroutine[Any, Any, Any], **options: Any) -> Any:
        async def dumping() -> Any:
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGUSR2, _print_tasks, loop)
            return await main

        return run(dumping(), **options)

    return run_dumping_tasks


if __name__ == "__main__":
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    asyncio.run = _with_task_dumps(asyncio.run)
    from eldercare.cli import main

    sys.exit(main())
