"""What every benchmark's ``main`` does around its run: SIGTERM cancels it, the bench vhost is
always left empty, a failure becomes the outcome's error and the exit code (1, or 130 when
interrupted), and the processes it started are always killed in the end."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, Protocol


class HasError(Protocol):
    error: str | None


class Killable(Protocol):
    def kill(self) -> None: ...


async def cancellable(
    run: Awaitable[None], *cleanups: Callable[[], Awaitable[object]], timeout: float = 20
) -> None:
    """Await ``run`` with SIGTERM cancelling it; then every cleanup (failures ignored)."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        await run
    finally:
        for cleanup in cleanups:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(cleanup(), timeout)


def exit_code(
    main: Callable[[], Coroutine[Any, Any, None]],
    outcome: HasError,
    started: Iterable[Killable],
    expected: type[Exception],
) -> int:
    """Run ``main``; its failure in ``outcome.error``; the process exit code."""
    try:
        asyncio.run(main())
        return 0
    except (KeyboardInterrupt, asyncio.CancelledError):
        outcome.error = "interrupted"
        return 130
    except expected as exc:
        outcome.error = str(exc)
        return 1
    except Exception as exc:
        outcome.error = f"{type(exc).__name__}: {exc}"
        return 1
    finally:
        for process in started:
            process.kill()  # a last resort: stopped gracefully by the run unless interrupted
