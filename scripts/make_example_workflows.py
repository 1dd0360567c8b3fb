"""Writes example_workflows/*.json (ComfyUI's UI format) from the nodes' own definitions.

Run from the repo root after changing a node's inputs: the widget values are
taken in INPUT_TYPES order, so the examples cannot drift from the nodes.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scripts.workflow_graph import Graph, load_image, save_image  # noqa: E402

MASK_NOTE = (
    "1. Load your image (or keep example.png).\n"
    "2. Right-click Load Image > Open in MaskEditor and paint what to remove.\n"
    "3. Queue. provider 'ailab' needs AILAB_API_KEY in ComfyUI's environment or the "
    "pack's config file (see the README); 'local' runs offline, free.\n"
    "Keys are never stored in a workflow."
)


def mask_workflow(provider: str) -> Graph:
    graph = Graph()
    graph.add("Note", (40, -170), [MASK_NOTE], (700, 140), title="How to use")
    image = load_image(graph, (40, 20))
    remove = graph.add_pack_node("MaskObjectRemove", (400, 20), provider=provider)
    graph.link(image, 0, remove, "image")
    graph.link(image, 1, remove, "mask")
    save_image(graph, (780, 20), f"object_removal/{provider}", remove)
    return graph


def text_workflow() -> Graph:
    graph = Graph()
    graph.add("Note", (40, -150), [
        "Names what to remove; ModelsLab finds and removes it. Needs MODELSLAB_API_KEY in "
        "ComfyUI's environment or the pack's config file. If the wait runs out, the error "
        "gives a job handle: paste it into a Fetch Result node to collect it later."
    ], (700, 120), title="How to use")
    image = load_image(graph, (40, 20))
    remove = graph.add_pack_node("TextObjectRemove", (400, 20), object_name="the clouds")
    graph.link(image, 0, remove, "image")
    save_image(graph, (780, 20), "object_removal/modelslab", remove)
    return graph


def submit_many_workflow() -> Graph:
    graph = Graph()
    graph.add("Note", (40, -170), [
        "Three jobs are submitted at once (wait off) and collected by Fetch Result nodes. "
        "ComfyUI runs these nodes asynchronously (0.3.45 or newer), so the three jobs are "
        "processed at ModelsLab side by side: the whole graph takes about as long as the "
        "slowest job, not the sum."
    ], (1100, 140), title="Submit many, then collect")
    image = load_image(graph, (40, 20))
    for row, name in enumerate(("the clouds", "the girl", "the pink dress")):
        y = 20 + row * 400  # room for each node's status area, in Nodes 2.0 too
        remove = graph.add_pack_node("TextObjectRemove", (400, y), object_name=name,
                                     wait=False)
        graph.link(image, 0, remove, "image")
        fetch = graph.add_pack_node("FetchResult", (780, y), (340, 220))
        graph.link(remove, 1, fetch, "job")
        save_image(graph, (1160, y), f"object_removal/batch_{row + 1}", fetch)
    return graph


def second_opinion_workflow() -> Graph:
    graph = Graph()
    graph.add("Note", (40, -190), [
        "Text Object Remove removes the object you name and returns where it removed it "
        "(its mask output). Mask Object Remove then removes the same area with another "
        "provider: compare the two results and keep the better one. 'ailab' needs "
        "AILAB_API_KEY; pick 'local' to run the second opinion offline, free. Outside the "
        "mask both results are your own pixels."
    ], (1100, 160), title="A second opinion on a text removal")
    image = load_image(graph, (40, 20))
    remove = graph.add_pack_node("TextObjectRemove", (400, 20), object_name="the clouds")
    graph.link(image, 0, remove, "image")
    save_image(graph, (780, 20), "object_removal/modelslab", remove)
    again = graph.add_pack_node("MaskObjectRemove", (400, 420), provider="ailab")
    graph.link(image, 0, again, "image")
    graph.link(remove, 2, again, "mask")
    save_image(graph, (780, 420), "object_removal/second_opinion", again)
    show_mask = graph.add("MaskToImage", (1160, 20), [], (220, 60),
                          inputs=[("mask", "MASK")], outputs=[("IMAGE", "IMAGE")])
    graph.link(remove, 2, show_mask, "mask")
    preview = graph.add("PreviewImage", (1160, 120), [], (320, 300),
                        inputs=[("images", "IMAGE")])
    graph.link(show_mask, 0, preview, "images")
    return graph


INPAINT_NOTE = (
    "Repaints what Text Object Remove removed with your own inpainting model: its mask, "
    "grown a little, marks the area; VAE Encode (for Inpainting) and KSampler repaint it; "
    "Image Composite Masked pastes only that area back, so the rest stays your pixels.\n"
    "NEEDS A MODEL FILE: put a checkpoint (an inpainting one works best, e.g. an SD 1.5 "
    "inpainting checkpoint) into ComfyUI/models/checkpoints and pick it in Load Checkpoint. "
    "Text Object Remove needs MODELSLAB_API_KEY."
)


def inpaint_workflow() -> Graph:
    graph = Graph()
    graph.add("Note", (40, -210), [INPAINT_NOTE], (1200, 180),
              title="Text removal, then a core inpainting step")
    image = load_image(graph, (40, 20))
    remove = graph.add_pack_node("TextObjectRemove", (400, 20), object_name="the clouds")
    graph.link(image, 0, remove, "image")
    grow = graph.add("GrowMask", (780, 150), [8, True], (300, 100),
                     inputs=[("mask", "MASK")], outputs=[("MASK", "MASK")])
    graph.link(remove, 2, grow, "mask")
    checkpoint = graph.add("CheckpointLoaderSimple", (40, 460),
                           ["sd-v1-5-inpainting.safetensors"], (320, 100),
                           outputs=[("MODEL", "MODEL"), ("CLIP", "CLIP"), ("VAE", "VAE")])
    prompts = []
    for row, text in enumerate(("an empty room, clean floor, natural light",
                                "object, person, text, watermark, blurry")):
        prompt = graph.add("CLIPTextEncode", (400, 440 + row * 200), [text], (340, 160),
                           inputs=[("clip", "CLIP")],
                           outputs=[("CONDITIONING", "CONDITIONING")])
        graph.link(checkpoint, 1, prompt, "clip")
        prompts.append(prompt)
    encode = graph.add("VAEEncodeForInpaint", (780, 300), [6], (300, 120),
                       inputs=[("pixels", "IMAGE"), ("vae", "VAE"), ("mask", "MASK")],
                       outputs=[("LATENT", "LATENT")])
    graph.link(remove, 0, encode, "pixels")
    graph.link(checkpoint, 2, encode, "vae")
    graph.link(grow, 0, encode, "mask")
    sampler = graph.add("KSampler", (1120, 300), [0, "fixed", 20, 7.0, "euler", "normal", 1.0],
                        (320, 270),
                        inputs=[("model", "MODEL"), ("positive", "CONDITIONING"),
                                ("negative", "CONDITIONING"), ("latent_image", "LATENT")],
                        outputs=[("LATENT", "LATENT")])
    graph.link(checkpoint, 0, sampler, "model")
    graph.link(prompts[0], 0, sampler, "positive")
    graph.link(prompts[1], 0, sampler, "negative")
    graph.link(encode, 0, sampler, "latent_image")
    decode = graph.add("VAEDecode", (1480, 300), [], (220, 60),
                       inputs=[("samples", "LATENT"), ("vae", "VAE")],
                       outputs=[("IMAGE", "IMAGE")])
    graph.link(sampler, 0, decode, "samples")
    graph.link(checkpoint, 2, decode, "vae")
    paste = graph.add("ImageCompositeMasked", (1480, 420), [0, 0, False], (300, 160),
                      inputs=[("destination", "IMAGE"), ("source", "IMAGE"),
                              ("mask", "MASK")],
                      outputs=[("IMAGE", "IMAGE")])
    graph.link(remove, 0, paste, "destination")
    graph.link(decode, 0, paste, "source")
    graph.link(grow, 0, paste, "mask")
    save_image(graph, (1820, 300), "object_removal/inpainted", paste)
    return graph


UPSCALE_NOTE = (
    "Text Object Remove removes the object you name (ModelsLab: needs MODELSLAB_API_KEY), "
    "then core Upscale Image By doubles the result (lanczos, no model file needed). For a "
    "learned upscaler, put Load Upscale Model + Upscale Image (using Model) in its place. "
    "Outside what was removed, the upscale starts from your own pixels."
)


def upscale_workflow() -> Graph:
    graph = Graph()
    graph.add("Note", (40, -170), [UPSCALE_NOTE], (1100, 140),
              title="Text removal, then an upscale")
    image = load_image(graph, (40, 20))
    remove = graph.add_pack_node("TextObjectRemove", (400, 20), object_name="the clouds")
    graph.link(image, 0, remove, "image")
    upscale = graph.add("ImageScaleBy", (780, 20), ["lanczos", 2.0], (300, 90),
                        inputs=[("image", "IMAGE")], outputs=[("IMAGE", "IMAGE")])
    graph.link(remove, 0, upscale, "image")
    save_image(graph, (1120, 20), "object_removal/upscaled", upscale)
    return graph


CORE_MASK_NOTE = (
    "A mask made by core nodes only, removed offline ('local': free, no key). Image To Mask "
    "takes the red and the blue channel; Threshold Mask keeps what is above 0.95 in each; "
    "Mask Composite (multiply) keeps what is bright in both, i.e. near white (clouds, lamps, "
    "glare, a white logo; not blue sky, not yellow); Grow Mask widens it by 6 px to take "
    "halos. The preview shows the mask: lower the thresholds to take more, raise them to "
    "take less. On example.png it removes the clouds."
)


def core_mask_workflow() -> Graph:
    graph = Graph()
    graph.add("Note", (40, -190), [CORE_MASK_NOTE], (1460, 160),
              title="A mask from core nodes, removed offline")
    image = load_image(graph, (40, 20))
    thresholds = []
    for row, channel in enumerate(("red", "blue")):
        y = 20 + row * 130
        to_mask = graph.add("ImageToMask", (400, y), [channel], (240, 80),
                            inputs=[("image", "IMAGE")], outputs=[("MASK", "MASK")])
        graph.link(image, 0, to_mask, "image")
        threshold = graph.add("ThresholdMask", (680, y), [0.95], (240, 80),
                              inputs=[("mask", "MASK")], outputs=[("MASK", "MASK")])
        graph.link(to_mask, 0, threshold, "mask")
        thresholds.append(threshold)
    both = graph.add("MaskComposite", (960, 20), [0, 0, "multiply"], (260, 130),
                     inputs=[("destination", "MASK"), ("source", "MASK")],
                     outputs=[("MASK", "MASK")])
    graph.link(thresholds[0], 0, both, "destination")
    graph.link(thresholds[1], 0, both, "source")
    grow = graph.add("GrowMask", (960, 190), [6, True], (260, 90),
                     inputs=[("mask", "MASK")], outputs=[("MASK", "MASK")])
    graph.link(both, 0, grow, "mask")
    remove = graph.add_pack_node("MaskObjectRemove", (400, 320), provider="local")
    graph.link(image, 0, remove, "image")
    graph.link(grow, 0, remove, "mask")
    save_image(graph, (780, 320), "object_removal/core_mask", remove)
    show_mask = graph.add("MaskToImage", (1260, 20), [], (220, 60),
                          inputs=[("mask", "MASK")], outputs=[("IMAGE", "IMAGE")])
    graph.link(grow, 0, show_mask, "mask")
    preview = graph.add("PreviewImage", (1260, 120), [], (320, 300),
                        inputs=[("images", "IMAGE")])
    graph.link(show_mask, 0, preview, "images")
    return graph


VIDEO_NOTE = (
    "Removes a logo, a timestamp or any object from a whole clip. Video Object Remove takes "
    "what is behind it from the other frames where they show it (it follows the camera), "
    "so the fill stays steady, and only what no frame shows is filled by the provider, "
    "once per keyframe: the status line says how many calls before the first.\n"
    "1. Load Video: your clip (or keep example.mp4).\n"
    "2. Load Image: a frame of the clip (or any picture of its size); right-click > Open in "
    "MaskEditor and paint what to remove. One mask serves every frame (a logo, a "
    "timestamp); for a moving object connect one mask per frame instead (from a tracking "
    "or segmentation node) to Video Object Remove's mask.\n"
    "3. Queue. 'local' runs offline, free; 'ailab' and the other paid choices need their "
    "key (see the README). Create Video keeps the clip's frame rate and sound."
)


def video_workflow() -> Graph:
    graph = Graph()
    graph.add("Note", (40, -250), [VIDEO_NOTE], (1500, 220), title="How to use")
    video = graph.add("LoadVideo", (40, 20), ["example.mp4", "image"], (320, 360),
                      outputs=[("VIDEO", "VIDEO")])
    parts = graph.add("GetVideoComponents", (400, 20), [], (300, 100),
                      inputs=[("video", "VIDEO")],
                      outputs=[("images", "IMAGE"), ("audio", "AUDIO"), ("fps", "FLOAT")])
    graph.link(video, 0, parts, "video")
    mask = load_image(graph, (40, 420))
    remove = graph.add_pack_node("VideoObjectRemove", (760, 20), (340, 240), provider="local")
    graph.link(parts, 0, remove, "images")
    graph.link(mask, 1, remove, "mask")
    create = graph.add("CreateVideo", (1140, 20), [24], (280, 110),
                       inputs=[("images", "IMAGE"), ("audio", "AUDIO"), ("fps", "FLOAT")],
                       outputs=[("VIDEO", "VIDEO")])
    create["inputs"][2]["widget"] = {"name": "fps"}  # the widget, linked: the clip's own rate
    graph.link(remove, 0, create, "images")
    graph.link(parts, 1, create, "audio")
    graph.link(parts, 2, create, "fps")
    save = graph.add("SaveVideo", (1460, 20), ["object_removal/video", "auto", "auto"],
                     (380, 420), inputs=[("video", "VIDEO")])
    graph.link(create, 0, save, "video")
    return graph


def main() -> None:
    mask_workflow("ailab").save("mask_object_remove_ailab.json")
    mask_workflow("local").save("mask_object_remove_local.json")
    text_workflow().save("text_object_remove.json")
    submit_many_workflow().save("submit_many_then_collect.json")
    second_opinion_workflow().save("text_remove_then_second_opinion.json")
    inpaint_workflow().save("text_remove_then_inpaint.json")
    upscale_workflow().save("text_remove_then_upscale.json")
    core_mask_workflow().save("core_mask_then_local_remove.json")
    video_workflow().save("video_object_remove.json")


if __name__ == "__main__":
    main()
