"""A model file server on 127.0.0.1 for the download tests: `http.server` in a thread,
with Range requests, and switches to ignore Range, hang up early, or serve other bytes."""

from __future__ import annotations

import contextlib
import http.server
import re
import threading
from collections.abc import Iterator

PAYLOAD = bytes(range(256)) * 4096 + b"tail"  # 1 MiB and a bit: several chunks


class FileServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, payload: bytes = PAYLOAD) -> None:
        super().__init__(("127.0.0.1", 0), FileHandler)
        self.payload = payload
        self.honour_range = True
        self.cut_after: int | None = None  # bytes of the body sent before hanging up
        self.ranges: list[str | None] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/models/test.pt"


class FileHandler(http.server.BaseHTTPRequestHandler):
    server: FileServer

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path != "/models/test.pt":
            self.send_error(404)
            return
        wanted = self.headers.get("Range")
        self.server.ranges.append(wanted)
        body, start = self.server.payload, 0
        match = re.fullmatch(r"bytes=(\d+)-", wanted or "")
        if match and self.server.honour_range:
            start = int(match.group(1))
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        rest = body[start:]
        self.send_header("Content-Length", str(len(rest)))
        self.end_headers()
        if self.server.cut_after is not None:
            rest = rest[: self.server.cut_after]
        self.wfile.write(rest)


@contextlib.contextmanager
def running_server(payload: bytes = PAYLOAD) -> Iterator[FileServer]:
    """A FileServer serving `payload` until the block ends."""
    srv = FileServer(payload)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


