"""HTTP plumbing: one origin (host:port) served by threads, knowing nothing of providers."""

from __future__ import annotations

import socket
import socketserver
import sys
import threading
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .recording import Headers
from .replies import Reply, json_reply, text_reply
from .wire import write_reply

# App signature: (method, path, headers, body) -> Reply.
App = Callable[[str, str, Headers, bytes], Reply]
# Larger bodies are refused unread: the providers' own limits are 5 MB.
MAX_BODY_BYTES = 64 * 1024 * 1024


class _BodyError(Exception):
    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, port: int, app: App, verbose: bool) -> None:
        self.app = app
        self.verbose = verbose
        # Set on stop: trickling and silent answers end at once.
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), _RequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS look-up (getfqdn): slow, useless here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def get_request(self) -> tuple[socket.socket, object]:
        connection, address = super().get_request()
        with self._connections_lock:
            self._connections.add(connection)
        return connection, address

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up mid-request (a deadline, a cancelled call) is normal
        # traffic for a provider, not an error worth a traceback.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Cut kept-alive connections, so a stopped origin really answers nothing."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _RequestHandler(BaseHTTPRequestHandler):
    # Keep-alive like real servers: every reply carries a Content-Length.
    protocol_version = "HTTP/1.1"
    server_version = "provider-emulator"
    sys_version = ""
    timeout = 60
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _serve(self) -> None:
        try:
            body = self._read_body()
            headers = Headers(self.headers.items())
            reply = self.server.app(self.command, self.path, headers, body)
        except _BodyError as error:
            reply = error.reply
            self.close_connection = True  # the unread body would be taken for a request
        except Exception:  # a bug in the emulator must not look like a provider's answer
            traceback.print_exc(file=sys.stderr)
            reply = json_reply({"emulator_error": "internal error, see stderr"}, 500)
        try:
            self._write(reply)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            raise _BodyError(text_reply("Bad Content-Length", 400)) from None
        if length < 0:
            raise _BodyError(text_reply("Bad Content-Length", 400))
        if length > MAX_BODY_BYTES:
            raise _BodyError(text_reply("Request body too large", 413))
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024)
            try:
                size = int(size_line.split(b";")[0].strip(), 16)
            except ValueError:
                raise _BodyError(text_reply("Bad chunked encoding", 400)) from None
            if size == 0:
                # Skip trailers up to the empty line that ends the body.
                while self.rfile.readline(8192).strip():
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise _BodyError(text_reply("Request body too large", 413))
            chunks.append(self.rfile.read(size))
            self.rfile.readline(8)  # the CRLF after each chunk

    def _write(self, reply: Reply) -> None:
        if reply.drop:
            # No status line at all: the client sees the connection closed.
            self.close_connection = True
            return
        if reply.silent or reply.trickle > 0 or reply.chunked:
            self.close_connection = True  # the answer is over when the connection is
        self.log_request(reply.status)
        write_reply(reply, self.wfile, self.connection, head_only=self.command == "HEAD",
                    closing=self.close_connection, stopping=self.server.stopping)

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            sys.stderr.write(f"[emulator {self.server.server_port}] {format % args}\n")


class OriginServer:
    """One listening origin served in a daemon thread."""

    def __init__(self, host: str, port: int, app: App, verbose: bool = False) -> None:
        self.host = host
        self.port = port
        self._app = app
        self._verbose = verbose
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        """Bind and serve; port 0 picks a free port, kept in `url`."""
        if self._server is not None:
            return
        server = _Server(self.host, self.port, self._app, self._verbose)
        self._server = server
        self.url = f"http://{url_host(self.host)}:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"emulator-{self.url}", daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, close the socket and every open connection."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.stopping.set()
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(timeout=5)


def url_host(host: str) -> str:
    """How a client reaches a bind address: wildcards become loopback, IPv6 is bracketed."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host
