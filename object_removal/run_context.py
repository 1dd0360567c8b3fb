"""Cancellation, progress and status for long waits, the same inside ComfyUI and out.

Blocking HTTP runs in daemon threads, never on the event loop, so ComfyUI can
run other nodes meanwhile. Each wait wakes often enough to notice Cancel. A
cancelled call's thread is left to finish on its own (its HTTP timeouts bound
it) instead of being waited for, so Cancel takes effect at once; threads see the
Cancel themselves (`cancel_signal`) and start no new request after it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Literal, Protocol, TypeVar

from .errors import Cancelled
from .spending import Spend

T = TypeVar("T")

CANCEL_CHECK_SECONDS = 0.2

StatusState = Literal["working", "paid", "free", "pending"]
"""What a status line reports, for the front end to show each its own way: still
working; done with paid calls; done at no charge (from cache, resumed, offline or
nothing to do); or a job left running at the provider, to collect later."""


class DeadlinePassed(Exception):
    """A wait's deadline passed before what it waited for (a job, a reply) came."""


class CancelSignal(Protocol):
    """What a worker thread asks to learn of Cancel (a threading.Event is one)."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


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

    @property
    def cancel_signal(self) -> CancelSignal:
        """Cancel as worker threads see it: set as soon as the run is cancelled (in
        ComfyUI, as soon as Cancel is pressed, not only once the event loop noticed), so
        a thread sends nothing more after it."""
        return _RunCancelled(self)

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


class _RunCancelled:
    def __init__(self, ctx: RunContext) -> None:
        self._ctx = ctx

    def is_set(self) -> bool:
        if self._ctx.cancel_requested():
            self._ctx.cancel_event.set()
            return True
        return False

    def wait(self, timeout: float | None = None) -> bool:
        end = None if timeout is None else time.monotonic() + timeout
        while not self.is_set():
            left = CANCEL_CHECK_SECONDS if end is None else end - time.monotonic()
            if left <= 0:
                return False
            self._ctx.cancel_event.wait(min(CANCEL_CHECK_SECONDS, left))
        return True


async def run_blocking(ctx: RunContext, function: Callable[[], T], *,
                       deadline: float | None = None) -> T:
    """Run `function` in a daemon thread; return its result, or raise on Cancel (or
    DeadlinePassed past `deadline`, a `time.monotonic()` instant). Either way the thread
    runs on to its end: what it does once its answer comes (keep a job it paid for) is
    done whatever happened to the run."""
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
            wait = CANCEL_CHECK_SECONDS
            if deadline is not None:
                wait = max(0.0, min(wait, deadline - time.monotonic()))
            done, _ = await asyncio.wait({future}, timeout=wait)
            if done:
                return future.result()
            ctx.raise_if_cancelled()
            if deadline is not None and time.monotonic() >= deadline:
                raise DeadlinePassed()
    except asyncio.CancelledError:
        # The task itself was cancelled (e.g. ComfyUI ended the run): stop the
        # thread's retries too.
        ctx.cancel_event.set()
        raise


async def gather_all(awaitables: list[Awaitable[T]]) -> list[T]:
    """Run side by side and return results in order; on the first error cancel the rest
    and let them finish cancelling (release what they hold) before raising it."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        try:
            await asyncio.wait(tasks)
        except BaseException:
            pass  # cancelled again meanwhile: the first error is the one to report
        raise


def _call_soon(loop: asyncio.AbstractEventLoop, *args: object) -> None:
    try:
        loop.call_soon_threadsafe(*args)
    except RuntimeError:
        pass  # the loop has closed: nobody is waiting for this result any more
