"""Writing a Reply onto the connection: whole, or in the hostile ways a bad provider,
proxy or CDN answers (one byte at a time, chunked without a length, a huge streamed
body, held back until released, or not at all).

Knows nothing of providers; the HTTP handler calls `write_reply`.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from typing import BinaryIO

from .replies import Reply, status_phrase

# Filler bodies are streamed in pieces of this size, never held whole.
FILLER_PIECE = 64 * 1024
# How often a silent or trickling answer checks that it should still go on.
CHECK_SECONDS = 0.2


def write_reply(
    reply: Reply,
    out: BinaryIO,
    connection: socket.socket,
    *,
    head_only: bool,
    closing: bool,
    stopping: threading.Event,
) -> None:
    """Send `reply`; returns early (nothing more is sent) when the server is stopping."""
    if reply.silent:
        _hold(connection, stopping)
        return
    if reply.held is not None and not _released(reply.held, stopping):
        return
    length = reply.filler if reply.filler is not None else len(reply.body)
    head = _head(reply, length, closing)
    body = iter(()) if head_only else _body(reply)
    if reply.chunked and not head_only:
        body = _chunked(body)
    pieces = _bytes_one_by_one(head, body) if reply.trickle > 0 else _whole(head, body)
    for piece in pieces:
        if stopping.is_set():
            return
        out.write(piece)
        if reply.trickle > 0:
            out.flush()
            if stopping.wait(reply.trickle):
                return
    out.flush()


def _head(reply: Reply, length: int, closing: bool) -> bytes:
    extra = {name.lower(): (name, value) for name, value in reply.headers.items()}
    content_type = extra.pop("content-type", ("Content-Type", reply.content_type))[1]
    extra.pop("content-length", None)
    lines = [
        f"HTTP/1.1 {reply.status} {status_phrase(reply.status)}",
        "Server: provider-emulator",
        f"Date: {formatdate(usegmt=True)}",
        f"Content-Type: {content_type}",
        "Transfer-Encoding: chunked" if reply.chunked else f"Content-Length: {length}",
        *(f"{name}: {value}" for name, value in extra.values()),
    ]
    if closing:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _body(reply: Reply) -> Iterator[bytes]:
    if reply.filler is None:
        if reply.body:
            yield reply.body
        return
    # A JSON object of the asked size: {"pad":"aaaa..."}
    opening, closing = b'{"pad":"', b'"}'
    remaining = reply.filler
    if remaining < len(opening) + len(closing):
        yield b" " * remaining
        return
    yield opening
    remaining -= len(opening) + len(closing)
    while remaining > 0:
        piece = min(FILLER_PIECE, remaining)
        yield b"a" * piece
        remaining -= piece
    yield closing


def _chunked(body: Iterator[bytes]) -> Iterator[bytes]:
    for piece in body:
        if piece:
            yield f"{len(piece):x}\r\n".encode("ascii") + piece + b"\r\n"
    yield b"0\r\n\r\n"


def _whole(head: bytes, body: Iterator[bytes]) -> Iterator[bytes]:
    yield head
    yield from body


def _bytes_one_by_one(head: bytes, body: Iterator[bytes]) -> Iterator[bytes]:
    for piece in _whole(head, body):
        for index in range(len(piece)):
            yield piece[index: index + 1]


def _released(held: threading.Event, stopping: threading.Event) -> bool:
    """Wait until a held answer is released (True) or the server stops (False)."""
    while not held.wait(CHECK_SECONDS):
        if stopping.is_set():
            return False
    return True


def _hold(connection: socket.socket, stopping: threading.Event) -> None:
    """Answer nothing: keep the connection open until the client gives up or the server
    stops (a provider that accepted the request and went quiet)."""
    connection.settimeout(CHECK_SECONDS)
    while not stopping.is_set():
        try:
            if connection.recv(1, socket.MSG_PEEK) == b"":
                return  # the client closed its end
            time.sleep(CHECK_SECONDS)
        except TimeoutError:
            continue
        except OSError:
            return
