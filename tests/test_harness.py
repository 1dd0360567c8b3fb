"""The real-ComfyUI harness itself: the pack's requirements go into the ComfyUI it
uses (or the tests are skipped, saying why), and a failed run shows the node's error."""

from __future__ import annotations

import stat

import pytest
from comfyui_harness import _INSTALLED, REPO, SCRIPTS, Comfy, Target


def fake_comfyui(tmp_path, pip_exit: int):
    """A ComfyUI folder and a venv whose python records its arguments and exits so."""
    directory, venv = tmp_path / "comfyui", tmp_path / "venv"
    (directory).mkdir()
    (directory / "main.py").write_text("")
    (venv / "bin").mkdir(parents=True)
    calls = tmp_path / "calls.txt"
    python = venv / "bin" / "python"
    python.write_text(f"#!/bin/sh\necho \"$@\" >> {calls}\necho 'no such package' >&2\n"
                      f"exit {pip_exit}\n")
    python.chmod(python.stat().st_mode | stat.S_IXUSR)
    return Target("fake", directory, venv), calls


@pytest.mark.skipif(not (SCRIPTS / "comfy_up.sh").is_file(), reason="no comfy_up.sh here")
@pytest.mark.parametrize("pip_exit", [0, 1])
def test_the_packs_requirements_are_installed_into_the_comfyui_used(tmp_path, pip_exit):
    target, calls = fake_comfyui(tmp_path, pip_exit)
    try:
        reason = target.missing()
        assert target.missing() == reason  # once a session
    finally:
        _INSTALLED.pop(target.venv, None)
    recorded = calls.read_text().splitlines()
    assert recorded == [f"-m pip install --quiet --disable-pip-version-check -r "
                        f"{REPO / 'requirements.txt'}"]
    if pip_exit == 0:
        assert reason is None
    else:
        assert "requirements could not be installed" in reason and "no such package" in reason


def test_a_failed_run_shows_the_nodes_own_error_message(tmp_path):
    comfy = Comfy("http://127.0.0.1:1", tmp_path / "log", tmp_path / "config", tmp_path)
    entry = {"status": {"status_str": "error", "messages": [
        ["execution_start", {"prompt_id": "p"}],
        ["execution_error", {"node_id": "2", "node_type": "TextObjectRemove",
                             "exception_type": "ObjectRemovalError",
                             "exception_message": "Text Object Remove: no ModelsLab API key "
                                                  "is set. Set MODELSLAB_API_KEY ...",
                             "traceback": ["  File x\n", "ObjectRemovalError: ...\n"]}]]}}
    with pytest.raises(AssertionError) as failed:
        comfy.assert_success(entry)
    assert "TextObjectRemove (node 2) failed" in str(failed.value)
    assert "no ModelsLab API key is set. Set MODELSLAB_API_KEY" in str(failed.value)
    comfy.assert_success({"status": {"status_str": "success", "messages": []}})
