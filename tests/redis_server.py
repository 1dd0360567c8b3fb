"""A real Redis for the tests: Debian's `redis-server`, on a free port of 127.0.0.1,
with a password, nothing written to disk, started and stopped by the tests.

Where redis-server is not installed the tests that need it are skipped with the
reason, unless OBJECT_REMOVAL_REQUIRE_REDIS=1 (CI installs it), which makes that a
failure.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REQUIRED = os.environ.get("OBJECT_REMOVAL_REQUIRE_REDIS") == "1"
START_SECONDS = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """One redis-server process; `url` carries its password, as a user's would."""

    def __init__(self, folder: Path, *, tls_files: dict[str, Path] | None = None) -> None:
        self.folder = folder
        self.password = "pw-" + secrets.token_hex(12)
        self.port = free_port()
        self.tls_files = tls_files
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        if self.tls_files:
            return (f"rediss://:{self.password}@127.0.0.1:{self.port}/0"
                    f"?ssl_ca_certs={self.tls_files['ca']}")
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [REDIS_SERVER, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                   "--dir", str(self.folder), "--requirepass", self.password,
                   "--daemonize", "no", "--logfile", str(self.folder / "redis.log")]
        if self.tls_files:
            command += ["--port", "0", "--tls-port", str(self.port),
                        "--tls-cert-file", str(self.tls_files["cert"]),
                        "--tls-key-file", str(self.tls_files["key"]),
                        "--tls-ca-cert-file", str(self.tls_files["ca"]),
                        "--tls-auth-clients", "no"]
        else:
            command += ["--port", str(self.port)]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
        give_up = time.monotonic() + START_SECONDS
        while True:
            try:
                if self.client().ping():
                    return self
            except Exception:
                if self._process.poll() is not None or time.monotonic() > give_up:
                    log = (self.folder / "redis.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"redis-server did not start:\n{log}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        """As an operator or a crash would: the server is gone, and its port refuses."""
        if self._process is not None and self._process.poll() is None:
            self.resume()
            self._process.terminate()
            self._process.wait(30)

    def pause(self) -> None:
        """A stalled Redis: connections stay open, nothing answers."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGCONT)

    def client(self):  # type: ignore[no-untyped-def]
        import redis

        kwargs = {"ssl_ca_certs": str(self.tls_files["ca"])} if self.tls_files else {}
        return redis.Redis(host="127.0.0.1", port=self.port, password=self.password,
                           ssl=bool(self.tls_files), socket_timeout=10, **kwargs)

    def everything(self) -> dict[bytes, bytes]:
        """Every key and its whole value (any type, flattened to bytes), for scans."""
        client = self.client()
        found: dict[bytes, bytes] = {}
        for key in client.scan_iter(count=1000):
            kind = client.type(key)
            if kind == b"string":
                value = client.get(key) or b""
            elif kind == b"hash":
                value = b"\n".join(k + b"=" + v for k, v in client.hgetall(key).items())
            elif kind == b"zset":
                value = b"\n".join(m + b"=" + str(s).encode()
                                   for m, s in client.zrange(key, 0, -1, withscores=True))
            elif kind == b"set":
                value = b"\n".join(client.smembers(key))
            elif kind == b"list":
                value = b"\n".join(client.lrange(key, 0, -1))
            else:
                value = b""
            found[key] = value
        return found


def redis_or_skip() -> None:
    if not os.access(REDIS_SERVER, os.X_OK):
        message = ("redis-server is not installed (apt-get install redis-server); the shared "
                   "store's tests need a real one")
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory) -> Iterator[RedisServer]:
    redis_or_skip()
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fresh_redis(redis_server: RedisServer) -> RedisServer:
    """The module's Redis, emptied (a test's own keys only); started again if a test
    stopped it."""
    if redis_server._process is None or redis_server._process.poll() is not None:
        redis_server.start()
    redis_server.resume()
    redis_server.client().flushall()
    return redis_server
