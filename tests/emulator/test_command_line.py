"""`python -m provider_emulator`: a standalone package that never imports the pack,
torch or requests, serving until terminated."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time

import pytest
import requests
from emulator_helpers import AILAB, REPO_ROOT, UPLOAD

# Runs the module as `python -m` would, refusing (and recording) any import of
# the pack or of heavy dependencies, then fails if one was attempted or loaded.
GUARDED_MAIN = """
import importlib.abc, runpy, sys
sys.path.insert(0, {root!r})
FORBIDDEN = {forbidden!r}
attempted = []

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in FORBIDDEN:
            attempted.append(name)
            raise ImportError("the emulator must not import " + name)
        return None

sys.meta_path.insert(0, Refuse())
sys.argv = ["provider_emulator", *{args!r}]
code = 0
try:
    runpy.run_module("provider_emulator", run_name="__main__", alter_sys=True)
except SystemExit as stop:
    code = stop.code
loaded = sorted(m for m in sys.modules if m.split(".")[0] in FORBIDDEN)
if attempted or loaded:
    print("forbidden imports:", attempted, loaded, file=sys.stderr)
    sys.exit(3)
sys.exit(code)
"""
FORBIDDEN = ("object_removal", "nodes", "torch", "requests", "remove_objects")


def guarded(*args: str) -> list[str]:
    """The command running `python -m provider_emulator *args` isolated (-I) from the
    environment and the current directory, with the pack's imports refused."""
    script = GUARDED_MAIN.format(root=str(REPO_ROOT), forbidden=FORBIDDEN, args=list(args))
    return [sys.executable, "-I", "-c", script]


def test_help_runs_without_the_pack_torch_or_requests() -> None:
    done = subprocess.run(guarded("--help"), cwd="/", capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: python -m provider_emulator")
    assert "--job-seconds" in done.stdout and "--cdn-port" in done.stdout
    assert "forbidden" not in done.stderr


def test_the_guard_itself_catches_a_forbidden_import() -> None:
    # The same wrapper, told that the emulator's own dependency is forbidden, must fail:
    # otherwise the test above could pass without checking anything.
    script = GUARDED_MAIN.format(root=str(REPO_ROOT), forbidden=("numpy",), args=["--help"])
    done = subprocess.run([sys.executable, "-I", "-c", script], cwd="/", capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0
    assert "numpy" in done.stderr


def test_command_line_prints_urls_and_serves_until_terminated() -> None:
    process = subprocess.Popen(
        guarded("--port", "0", "--cdn-port", "0", "--key", "cli-key", "--job-seconds", "0"),
        cwd="/", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout],  # type: ignore[union-attr]
                     daemon=True).start()
    try:
        seen: list[str] = []
        deadline = time.monotonic() + 30
        while not any(line.startswith("export ") for line in seen):
            assert time.monotonic() < deadline, f"no export line in {seen!r}"
            try:
                seen.append(lines.get(timeout=1))
            except queue.Empty:
                assert process.poll() is None, process.stderr.read()  # type: ignore[union-attr]
        export = next(line for line in seen if line.startswith("export ")).split()[1:]
        env = dict(item.split("=", 1) for item in export)
        assert set(env) == {"AILAB_BASE_URL", "MODELSLAB_BASE_URL", "AILAB_API_KEY",
                            "MODELSLAB_API_KEY"}
        assert env["AILAB_API_KEY"] == env["MODELSLAB_API_KEY"] == "cli-key"
        api = env["AILAB_BASE_URL"]
        assert api == env["MODELSLAB_BASE_URL"] and api.startswith("http://127.0.0.1:")
        assert any(api in line for line in seen[:-1])
        cdn_line = next(line for line in seen if "CDN" in line)
        cdn = cdn_line.split()[-1]
        assert cdn.startswith("http://127.0.0.1:") and cdn != api

        response = requests.post(api + UPLOAD, json={"key": "cli-key", "base64_string": "aGk="},
                                 timeout=5)
        assert response.json()["status"] == "success"
        assert requests.get(response.json()["output"][0], timeout=5).content == b"hi"
        assert requests.post(api + AILAB, timeout=5).status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0, process.stderr.read()  # type: ignore[union-attr]
    with pytest.raises(requests.ConnectionError):
        requests.get(api, timeout=2)


def test_bad_options_are_refused_with_a_usage_message() -> None:
    done = subprocess.run(guarded("--job-outcome", "maybe"), cwd="/", capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "--job-outcome" in done.stderr
    negative = subprocess.run(guarded("--queue-limit", "-1"), cwd="/", capture_output=True,
                              text=True, timeout=60)
    assert negative.returncode == 2 and "queue_limit" in negative.stderr
