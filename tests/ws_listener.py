"""Listening to a ComfyUI server's websocket as a browser tab does, to read the messages
the pack sends to the page (its status lines). Standard library only: the handshake
and the frames a server sends (RFC 6455), nothing more."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import threading
import time
from urllib.parse import urlsplit


class MessageListener(threading.Thread):
    """Collects the JSON messages of one client id, in order, in a background thread."""

    def __init__(self, server_url: str, client_id: str) -> None:
        super().__init__(daemon=True)
        parts = urlsplit(server_url)
        self._sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self._sock.sendall(
            f"GET /ws?clientId={client_id} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += self._sock.recv(1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(f"no websocket: {head[:200]!r}")
        self.messages: list[dict] = []
        self._lock = threading.Lock()
        self.start()

    def run(self) -> None:
        try:
            while True:
                opcode, payload = self._frame()
                if opcode == 8:  # close
                    return
                if opcode == 1:  # text
                    with self._lock:
                        self.messages.append(json.loads(payload))
        except (OSError, ValueError):
            return

    def of_type(self, kind: str) -> list[dict]:
        with self._lock:
            return [m["data"] for m in self.messages if m.get("type") == kind]

    def wait_for(self, kind: str, predicate, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for data in self.of_type(kind):
                if predicate(data):
                    return data
            time.sleep(0.05)
        raise AssertionError(f"no {kind} message matched within {timeout} s: "
                             f"{self.of_type(kind)[-5:]}")

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass

    def _frame(self) -> tuple[int, bytes]:
        first, second = self._exactly(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack(">H", self._exactly(2))
        elif length == 127:
            (length,) = struct.unpack(">Q", self._exactly(8))
        mask = self._exactly(4) if second & 0x80 else None
        payload = self._exactly(length)
        if mask:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return first & 0x0F, payload

    def _exactly(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            piece = self._sock.recv(count - len(data))
            if not piece:
                raise ConnectionError("closed")
            data += piece
        return data
