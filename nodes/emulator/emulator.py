"""ProviderEmulator: both fake providers and their CDN, started and scripted from tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from .ailab import handle_ailab
from .ailab_envelope import ailab_error
from .behaviour import Behaviour
from .cdn import handle_cdn
from .control import handle_control
from .http_server import OriginServer
from .leaks import keys_in_request, redact
from .modelslab import fetch_job_id, handle_fetch, handle_submit, handle_upload
from .modelslab_shapes import modelslab_error
from .recording import Headers, RecordedRequest, RequestLog
from .replies import Reply
from .routing import api_endpoint, build_record
from .scripted_replies import render_script
from .scripts import make_script
from .state import EmulatorState

ENDPOINTS = ("ailab", "ml_upload", "ml_submit", "ml_fetch", "cdn", "control")
Handler = Callable[[RecordedRequest, EmulatorState, Behaviour], Reply]


def _handle_unknown(request: RecordedRequest, state: EmulatorState, behaviour: Behaviour) -> Reply:
    # Answer in the style of the provider whose path prefix was used.
    if request.path.startswith("/api/v6/"):
        return modelslab_error("Not found", status=404, legacy=behaviour.legacy_error_spelling)
    return ailab_error("ERROR_AI_NOT_EXISTS", "No such API.", status=404)


_API_HANDLERS: dict[str, Handler] = {
    "ailab": handle_ailab,
    "ml_upload": handle_upload,
    "ml_submit": handle_submit,
    "ml_fetch": handle_fetch,
    "unknown": _handle_unknown,
}


class ProviderEmulator:
    """AILabTools and ModelsLab imitated on 127.0.0.1, plus a CDN origin on another port.

    Usage: `with ProviderEmulator(keys=("test-key",)) as emu: ... emu.api_url ...`.
    `max_recorded` keeps only the latest requests (None: all, as tests want).
    """

    def __init__(
        self,
        keys: Iterable[str] = ("test-key",),
        port: int = 0,
        cdn_port: int = 0,
        *,
        host: str = "127.0.0.1",
        behaviour: Behaviour | None = None,
        verbose: bool = False,
        max_recorded: int | None = None,
    ) -> None:
        accepted = (keys,) if isinstance(keys, str) else tuple(keys)
        if not accepted or not all(isinstance(k, str) and k for k in accepted):
            raise ValueError("keys must be one or more non-empty strings")
        self._state = EmulatorState(
            frozenset(accepted), behaviour or Behaviour(), log=RequestLog(max_recorded)
        )
        self._api = OriginServer(host, port, self._serve_api, verbose)
        self._cdn = OriginServer(host, cdn_port, self._serve_cdn, verbose)

    # -- life cycle ---------------------------------------------------------------

    def start(self) -> ProviderEmulator:
        """Start both origins in daemon threads (no-op if running); returns self."""
        if self._api.running:
            return self
        self._api.start()
        try:
            self._cdn.start()
        except BaseException:
            self._api.stop()
            raise
        self._state.api_url = self._api.url
        self._state.cdn_url = self._cdn.url
        return self

    def stop(self) -> None:
        """Stop both origins and cut open connections; safe to call twice."""
        self._api.stop()
        self._cdn.stop()

    def __enter__(self) -> ProviderEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what tests read and set --------------------------------------------------

    @property
    def api_url(self) -> str:
        """`http://127.0.0.1:<port>`: both providers' API paths live on this origin."""
        return self._url(self._state.api_url)

    @property
    def cdn_url(self) -> str:
        """`http://127.0.0.1:<cdn_port>`: uploads and results, a different origin."""
        return self._url(self._state.cdn_url)

    @property
    def keys(self) -> frozenset[str]:
        """The API keys accepted by both providers."""
        return self._state.keys

    @property
    def behaviour(self) -> Behaviour:
        """The live, mutable Behaviour (read once per request)."""
        return self._state.behaviour

    @behaviour.setter
    def behaviour(self, value: Behaviour) -> None:
        self._state.behaviour = value

    def script(self, endpoint: str, **response: Any) -> None:
        """Queue one answer for the next request to `endpoint` (FIFO per endpoint).

        Fields: code, http_status, json, raw, content_type, headers, retry_after,
        delay, drop, malformed, message. ValueError/TypeError on a mistake.
        """
        self._state.scripts.push(endpoint, make_script(endpoint, **response))

    def requests(self, endpoint: str | None = None) -> list[RecordedRequest]:
        """Every request received, in order, optionally only one endpoint's."""
        if endpoint is not None and endpoint not in (*ENDPOINTS, "unknown"):
            raise ValueError(f"endpoint must be one of {ENDPOINTS} or 'unknown'")
        return self._state.log.snapshot(endpoint)

    def keys_seen_on_cdn(self) -> set[str]:
        """Keys that appeared anywhere in a request to the CDN origin (should be none)."""
        candidates = set(self._state.keys) | self._presented_keys()
        found: set[str] = set()
        for request in self._state.log.snapshot("cdn"):
            found |= keys_in_request(request, candidates)
        return found

    def redact(self, text: str) -> str:
        """`text` without any accepted or presented key."""
        return redact(text, set(self._state.keys) | self._presented_keys())

    def reset(self) -> None:
        """Forget scripts, requests, jobs and stored files; default Behaviour again."""
        self._state.scripts.clear()
        self._state.log.clear()
        self._state.jobs.clear()
        self._state.blobs.clear()
        self._state.behaviour.restore_defaults()

    # -- serving --------------------------------------------------------------------

    def _serve_api(self, method: str, path: str, headers: Headers, body: bytes) -> Reply:
        endpoint = api_endpoint(path)
        request = build_record(endpoint, method, path, headers, body)
        self._state.log.append(request)
        if endpoint == "control":
            return handle_control(request, self)
        behaviour = self._state.behaviour.snapshot()
        if behaviour.latency > 0:
            time.sleep(behaviour.latency)
        return self._answer(request, behaviour, _API_HANDLERS[endpoint])

    def _serve_cdn(self, method: str, path: str, headers: Headers, body: bytes) -> Reply:
        request = build_record("cdn", method, path, headers, body)
        self._state.log.append(request)
        return self._answer(request, self._state.behaviour.snapshot(), handle_cdn)

    def _answer(self, request: RecordedRequest, behaviour: Behaviour, handler: Handler) -> Reply:
        # A script is consumed before any key check or validation, as documented.
        script = self._state.scripts.pop(request.endpoint)
        if script is None:
            return handler(request, self._state, behaviour)
        if script.delay > 0:
            time.sleep(script.delay)
        if script.answers_normally():
            reply = handler(request, self._state, behaviour)
            reply.headers.update(script.headers)
            return reply
        job_id = fetch_job_id(request.path) or 0
        return render_script(request.endpoint, script, behaviour.legacy_error_spelling, job_id)

    def _presented_keys(self) -> set[str]:
        return {r.key for r in self._state.log.snapshot() if r.key and r.endpoint != "cdn"}

    @staticmethod
    def _url(url: str) -> str:
        if not url:
            raise RuntimeError("the emulator is not started: call start() first")
        return url
