"""Error types the pack raises, and the redaction that keeps keys out of them.

Every error a user can act on is an `ObjectRemovalError`; its message says what
was wrong and what to do. The node classes prefix the node's name.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

REDACTED = "***"
# Provider text (or any foreign text) quoted in an error is cut to this many characters.
MAX_QUOTED_CHARS = 300


class ObjectRemovalError(Exception):
    """A problem the user can fix: bad input, missing key, provider refusal."""


class ProviderError(ObjectRemovalError):
    """A provider refused or failed a request.

    `retryable` tells whether sending the same request again later may work;
    `retry_after` is the provider's hint in seconds, when it gave one;
    `maybe_billed` says the request may have been processed (and billed), so a
    paid call must not be sent again; `rate_limited` that the provider refused it
    as too many at once (nothing was done; fewer at a time will pass).
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        http_status: int | None = None,
        code: str | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        maybe_billed: bool = False,
        rate_limited: bool = False,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.http_status = http_status
        self.code = code
        self.retryable = retryable
        self.retry_after = retry_after
        self.maybe_billed = maybe_billed
        self.rate_limited = rate_limited


class JobTimeoutError(ObjectRemovalError):
    """A queued job was still running when the wait ran out; `handle` collects it later.
    `situation` says what happened without the nodes' advice on collecting it, for
    callers that give their own (the command line)."""

    def __init__(self, message: str, *, handle: str, situation: str | None = None) -> None:
        super().__init__(message)
        self.handle = handle
        self.situation = situation or message


class Cancelled(ObjectRemovalError):
    """The user cancelled the run (outside ComfyUI; inside, ComfyUI's own exception is used)."""


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every secret in `text` with `***`.

    Providers sometimes echo what they were sent, and exception texts travel to
    logs, the browser and /history, so every message passes through here.
    """
    for secret in secrets:
        # Very short values would redact ordinary words; real keys are long.
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


def quoted(text: object) -> str:
    """Foreign text fit to quote in an error: one line, at most MAX_QUOTED_CHARS."""
    line = " ".join(str(text).split())
    if len(line) <= MAX_QUOTED_CHARS:
        return line
    return line[: MAX_QUOTED_CHARS - 1] + "…"


def batch_item(index: int, count: int) -> str:
    """How errors and status lines name one image of a batch: "image 2 of 3"."""
    return f"image {index + 1} of {count}"


@contextmanager
def naming_batch_item(index: int, count: int) -> Iterator[None]:
    """Prefix errors with which image of a batch they concern."""
    try:
        yield
    except ObjectRemovalError as exc:
        if count > 1 and not str(exc).startswith("image "):
            exc.args = (f"{batch_item(index, count)}: {exc}",)
        raise
