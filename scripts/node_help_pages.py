"""The node help panel's page for each node (markdown), from the node's own inputs,
outputs and the provider registry, plus a hand-written troubleshooting table.

ComfyUI's front end (0.3.64's and 0.33.0's alike) fetches
/extensions/<pack>/docs/<Node>/<locale>.md, else /extensions/<pack>/docs/<Node>.md:
js/docs/<Node>/en.md and js/docs/<Node>.md here.
"""

from __future__ import annotations

from typing import Any

from scripts.pack_loading import pack_module

KEYS = ("Keys come from the environment (`AILAB_API_KEY`, `MODELSLAB_API_KEY`) or the "
        "pack's config file (`~/.config/comfyui-object-removal/config.ini`), never from a "
        "workflow. A node whose provider has no key says so on the node before you queue.")

COSTS = {
    "TextObjectRemove": (
        "One ModelsLab job per image, billed per image by ModelsLab. Queueing the same "
        "image and object name again resumes the same job at no extra cost; a result "
        "already collected is reused for free. The status line on the node says what "
        "the run cost (paid calls, and what came from the cache at 0 credits)."),
    "FetchResult": (
        "Free: collecting a job costs nothing (it was paid for when it was submitted). "
        "A result collected before is taken from this machine without asking ModelsLab."),
    "VideoObjectRemove": (
        "What the other frames show costs nothing: only what no frame shows is sent to the "
        "provider, once per keyframe (a fixed logo on a still or panning shot: one call for "
        "the whole clip). Before the first call the status line says how many there will "
        "be (\"ailab: 2 paid calls for 48 frames\"), and a budget refuses a clip that "
        "would cost more, with nothing sent. Running the same clip again reuses the fills "
        "already paid for; an empty mask sends nothing."),
}

TROUBLESHOOTING: dict[str, list[tuple[str, str]]] = {
    "common": [
        ("⚠ no key for … on the node", "Set the variable it names before starting "
         "ComfyUI, or put `api_key = …` under the named section of the config file; then "
         "refresh the page. Offline choices (`local…`) need no key."),
        ("\"this run would cost … more than the budget\"", "Raise or remove `budget` "
         "under `[run]` (or `OBJECT_REMOVAL_BUDGET`), or send fewer images; nothing was "
         "sent."),
        ("\"… rejected the API key\"", "The key is wrong or expired: copy it again from "
         "the provider's dashboard. The error never shows the key."),
        ("\"… busy, retry n in … s\" in the status line", "The provider limits how many "
         "calls run at once; the pack waits and sends again (refusals are not billed)."),
        ("\"… could not be reached, retry n in … s\" in the status line", "Nothing "
         "answered at the provider's address: check the network, a proxy, or the "
         "`…_BASE_URL` setting the final error names. Nothing was sent, so nothing was "
         "billed."),
        ("The status line says ✕ cancelled", "You pressed Cancel. A queued ModelsLab job "
         "runs on at the provider: queue again to resume it for free."),
    ],
    "MaskObjectRemove": [
        ("\"the mask is … but the image is …: another shape\"", "Make the mask from this "
         "image (Load Image's MASK, the mask editor) or resize it to the same shape."),
        ("\"got N images and M masks\"", "Give one mask for all images, one image for all "
         "masks, or as many masks as images."),
        ("Nothing changed and \"nothing to remove: the mask is empty\"", "The mask is all "
         "black: paint what to remove in white. Nothing was sent or paid for."),
        ("`local-telea` says OpenCV is missing", "Install `opencv-python-headless` into "
         "ComfyUI's Python, or choose `local` or `local-patchmatch`."),
        ("`local-migan` / `local-lama` download first", "They fetch their model file once "
         "(checked against its published checksum) into `models/inpaint`; the status "
         "line shows the progress. `local` never downloads."),
        ("The fill copies nearby objects (offline)", "Try `local-migan` or `local-lama`, "
         "or grow the mask with `dilate_size` so it covers the object's shadow."),
    ],
    "TextObjectRemove": [
        ("\"still processing after … s\" with a job handle", "The job runs on: paste the "
         "handle into Fetch Result, or queue the same workflow again (no second charge)."),
        ("\"ModelsLab reports job … failed\"", "Queue again to submit a new job; check "
         "that `object_name` names something visible in the picture."),
        ("The whole picture changed", "ModelsLab re-rendered everything; the status line "
         "says so and the mask is all 1. Try a more specific object name."),
    ],
    "VideoObjectRemove": [
        ("\"got N frames and M masks\"", "Give one mask per frame (a tracker's output) or a "
         "single mask for every frame."),
        ("\"this clip … needs about … GB of memory\"", "Remove the object from shorter "
         "pieces of the clip, or from a smaller version of it; nothing was done or sent."),
        ("A fill drifts or smears where things at different distances move differently "
         "(parallax)", "The camera's motion is followed as one plane: hand-held shots of "
         "deep scenes fill less exactly. Use a tighter mask, a shorter clip, or a lower "
         "`fill_reach`."),
        ("More paid calls than expected", "Every stretch where motion uncovers new ground "
         "no frame shows needs its own keyframe; raise `fill_reach` to let one fill serve "
         "more frames."),
    ],
    "FetchResult": [
        ("\"could not composite (… names no original)\"", "A bare job id has no original on "
         "this machine: use the handle from Text Object Remove (right-click it > Copy "
         "job handle) to get your own pixels back outside the change."),
        ("A URL on another origin is refused", "Only fetch URLs on your configured "
         "ModelsLab origin are followed, so your key goes nowhere else."),
        ("\"still processing after … s\"", "Run Fetch Result again later with the same "
         "handle; nothing is charged for collecting."),
    ],
}


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _kind(kind: Any, options: dict[str, Any]) -> str:
    if isinstance(kind, list):
        return "choice" if len(kind) > 4 else "choice: " + ", ".join(f"`{c}`" for c in kind)
    low, high = options.get("min"), options.get("max")
    return f"{kind} {low}..{high}" if low is not None and high is not None else str(kind)


