"""One HTTP request that ends by its deadline and reads at most a set number of bytes.

`requests` bounds each socket read, not the whole request: a server that sends one
byte every few seconds resets the read timeout each time and can hold a call for
ever. Here every socket a request opens is registered with a watch, and a timer
shuts those sockets down when the request's deadline passes, which ends any read
or write blocked on them at once. The body is streamed and refused past its cap
without reading the rest, so a huge reply never fills memory.

Each call uses a fresh session: its connections are opened (and watched) for this
call only, and no header of another call can ride along. A call may name the address
its host must be reached at (`connect_to`): the connection goes there, with no name
resolution of its own, while TLS still verifies the certificate for the host name
(and sends it as SNI).
"""

from __future__ import annotations

import contextvars
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions
from requests.adapters import HTTPAdapter

CHUNK_BYTES = 64 * 1024
# What is asked for; a reply in another encoding is refused, not decoded.
ACCEPT_ENCODING = "gzip, deflate"

_current_watch: contextvars.ContextVar[_SocketWatch | None] = contextvars.ContextVar(
    "object_removal_socket_watch", default=None
)
# (host name, address): connections to that host go to that address.
_current_pin: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "object_removal_pinned_address", default=None
)


class DeadlinePassed(Exception):
    """The request's deadline passed before it finished; `connected` tells whether a
    connection had been opened by then (so the request may have been sent)."""

    def __init__(self, connected: bool) -> None:
        super().__init__("deadline passed")
        self.connected = connected


class ReplyTooLarge(Exception):
    """The reply's body is larger than the cap; nothing beyond the cap was read."""

    def __init__(self, limit: int, declared: int | None) -> None:
        super().__init__(f"reply over {limit} bytes")
        self.limit = limit
        self.declared = declared


class UnreadableEncoding(Exception):
    """The reply is compressed in a way this client did not ask for."""

    def __init__(self, encoding: str) -> None:
        super().__init__(f"Content-Encoding {encoding!r}")
        self.encoding = encoding


@dataclass(frozen=True)
class HttpReply:
    status: int
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(repr=False)


