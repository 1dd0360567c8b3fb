"""The ComfyUI bridge with stand-ins for ComfyUI's modules: interrupt, status, version
warning. The real servers are exercised by the test_comfyui_*.py files (Cancel in
test_comfyui_text_removal.py and test_comfyui_promises.py, status lines in
test_comfyui_front_end.py)."""

import logging
import sys
import types

import pytest

from object_removal.comfy_bridge import STATUS_EVENT, ComfyRunContext, warn_if_comfyui_too_old
from object_removal.run_context import RunContext


@pytest.fixture
def fake_comfy(monkeypatch):
    interrupted = {"value": False}

    class InterruptProcessingException(Exception):
        pass

    management = types.SimpleNamespace(
        processing_interrupted=lambda: interrupted["value"],
        InterruptProcessingException=InterruptProcessingException,
    )
    comfy = types.ModuleType("comfy")
    comfy.model_management = management
    monkeypatch.setitem(sys.modules, "comfy", comfy)
    monkeypatch.setitem(sys.modules, "comfy.model_management", management)

    sent = []
    server = types.SimpleNamespace(client_id="browser-1",
                                   send_sync=lambda *args: sent.append(args))
    server_module = types.ModuleType("server")
    server_module.PromptServer = types.SimpleNamespace(instance=server)
    monkeypatch.setitem(sys.modules, "server", server_module)
    return types.SimpleNamespace(interrupted=interrupted, sent=sent, server=server,
                                 error=InterruptProcessingException)


def test_comfyui_cancel_is_seen_without_clearing_it(fake_comfy):
    ctx = ComfyRunContext("7")
    assert not ctx.cancel_requested()
    fake_comfy.interrupted["value"] = True
    with pytest.raises(fake_comfy.error):
        ctx.raise_if_cancelled()
    assert ctx.cancel_event.is_set()  # worker threads stop their retries too
    assert fake_comfy.interrupted["value"]  # still set for other waiting nodes


def test_worker_threads_see_comfyuis_cancel_before_the_event_loop_does(fake_comfy):
    """A thread about to send the next request (a billed submit after an upload) must not
    wait for the event loop's next check to learn of Cancel."""
    ctx = ComfyRunContext("7")
    signal = ctx.cancel_signal
    assert not signal.is_set() and not signal.wait(0.01)
    fake_comfy.interrupted["value"] = True  # Cancel pressed; nobody has raised yet
    assert signal.is_set() and signal.wait(10)
    assert ctx.cancel_event.is_set()
    fake_comfy.interrupted["value"] = False  # ComfyUI clears it for its next prompt ...
    assert signal.is_set()  # ... and this run's threads still know they were cancelled


def test_status_goes_only_to_the_browser_that_queued(fake_comfy):
    fake_comfy.server.last_prompt_id = "run-2"
    ComfyRunContext("7").status("queued", job="modelslab:1@2x3")
    assert fake_comfy.sent == [(STATUS_EVENT, {
        "node": "7", "text": "queued", "state": "working", "prompt_id": "run-2",
        "job": "modelslab:1@2x3"}, "browser-1")]
    fake_comfy.server.client_id = None
    ComfyRunContext("7").status("nobody asked")
    assert len(fake_comfy.sent) == 1  # never broadcast to every connected browser


def test_status_carries_its_state_and_a_raw_eta_for_the_countdown(fake_comfy):
    ComfyRunContext("7").status("ModelsLab: job 5 processing", eta=19.96)
    ComfyRunContext("7").status("done, from cache, 0 credits", state="free")
    (_, working, _), (_, done, _) = fake_comfy.sent
    assert working["text"] == "ModelsLab: job 5 processing"  # the browser counts down
    assert (working["state"], working["eta"]) == ("working", 20.0)
    assert done["state"] == "free" and "eta" not in done and "job" not in done


def test_outside_comfyui_the_eta_is_part_of_the_line():
    lines = []
    RunContext(on_status=lines.append).status("job 5 processing", eta=12.4)
    assert lines == ["job 5 processing, eta 12 s"]


@pytest.mark.parametrize("version,warned", [("0.3.40", True), ("0.3.45", False),
                                            ("0.3.64", False), ("1.0.0", False)])
def test_old_comfyui_gets_a_clear_warning(monkeypatch, caplog, version, warned):
    monkeypatch.setitem(sys.modules, "comfyui_version",
                        types.SimpleNamespace(__version__=version))
    with caplog.at_level(logging.WARNING):
        warn_if_comfyui_too_old()
    assert ("needs ComfyUI 0.3.45" in caplog.text) is warned