def _default(options: dict[str, Any]) -> str:
    value = options.get("default")
    return "" if value is None or value == "" else f"`{value}`"


def _providers_table(own_settings: bool) -> list[str]:
    registry = pack_module("object_removal.providers.registry")
    rows = ["| provider | what it is | price | key |", "|---|---|---|---|"]
    for spec in registry.MASK_PROVIDERS:
        key = f"`{spec.key_setting}`" if spec.key_setting else "none (offline)"
        summary = spec.summary if own_settings else spec.summary.replace(
            "with the settings below", "at its default settings")
        rows.append(f"| `{spec.name}` | {_cell(spec.label)}: {_cell(summary)} | "
                    f"{registry.price(spec)} | {key} |")
    return rows


def help_page(name: str, display_name: str, node: Any,
              inputs: dict[str, tuple[Any, dict[str, Any]]]) -> str:
    description = node.DESCRIPTION.split("\n\n")[0]
    lines = [f"# {display_name}", "", " ".join(description.split()), "", "## Inputs", "",
             "| input | type | default | what it does |", "|---|---|---|---|"]
    for input_name, (kind, options) in inputs.items():
        tooltip = options.get("tooltip", "")
        if input_name == "provider":
            tooltip = ("Who fills what no frame shows: see Providers and costs below."
                       if name == "VideoObjectRemove"
                       else "Who fills the mask: see Providers and costs below.")
        lines.append(f"| `{input_name}` | {_cell(_kind(kind, options))} | "
                     f"{_default(options)} | {_cell(tooltip)} |")
    lines += ["", "## Outputs", "", "| output | type | what it is |", "|---|---|---|"]
    for output, kind, tooltip in zip(node.RETURN_NAMES, node.RETURN_TYPES,
                                     node.OUTPUT_TOOLTIPS, strict=True):
        lines.append(f"| `{output}` | {kind} | {_cell(tooltip)} |")
    with_providers = name in ("MaskObjectRemove", "VideoObjectRemove")
    lines += ["", "## Providers and costs" if with_providers else "## Cost", ""]
    if with_providers:
        lines += _providers_table(own_settings=name == "MaskObjectRemove")
    if name == "MaskObjectRemove":
        lines += ["", "The same image, mask and settings again are taken from this "
                  "machine's cache at 0 credits; an empty mask sends nothing."]
    else:
        lines += [""] * with_providers + [COSTS[name]]
    lines += ["", "## Keys", "", KEYS, "", "## Troubleshooting", "",
              "| what you see | what to do |", "|---|---|"]
    for symptom, fix in TROUBLESHOOTING[name] + TROUBLESHOOTING["common"]:
        lines.append(f"| {_cell(symptom)} | {_cell(fix)} |")
    return "\n".join(lines) + "\n"
