"""Cancellation, progress and status for long waits, the same inside ComfyUI and out.

Blocking HTTP runs in daemon threads, never on the event loop, so ComfyUI can
run other nodes meanwhile. Each wait wakes often enough to notice Cancel. A
cancelled call's thread is left to finish on its own (its HTTP timeouts bound
it) instead of being waited for, so Cancel takes effect at once.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

from .errors import Cancelled
from .spending import Spend

T = TypeVar("T")

CANCEL_CHECK_SECONDS = 0.2

StatusState = Literal["working", "paid", "free", "pending"]
"""What a status line reports, for the front end to show each its own way: still
working; done with paid calls; done at no charge (from cache, resumed, offline or
nothing to do); or a job left running at the provider, to collect later."""


class RunContext:
    """What a long-running job reports to and asks about its surroundings.

    This base class is the one used outside ComfyUI (command line, tests);
    `comfy_bridge.ComfyRunContext` reports to ComfyUI's front end instead.
    """

    def __init__(
        self,
        *,
        on_progress: Callable[[float, float], None] | None = None,
        on_status: Callable[[str], None] | None = None,
        spend: Spend | None = None,
    ) -> None:
        # Set when the run is cancelled; worker threads wait on it between retries.
        self.cancel_event = threading.Event()
        # What the run cost; a caller running several (the command line) may share one.
        self.spend = spend if spend is not None else Spend()
        self._on_progress = on_progress
        self._on_status = on_status

    def cancel(self) -> None:
        self.cancel_event.set()

    def cancel_requested(self) -> bool:
        return self.cancel_event.is_set()

    def cancel_error(self) -> BaseException:
        return Cancelled("cancelled")

    def progress(self, done: float, total: float) -> None:
        if self._on_progress is not None:
            self._on_progress(done, total)

    def status(self, text: str, job: str | None = None, *, state: StatusState = "working",
               eta: float | None = None) -> None:
        """A one-line state for the user; `job` is a handle worth copying, once the job
        exists; `eta` the provider's estimate in seconds, if it gave one."""
        if self._on_status is not None:
            self._on_status(text if eta is None else f"{text}, eta {eta:.0f} s")

    def raise_if_cancelled(self) -> None:
        if self.cancel_requested():
            self.cancel_event.set()  # ComfyUI's flag is separate: pass it on to the threads
            raise self.cancel_error()


async def run_blocking(ctx: RunContext, function: Callable[[], T]) -> T:
    """Run `function` in a daemon thread; return its result, or raise on Cancel."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def deliver(setter: Callable[..., None], value: object) -> None:
        if not future.done():
            setter(value)

    def work() -> None:
        try:
            result = function()
        except BaseException as exc:  # delivered to the awaiting coroutine
            _call_soon(loop, deliver, future.set_exception, exc)
        else:
            _call_soon(loop, deliver, future.set_result, result)

    threading.Thread(target=work, name="object-removal-http", daemon=True).start()
    try:
        while True:
            done, _ = await asyncio.wait({future}, timeout=CANCEL_CHECK_SECONDS)
            if done:
                return future.result()
            ctx.raise_if_cancelled()
    except asyncio.CancelledError:
        # The task itself was cancelled (e.g. ComfyUI ended the run): stop the
        # thread's retries too.
        ctx.cancel_event.set()
        raise


async def gather_all(awaitables: list[Awaitable[T]]) -> list[T]:
    """Run side by side and return results in order; on the first error cancel the rest."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        raise


def _call_soon(loop: asyncio.AbstractEventLoop, *args: object) -> None:
    try:
        loop.call_soon_threadsafe(*args)
    except RuntimeError:
        pass  # the loop has closed: nobody is waiting for this result any more
