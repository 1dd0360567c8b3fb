"""Just enough of ComfyUI's UI workflow format (what the front end saves) to lay out
the example workflows: nodes, links, and the pack's nodes with their widget values in
INPUT_TYPES order."""

from __future__ import annotations

import json
from pathlib import Path

from scripts.pack_loading import load_pack

NODE_CLASS_MAPPINGS = load_pack().NODE_CLASS_MAPPINGS
OUT = Path(__file__).resolve().parent.parent / "example_workflows"
WIDGET_TYPES = {"INT", "FLOAT", "STRING", "BOOLEAN"}


class Graph:
    """Just enough of the front end's graph format to lay out a few nodes."""

    def __init__(self) -> None:
        self.nodes: list[dict] = []
        self.links: list[list] = []

    def add(self, kind: str, pos: tuple[int, int], widgets: list, size=(320, 260),
            outputs: list[tuple[str, str]] = (), inputs: list[tuple[str, str]] = (),
            title: str | None = None) -> dict:
        node = {
            "id": len(self.nodes) + 1, "type": kind, "pos": list(pos), "size": list(size),
            "flags": {}, "order": len(self.nodes), "mode": 0,
            "inputs": [{"name": n, "type": t, "link": None} for n, t in inputs],
            "outputs": [{"name": n, "type": t, "links": [], "slot_index": i}
                        for i, (n, t) in enumerate(outputs)],
            "properties": {"Node name for S&R": kind},
            "widgets_values": widgets,
        }
        if title:
            node["title"] = title
        self.nodes.append(node)
        return node

    def add_pack_node(self, kind: str, pos: tuple[int, int], size=(340, 300), **values) -> dict:
        cls = NODE_CLASS_MAPPINGS[kind]
        spec = cls.INPUT_TYPES()
        # The front end lists widgets in this order: required inputs, then optional ones.
        declared = {**spec["required"], **spec.get("optional", {})}
        widgets, inputs = [], []
        for name, definition in declared.items():
            kind_of = definition[0]
            options = definition[1] if len(definition) > 1 else {}
            if isinstance(kind_of, list) or kind_of in WIDGET_TYPES:
                widgets.append(values.get(name, options.get("default")))
                if kind_of == "STRING":  # may be linked (FetchResult.job)
                    inputs.append({"name": name, "type": "STRING", "widget": {"name": name},
                                   "link": None})
            else:
                inputs.append({"name": name, "type": kind_of, "link": None})
        node = self.add(kind, pos, widgets, size,
                        outputs=list(zip(cls.RETURN_NAMES, cls.RETURN_TYPES, strict=True)))
        node["inputs"] = inputs
        return node

    def link(self, source: dict, slot: int, target: dict, input_name: str) -> None:
        link_id = len(self.links) + 1
        kind = source["outputs"][slot]["type"]
        self.links.append([link_id, source["id"], slot, target["id"], _index(target, input_name),
                           kind])
        source["outputs"][slot]["links"].append(link_id)
        next(i for i in target["inputs"] if i["name"] == input_name)["link"] = link_id

    def save(self, name: str) -> None:
        workflow = {
            "last_node_id": len(self.nodes), "last_link_id": len(self.links),
            "nodes": self.nodes, "links": self.links, "groups": [], "config": {},
            "extra": {"ds": {"scale": 0.9, "offset": [60, 220]}}, "version": 0.4,
        }
        (OUT / name).write_text(json.dumps(workflow, indent=2) + "\n")


def _index(node: dict, input_name: str) -> int:
    return next(i for i, slot in enumerate(node["inputs"]) if slot["name"] == input_name)


def load_image(graph: Graph, pos: tuple[int, int]) -> dict:
    return graph.add("LoadImage", pos, ["example.png", "image"], (320, 360),
                     outputs=[("IMAGE", "IMAGE"), ("MASK", "MASK")])


def save_image(graph: Graph, pos: tuple[int, int], prefix: str, source: dict) -> dict:
    node = graph.add("SaveImage", pos, [prefix], (360, 380), inputs=[("images", "IMAGE")])
    graph.link(source, 0, node, "images")
    return node
