"""What the pack gives ComfyUI's front end, in real ComfyUI servers: search words, help
pages, locales, which providers have a key, and status lines that belong to their run.

What the browser makes of it (js/) is read off the screen of headless Chromium by
tests/test_comfyui_browser.py.
"""

from __future__ import annotations

import json
import uuid

import requests
from comfyui_harness import (  # noqa: F401 (fixtures)
    AILAB_KEY,
    MODELSLAB_KEY,
    PACK_NAME,
    REPO,
    STATUS,
    comfy,
    emulator,
    emulator_process,
    mask_workflow,
    scene,
    text_workflow,
)
from ws_listener import MessageListener

from scripts.node_texts import node_classes

CLASSES, _ = node_classes()


def comfyui_version(comfy) -> tuple[int, ...]:
    stats = requests.get(f"{comfy.url}/system_stats", timeout=30).json()
    return tuple(int(p) for p in stats["system"]["comfyui_version"].split(".")[:3])


def test_search_words_reach_the_front_end(comfy):
    info = requests.get(f"{comfy.url}/object_info", timeout=30).json()
    served = requests.get(f"{comfy.url}/api/object-removal/search-aliases", timeout=30)
    assert served.ok
    assert served.json() == {name: node.SEARCH_ALIASES for name, node in CLASSES.items()}
    for name, node in CLASSES.items():
        if comfyui_version(comfy) >= (0, 33, 0):  # reads SEARCH_ALIASES itself
            assert info[name]["search_aliases"] == node.SEARCH_ALIASES
        else:  # js/search_aliases.js adds them from the route above
            assert "search_aliases" not in info[name]


def test_help_pages_and_locales_are_served(comfy):
    for name in CLASSES:
        expected = (REPO / "js" / "docs" / f"{name}.md").read_text(encoding="utf-8")
        # The front ends ask for <Node>/<locale>.md first, then <Node>.md.
        for path in (f"{name}/en.md", f"{name}.md"):
            page = requests.get(f"{comfy.url}/extensions/{PACK_NAME}/docs/{path}", timeout=30)
            assert page.ok, path
            assert page.text == expected
    translations = requests.get(f"{comfy.url}/i18n", timeout=30).json()
    ours = json.loads((REPO / "locales/en/nodeDefs.json").read_text(encoding="utf-8"))
    for name, texts in ours.items():
        assert translations["en"]["nodeDefs"][name] == texts
    assert translations["en"]["nodeCategories"]["object removal"] == "object removal"


def test_the_key_report_says_which_providers_have_a_key_and_never_a_key(comfy, emulator):
    url = f"{comfy.url}/api/object-removal/providers"
    both = requests.get(url, timeout=30)
    assert both.ok and both.headers["Cache-Control"] == "no-store"
    assert both.json()["mask_providers"]["ailab"]["has_key"]
    assert both.json()["modelslab"]["has_key"]
    comfy.write_keys(modelslab="")  # read afresh: no restart needed
    report = requests.get(url, timeout=30).json()
    assert report["mask_providers"]["ailab"]["has_key"]
    assert not report["modelslab"]["has_key"]
    assert not report["mask_providers"]["modelslab"]["has_key"]
    assert "MODELSLAB_API_KEY" in report["modelslab"]["how"]
    assert not report["mask_providers"]["local"]["needs_key"]
    for body in (both.text, json.dumps(report)):
        assert AILAB_KEY not in body and MODELSLAB_KEY not in body


def test_status_lines_name_their_run_and_tell_free_from_paid(comfy, emulator):
    picture, _, _ = scene()
    first = comfy.upload("status_run.png", picture)
    again = comfy.upload("status_run_again.png", picture)  # same pixels, another file
    client_id = uuid.uuid4().hex
    listener = MessageListener(comfy.url, client_id)
    try:
        paid = comfy.run(mask_workflow(first, seed=7), client_id=client_id)
        comfy.assert_success(paid)
        done = listener.wait_for(STATUS, lambda d: "done" in d["text"], timeout=10)
        assert (done["state"], done["prompt_id"]) == ("paid", paid["prompt_id"])
        assert done["text"] == "ailab: done, 1 paid call, 20 credits"

        # ComfyUI runs the node again (another LoadImage file); the pack's cache answers.
        reused = comfy.run(mask_workflow(again, seed=7), client_id=client_id)
        comfy.assert_success(reused)
        done = listener.wait_for(
            STATUS, lambda d: "done" in d["text"] and d["prompt_id"] == reused["prompt_id"],
            timeout=10)
        assert done["state"] == "free"
        assert done["text"] == "ailab: done, 0 paid calls, 0 credits; 1 from cache, 0 credits"
    finally:
        listener.close()
    assert len(emulator.requests("ailab")) == 1
    statuses = listener.of_type(STATUS)
    assert {s["prompt_id"] for s in statuses} == {paid["prompt_id"], reused["prompt_id"]}
    assert all(s["node"] == "2" and s["state"] in {"working", "paid", "free"}
               for s in statuses)


def test_a_job_handle_is_offered_only_once_this_runs_job_exists(comfy, emulator):
    emulator.behaviour.update({"job_seconds": 2.0, "eta": 2})
    picture, _, _ = scene()
    name = comfy.upload("handle_run.png", picture)
    client_id = uuid.uuid4().hex
    listener = MessageListener(comfy.url, client_id)
    try:
        entry = comfy.run(text_workflow(name, wait=True), client_id=client_id)
        comfy.assert_success(entry)
        listener.wait_for(STATUS, lambda d: d["text"].startswith("done"), timeout=10)
    finally:
        listener.close()
    statuses = [s for s in listener.of_type(STATUS) if s["node"] == "2"]
    assert {s["prompt_id"] for s in statuses} == {entry["prompt_id"]}
    first_with_job = next(i for i, s in enumerate(statuses) if "job" in s)
    assert statuses[first_with_job]["text"].startswith("ModelsLab: job ")
    assert "queued (image 1 of 1)" in statuses[first_with_job]["text"]
    assert all("job" not in s for s in statuses[:first_with_job])  # none before it exists
    handles = {s["job"] for s in statuses if "job" in s}
    assert len(handles) == 1 and handles.pop().startswith("modelslab:")
    waiting = [s for s in statuses if "processing" in s["text"]]
    assert waiting and all(s["state"] == "working" and "eta" in s for s in waiting)
    assert "eta" not in waiting[0]["text"]  # the browser counts it down
    assert statuses[-1]["state"] == "paid"