class _SocketWatch:
    """The sockets one request opened; `expire` shuts them all down, now and later."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.expired = False

    @property
    def connected(self) -> bool:
        with self._lock:
            return bool(self._sockets)

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if not self.expired:
                return
        _shut(sock)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


def _register(sock: socket.socket) -> socket.socket:
    watch = _current_watch.get()
    if watch is not None:
        watch.add(sock)
    return sock


def _connect(connection: urllib3.connection.HTTPConnection,
             new_conn: Callable[[], socket.socket]) -> socket.socket:
    """Open the connection's socket: at the pinned address when its host has one (urllib3
    resolves `_dns_host`; its `host`, which TLS verifies and sends, is restored at once)."""
    pin = _current_pin.get()
    if pin is None or connection.host.lower() != pin[0]:
        return _register(new_conn())
    name = connection._dns_host
    connection._dns_host = pin[1]
    try:
        return _register(new_conn())
    finally:
        connection._dns_host = name


class _WatchedHTTPConnection(urllib3.connection.HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _connect(self, super()._new_conn)


class _WatchedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _connect(self, super()._new_conn)


class _WatchedHTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter, with connections whose sockets the current watch sees."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _WATCHED_POOLS  # through a proxy too
        return manager


_WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


def _session() -> requests.Session:
    session = requests.Session()
    adapter = _WatchedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def send(
    method: str,
    url: str,
    *,
    deadline: float,
    max_bytes: int,
    connect_timeout: float = 10.0,
    read_timeout: float = 60.0,
    connect_to: str | None = None,
    **request_args: Any,
) -> HttpReply:
    """Send one request (redirects are never followed) and read its whole reply.

    `connect_to`: the address (already checked) the URL's host is reached at, instead
    of resolving the name again.

    `deadline` is a `time.monotonic()` instant. Raises DeadlinePassed when it passes
    first, ReplyTooLarge past `max_bytes`, and `requests` exceptions for transport
    failures (callers decide whether the request may have arrived).
    """
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise DeadlinePassed(connected=False)
    watch = _SocketWatch()
    timer = threading.Timer(remaining, watch.expire)
    timer.daemon = True
    token = _current_watch.set(watch)
    host = (urlsplit(url).hostname or "").lower()
    pin = _current_pin.set((host, connect_to) if connect_to else None)
    timer.start()
    try:
        with _session() as session:
            response = session.request(
                method, url,
                timeout=(min(connect_timeout, remaining), min(read_timeout, remaining)),
                allow_redirects=False, stream=True,
                headers={"Accept-Encoding": ACCEPT_ENCODING, **request_args.pop("headers", {})},
                **request_args,
            )
            with response:
                body = _read_capped(response, max_bytes)
                return HttpReply(response.status_code, response.headers, body)
    except (requests.RequestException, OSError, urllib3.exceptions.HTTPError) as exc:
        # The socket's own timeout (never longer than what was left) may fire a moment
        # before the watch: past the deadline, it is the deadline either way.
        if watch.expired or time.monotonic() >= deadline:
            raise DeadlinePassed(connected=watch.connected) from None
        # The body is read from the raw stream, whose errors requests does not wrap: name
        # them as requests would, so callers see one family of transport errors.
        if isinstance(exc, urllib3.exceptions.ProtocolError):
            raise requests.exceptions.ChunkedEncodingError(exc) from None
        if isinstance(exc, urllib3.exceptions.HTTPError):
            raise requests.exceptions.ConnectionError(exc) from None
        raise
    finally:
        timer.cancel()
        _current_watch.reset(token)
        _current_pin.reset(pin)


def _read_capped(response: requests.Response, max_bytes: int) -> bytes:
    """The body, decompressed here (not by urllib3) so that a small compressed reply
    cannot expand past the cap in memory before it is counted."""
    declared_text = response.headers.get("Content-Length", "")
    declared = int(declared_text) if declared_text.strip().isdigit() else None
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in _DECODERS:
        raise UnreadableEncoding(encoding)
    if encoding == "identity" and declared is not None and declared > max_bytes:
        raise ReplyTooLarge(max_bytes, declared)
    decoder = _DECODERS[encoding]()
    chunks: list[bytes] = []
    total = 0
    for raw in response.raw.stream(CHUNK_BYTES, decode_content=False):
        for chunk in decoder(raw, max_bytes - total + 1):
            total += len(chunk)
            if total > max_bytes:
                raise ReplyTooLarge(max_bytes, declared)
            chunks.append(chunk)
    return b"".join(chunks)


# Each decoder turns a compressed chunk into decompressed pieces of at most `limit`
# bytes at a time, so nothing larger than the cap is ever held at once.
Decoder = Callable[[bytes, int], Iterator[bytes]]


def _identity() -> Decoder:
    def decode(chunk: bytes, limit: int) -> Iterator[bytes]:
        yield chunk

    return decode


def _zlib(wbits: int) -> Callable[[], Decoder]:
    def make() -> Decoder:
        inflater = zlib.decompressobj(wbits)

        def decode(chunk: bytes, limit: int) -> Iterator[bytes]:
            data = chunk
            while data:
                try:
                    piece = inflater.decompress(data, max(1, limit))
                except zlib.error:
                    raise UnreadableEncoding("corrupt compressed data") from None
                yield piece
                data = inflater.unconsumed_tail
                if not piece and data:
                    return  # nothing more can come out of this input

        return decode

    return make


_DECODERS: dict[str, Callable[[], Decoder]] = {
    "identity": _identity,
    "": _identity,
    "gzip": _zlib(16 + zlib.MAX_WBITS),
    "x-gzip": _zlib(16 + zlib.MAX_WBITS),
    "deflate": _zlib(zlib.MAX_WBITS),
}
