"""ProviderEmulator: both fake providers and their CDN, started and scripted from tests."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from .behaviour import Behaviour
from .catalogue import CATALOGUE, CONTROL, UNKNOWN, Catalogue
from .clock import Clock
from .control import handle_control, is_control
from .endpoints import Endpoint, Handler
from .http_server import OriginServer
from .leaks import keys_in_request, redact
from .parsing import build_record
from .recording import Headers, RecordedRequest, RequestLog
from .replies import Reply
from .scripted_replies import render_script
from .scripts import make_script
from .state import EmulatorState


class ProviderEmulator:
    """AILabTools and ModelsLab imitated on 127.0.0.1, plus a CDN origin on another port.

    Usage: `with ProviderEmulator(keys=("test-key",)) as emu: ... emu.api_url ...`.
    `max_recorded` keeps only the latest requests (None: all, as tests want).
    `clock` is read for every time (jobs, CDN availability, request records) and
    waited on for latency and scripted delays: pass a ManualClock to move time
    from a test instead of sleeping. `catalogue` defaults to every declared endpoint.
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
        clock: Clock | None = None,
        catalogue: Catalogue = CATALOGUE,
    ) -> None:
        accepted = (keys,) if isinstance(keys, str) else tuple(keys)
        if not accepted or not all(isinstance(k, str) and k for k in accepted):
            raise ValueError("keys must be one or more non-empty strings")
        self._state = EmulatorState(
            frozenset(accepted), behaviour or Behaviour(), log=RequestLog(max_recorded),
            clock=clock,
        )
        self._catalogue = catalogue
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
    def clock(self) -> Clock:
        """The clock every time is read from (a ManualClock if one was given)."""
        return self._state.clock

    @property
    def catalogue(self) -> Catalogue:
        """The endpoints served, by name and path."""
        return self._catalogue

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
        delay, drop, malformed, message; how it travels: trickle (seconds per byte),
        chunked, filler (a streamed body of N bytes), silent (never answer), hold
        (the answer is made, a job queued, but sent only on `release(endpoint)`).
        ValueError/TypeError on a mistake, including an endpoint name, code or
        malformed kind the catalogue lacks.
        """
        declared = self._catalogue.endpoint(endpoint)
        self._state.scripts.push(declared.name, make_script(declared, **response))

    def release(self, endpoint: str | None = None) -> int:
        """Send the answers of `endpoint` (of every endpoint with None) held back by a
        `hold` script; returns how many went."""
        if endpoint is not None:
            self._catalogue.endpoint(endpoint)
        return self._state.held.release(endpoint)

    def held(self, endpoint: str | None = None) -> int:
        """How many answers of `endpoint` (of every endpoint with None) are held now: each
        one's work is done (its job exists), its answer not yet sent."""
        if endpoint is not None:
            self._catalogue.endpoint(endpoint)
        return self._state.held.count(endpoint)

    def jobs_created(self, key: str | None = None) -> int:
        """ModelsLab jobs created (each one billed, whether its answer arrived or not), of
        `key` or of every key."""
        return self._state.jobs.count(key)

    def requests(self, endpoint: str | None = None) -> list[RecordedRequest]:
        """Every request received, in order, optionally only one endpoint's."""
        if endpoint is not None:
            self._catalogue.check_recorded(endpoint)
        return self._state.log.snapshot(endpoint)

    def keys_seen_on_cdn(self) -> set[str]:
        """Keys that appeared anywhere in a request to the CDN origin (should be none)."""
        candidates = set(self._state.keys) | self._presented_keys()
        found: set[str] = set()
        for request in self._state.log.snapshot(self._catalogue.cdn.name):
            found |= keys_in_request(request, candidates)
        return found

    def redact(self, text: str) -> str:
        """`text` without any accepted or presented key."""
        return redact(text, set(self._state.keys) | self._presented_keys())

    def reset(self) -> None:
        """Forget scripts, requests, jobs and stored files; default Behaviour again. Held
        answers are sent (to whoever still waits for them)."""
        self._state.scripts.clear()
        self._state.held.release()
        self._state.log.clear()
        self._state.jobs.clear()
        self._state.blobs.clear()
        self._state.behaviour.restore_defaults()

    # -- serving --------------------------------------------------------------------

    def _serve_api(self, method: str, path: str, headers: Headers, body: bytes) -> Reply:
        route = urlsplit(path).path
        now = self._state.clock.now()
        if is_control(route):
            request = build_record(CONTROL, None, method, path, headers, body, now)
            self._state.log.append(request)
            return handle_control(request, self)
        endpoint = self._catalogue.route(route)
        if endpoint is None:
            request = build_record(UNKNOWN, None, method, path, headers, body, now)
            self._state.log.append(request)
            handler = self._catalogue.unknown_handler(route)
            return handler(request, self._state, self._latency_waited())
        request = build_record(endpoint.name, endpoint.vendor.read_key, method, path, headers,
                               body, now)
        self._state.log.append(request)
        vendor = endpoint.vendor
        behaviour = self._state.behaviour.snapshot()
        cap = getattr(behaviour, vendor.crowd_setting) if vendor.crowd_setting else 0
        crowd = self._state.in_flight.enter(vendor.name, request.key)
        try:
            if 0 < cap < crowd and vendor.crowd_code:
                # Refused at once, as the real service answers a crowd: nothing is done.
                return vendor.scripted_error(make_script(endpoint, code=vendor.crowd_code),
                                             False)
            return self._answer(endpoint, request, self._latency_waited())
        finally:
            self._state.in_flight.leave(vendor.name, request.key)

    def _serve_cdn(self, method: str, path: str, headers: Headers, body: bytes) -> Reply:
        endpoint = self._catalogue.cdn
        request = build_record(endpoint.name, endpoint.vendor.read_key, method, path, headers,
                               body, self._state.clock.now())
        self._state.log.append(request)
        return self._answer(endpoint, request, self._state.behaviour.snapshot())

    def _latency_waited(self) -> Behaviour:
        # Every API answer (not the CDN's) waits `latency` on the emulator's clock.
        behaviour = self._state.behaviour.snapshot()
        self._state.clock.sleep(behaviour.latency)
        return behaviour

    def _answer(self, endpoint: Endpoint, request: RecordedRequest, behaviour: Behaviour) -> Reply:
        # A script is consumed before any key check or validation, as documented.
        script = self._state.scripts.pop(endpoint.name)
        handler: Handler = endpoint.handler
        if script is None:
            return handler(request, self._state, behaviour)
        self._state.clock.sleep(script.delay)
        if script.answers_normally():
            reply = handler(request, self._state, behaviour)
            reply.headers.update(script.headers)
        else:
            reply = render_script(endpoint, script, request, self._state, behaviour)
        if script.hold:
            reply.held = self._state.held.hold(endpoint.name)
        return script.shaped(reply)

    def _presented_keys(self) -> set[str]:
        cdn = self._catalogue.cdn.name
        return {r.key for r in self._state.log.snapshot() if r.key and r.endpoint != cdn}

    @staticmethod
    def _url(url: str) -> str:
        if not url:
            raise RuntimeError("the emulator is not started: call start() first")
        return url
