"""The one HTTP layer under every vendor client.

What it guarantees, so that no vendor client has to:
- the key goes only to the configured origin: URLs are built from that origin and
  a documented path, never taken from a reply, and redirects are refused, not
  followed (a custom header or a JSON body would travel with them);
- every call ends by its deadline and reads a bounded reply (`bounded_http`);
- transport failures become ProviderErrors that say whether the request may have
  arrived, and a paid call is re-sent only when it provably did not (or when the
  provider's own reply says nothing was done);
- no attempt starts after Cancel, waits end on Cancel, and the key never appears
  in an error, whatever the provider echoed.

A vendor client supplies only paths, bodies and `parse`, which turns a reply into
its result or into the ProviderError it amounts to.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, TypeVar

import requests

from ..concurrency import AccountLimit
from ..config import ProviderConfig
from ..errors import Cancelled, ObjectRemovalError, ProviderError, redact
from ..run_context import CancelSignal
from .bounded_http import DeadlinePassed, HttpReply, ReplyTooLarge, UnreadableEncoding, send
from .retry import RetryPolicy, call_with_retries, cancellable_wait, failed_before_sending

T = TypeVar("T")

# Provider JSON replies are small; AILabTools' carry one base64 image (under 5 MB
# sent, so well under this once encoded).
MAX_REPLY_BYTES = 32 * 1024 * 1024
RetryHook = Callable[[int, float, Exception], None]
# The code of a ProviderError raised because the node's own wait ran out.
NODE_DEADLINE = "NODE_DEADLINE"


@dataclass(frozen=True)
class Timeouts:
    connect: float = 10.0
    read: float = 60.0
    """Longest silence between two reads."""
    total: float = 120.0
    """Longest a single request may take, connect to last byte."""


class KeyedHttp:
    """Calls to one configured provider origin, with its key."""

    def __init__(
        self,
        config: ProviderConfig,
        *,
        timeouts: Timeouts = Timeouts(),
        cancel: CancelSignal | None = None,
        deadline: float | None = None,
        rng: random.Random | None = None,
        on_retry: RetryHook | None = None,
        max_reply_bytes: int = MAX_REPLY_BYTES,
    ) -> None:
        self.config = config
        self.key = config.require_key()
        self.timeouts = timeouts
        self.cancel = cancel
        self.deadline = deadline
        """When the node's whole wait ends (`time.monotonic()`); None: each call's own."""
        self.rng = rng
        self.on_retry = on_retry
        self._max_reply_bytes = max_reply_bytes

    @property
    def provider(self) -> str:
        return self.config.name

    def post(
        self,
        path: str,
        *,
        what: str,
        parse: Callable[[HttpReply], T],
        paid: bool,
        policy: RetryPolicy,
        limit: AccountLimit | None = None,
        hold: bool = True,
        **request_args: Any,
    ) -> T:
        """POST to `path` on the configured origin; `parse` the reply; retry what is safe.

        `paid`: the call itself is billed (or creates a billed job), so it is re-sent
        only after a failure that certainly did not bill (not sent, or refused); and
        once sent, its reply is read to the call's own limit even past the node's
        deadline, so that what was bought is known (the node stops waiting at its
        deadline, not the thread that reads the reply).
        `limit`: the account's learnt limit, told of refusals and successes; with
        `hold`, each attempt also waits for a slot of it (else the caller holds one).
        """
        url = self.config.base_url + path
        call = limit.call() if limit is not None else None

        def attempt() -> T:
            if self.cancel is not None and self.cancel.is_set():
                raise Cancelled("cancelled")
            with call.attempt(hold=hold, cancel=self.cancel) if call else nullcontext():
                try:
                    result = self._exchange(url, what, parse, request_args, paid)
                except ProviderError as exc:
                    if call is not None and exc.rate_limited:
                        call.refused()
                    raise
                if call is not None:
                    call.succeeded()
            return result

        def should_retry(exc: Exception) -> bool:
            if not isinstance(exc, ProviderError) or not exc.retryable:
                return False
            return not (paid and exc.maybe_billed)

        try:
            return call_with_retries(
                attempt, policy=policy, should_retry=should_retry,
                wait=cancellable_wait(self.cancel), rng=self.rng, on_retry=self.on_retry,
                deadline=self.deadline,
            )
        except ProviderError as exc:
            if paid and exc.maybe_billed:
                exc.args = (
                    f"{exc} The {what} may have reached {self.provider} and been billed, so "
                    f"it was not sent again; check your {self.provider} dashboard before "
                    "trying again.",
                )
            exc.args = (redact(str(exc), [self.key]),)
            raise
        except ObjectRemovalError as exc:
            exc.args = (redact(str(exc), [self.key]),)
            raise
        finally:
            if call is not None:
                call.done()

    def _exchange(
        self, url: str, what: str, parse: Callable[[HttpReply], T], request_args: dict[str, Any],
        paid: bool,
    ) -> T:
        reply = self._send(url, what, request_args, paid)
        if 300 <= reply.status < 400:
            raise ProviderError(
                f"{self.provider} {what}: answered with a redirect (HTTP {reply.status}); "
                "it is not followed, since the key would go with it. Check "
                f"{self.config.base_url_env} (now {self.config.base_url}).",
                provider=self.provider, http_status=reply.status,
            )
        return parse(reply)

    def _send(self, url: str, what: str, request_args: dict[str, Any], paid: bool
              ) -> HttpReply:
        own_deadline = time.monotonic() + self.timeouts.total
        deadline = own_deadline
        if self.deadline is not None and not paid:
            deadline = min(own_deadline, self.deadline)
        try:
            return send(
                "POST", url, deadline=deadline, max_bytes=self._max_reply_bytes,
                connect_timeout=self.timeouts.connect, read_timeout=self.timeouts.read,
                **request_args,
            )
        except DeadlinePassed as passed:
            node_deadline = deadline != own_deadline
            waited = "the node's timeout" if node_deadline else f"{self.timeouts.total:.0f} s"
            raise ProviderError(
                f"{self.provider} {what}: no complete answer within {waited}.",
                provider=self.provider, maybe_billed=passed.connected,
                code=NODE_DEADLINE if node_deadline else "TIMEOUT",
            ) from None
        except ReplyTooLarge as large:
            raise ProviderError(
                f"{self.provider} {what}: the reply is larger than {large.limit} bytes; it was "
                "refused without reading the rest.",
                provider=self.provider, code="REPLY_TOO_LARGE", maybe_billed=True,
            ) from None
        except UnreadableEncoding as odd:
            raise ProviderError(
                f"{self.provider} {what}: the reply is unreadable ({odd.encoding}).",
                provider=self.provider, code="UNREADABLE", maybe_billed=True,
            ) from None
        except requests.RequestException as exc:
            before = failed_before_sending(exc)
            detail = (
                "could not connect" if before
                else "the connection broke after the request was sent"
            )
            raise ProviderError(
                f"{self.provider} {what}: {detail} ({type(exc).__name__}). Check the network, "
                f"or {self.config.base_url_env} (now {self.config.base_url}).",
                provider=self.provider, retryable=True, maybe_billed=not before,
                code="NOT_SENT" if before else "MAYBE_SENT",
            ) from None


def json_object(body: bytes) -> dict[str, Any] | None:
    """The reply body as a JSON object, or None for anything else (not JSON, not an
    object, nested too deep to parse, numbers too long to read)."""
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def unreadable_reply(
    provider: str, what: str, reply: HttpReply, *, retry_after: float | None, maybe_billed: bool
) -> ProviderError:
    """The error for a reply that is not a JSON object (an HTML error page, say)."""
    server_trouble = reply.status >= 500 or reply.status == 429
    return ProviderError(
        f"{provider} {what}: sent an unreadable reply (HTTP {reply.status}, not a JSON object)"
        + (": server trouble, try again later." if server_trouble else "."),
        provider=provider, http_status=reply.status, retryable=server_trouble,
        retry_after=retry_after, code="UNREADABLE", maybe_billed=maybe_billed,
    )
