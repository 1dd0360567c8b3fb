"""What a user sees of the pack, read off the screen of a real browser: headless Chromium
driven by scripts/browser_checks.mjs (playwright-core) against the real ComfyUIs, in each
renderer their front end has: the classic canvas everywhere, Nodes 2.0 from ComfyUI 0.33.

Each ComfyUI of COMFYUI_TARGETS runs with its own front end, and ComfyUI 0.33 and newer
also with each front end of COMFYUI_FRONT_ENDS ("1.58.1=<folder with index.html>;...",
served through --front-end-root). scripts/browser_for_tests.sh sets up the browser tools
and those front ends and prints the lines to export; CI does. Where Chromium, node or
playwright-core is missing the checks are skipped with the reason, unless
OBJECT_REMOVAL_REQUIRE_COMFYUI=1 (CI), which makes that a failure.
OBJECT_REMOVAL_SCREENSHOTS=<folder> keeps every screenshot (the README's come from there).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from comfyui_harness import (  # noqa: F401 (fixtures)
    REPO,
    REQUIRED,
    TARGETS,
    Target,
    emulator_process,
    require,
    running_comfy,
    scene,
)

from support import MODELSLAB_KEY

pytestmark = [pytest.mark.comfyui, pytest.mark.timeout(1200)]

CHECKS = REPO / "scripts" / "browser_checks.mjs"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
TOOLS = os.environ.get("OBJECT_REMOVAL_BROWSER_TOOLS", "")
SCREENSHOTS = os.environ.get("OBJECT_REMOVAL_SCREENSHOTS", "")
# Settings of a fresh user: the renderer asked for, no panel or minimap over the graph.
SETTINGS = {"Comfy.TutorialCompleted": True, "Comfy.RightSidePanel.IsOpen": False,
            "Comfy.Minimap.Visible": False}


@dataclass(frozen=True)
class Server:
    """A ComfyUI to check, with its own front end or one from --front-end-root."""

    target: Target
    front_end: str = "own"
    front_end_root: str = ""

    @property
    def name(self) -> str:
        return f"{self.target.version}-{self.front_end}"


def _front_ends() -> list[tuple[str, str]]:
    listed = os.environ.get("COMFYUI_FRONT_ENDS", "").strip()
    return [tuple(item.split("=", 1)) for item in filter(None, listed.split(";"))]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


SERVERS = [Server(t) for t in TARGETS] + [
    Server(t, version, root) for version, root in _front_ends() for t in TARGETS
    if t.version == "local" or _version(t.version) >= (0, 33)]


def missing_tools() -> str | None:
    if shutil.which("node") is None:
        return "no node on PATH"
    if not Path(CHROMIUM).is_file():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if not (Path(TOOLS) / "node_modules" / "playwright-core").is_dir():
        return "no playwright-core in OBJECT_REMOVAL_BROWSER_TOOLS (see " \
               "scripts/browser_for_tests.sh)"
    return None


@pytest.fixture(scope="module", params=SERVERS, ids=[s.name for s in SERVERS])
def server(request, emulator_process, tmp_path_factory):
    checked: Server = request.param
    require(checked.target)
    missing = missing_tools()
    if missing:
        if REQUIRED:
            pytest.fail(f"browser checks cannot run: {missing}")
        pytest.skip(f"browser checks cannot run: {missing}")
    work = tmp_path_factory.mktemp("browser")
    user = work / "user"  # its settings (the renderer) apart from the ComfyUI folder
    user.mkdir()
    extra = ["--user-directory", str(user)]
    if checked.front_end_root:
        extra += ["--front-end-root", checked.front_end_root]
    with running_comfy(checked.target, emulator_process, work, extra) as comfy:
        yield checked, comfy


def test_ci_checks_the_newest_front_end():
    if not _front_ends():
        if REQUIRED:
            pytest.fail("COMFYUI_FRONT_ENDS is not set: scripts/browser_for_tests.sh prints it")
        pytest.skip("COMFYUI_FRONT_ENDS is not set (scripts/browser_for_tests.sh)")
    for version, root in _front_ends():
        assert (Path(root) / "index.html").is_file(), f"front end {version}: no {root}/index.html"


def renderers(comfy) -> list[str]:
    stats = requests.get(f"{comfy.url}/system_stats", timeout=30).json()
    if _version(stats["system"]["comfyui_version"]) >= (0, 33):
        return ["classic", "vue"]
    return ["classic"]  # ComfyUI 0.3.64's front end (1.27) draws nodes on the canvas only


def test_what_the_user_sees_in_each_renderer(server, emulator_process, tmp_path):
    checked, comfy = server
    emulator_process.reset()
    # ModelsLab jobs long enough to watch the eta count down and to press Cancel.
    emulator_process.behaviour.update({"job_seconds": 8.0, "eta": 8})
    image = comfy.upload("browser_check.png", scene()[0])
    out = Path(SCREENSHOTS) / checked.name if SCREENSHOTS else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    failed = []
    for renderer in renderers(comfy):
        settings = {**SETTINGS, "Comfy.VueNodes.Enabled": renderer == "vue"}
        assert requests.post(f"{comfy.url}/api/settings", json=settings, timeout=30).ok
        done = subprocess.run(
            ["node", str(CHECKS), "--url", f"{comfy.url}/", "--renderer", renderer,
             "--config", str(comfy.config), "--key", MODELSLAB_KEY, "--image", image,
             "--out", str(out)],
            env={**os.environ, "OBJECT_REMOVAL_BROWSER_TOOLS": TOOLS, "CHROMIUM": CHROMIUM},
            capture_output=True, text=True, timeout=600)
        report = done.stdout + done.stderr
        print(f"--- {checked.name} {renderer}\n{report}")
        planned = re.search(r"^plan: (.*)$", done.stdout, re.MULTILINE)
        passed = set(re.findall(r"^ok   \[(\S+)\]", done.stdout, re.MULTILINE))
        expected = set(planned.group(1).split(",")) if planned else {"plan"}
        if done.returncode != 0 or passed != expected:
            failed.append(f"{renderer}: {sorted(expected - passed)}\n{report[-6000:]}")
    comfy.write_keys()
    assert not failed, "\n\n".join(failed)
