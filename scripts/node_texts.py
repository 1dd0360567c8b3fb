"""The texts ComfyUI's front end shows for the nodes, rendered from the nodes themselves.

- `locales/en/nodeDefs.json` and `main.json`: display names, descriptions, input and
  output names and tooltips, the category (ComfyUI reads a pack's `locales/`);
- `js/docs/<Node>.md`: the page the node help panel opens (inputs, outputs, costs,
  troubleshooting), served from the web directory.

Written by scripts/make_node_texts.py; tests/test_node_texts.py keeps them up to date.
"""

from __future__ import annotations

from typing import Any

from scripts.node_help_pages import help_page
from scripts.pack_loading import load_pack

LOCALE_FILES = ("locales/en/nodeDefs.json", "locales/en/main.json")


def node_classes() -> tuple[dict[str, Any], dict[str, str]]:
    pack = load_pack()
    return pack.NODE_CLASS_MAPPINGS, pack.NODE_DISPLAY_NAME_MAPPINGS


def _inputs(node: Any) -> dict[str, tuple[Any, dict[str, Any]]]:
    """Every visible input in the order the node declares them."""
    declared = node.INPUT_TYPES()
    found: dict[str, tuple[Any, dict[str, Any]]] = {}
    for section in ("required", "optional"):
        for name, spec in declared.get(section, {}).items():
            found[name] = (spec[0], spec[1] if len(spec) > 1 else {})
    return found


def node_defs_locale() -> dict[str, Any]:
    classes, display_names = node_classes()
    texts: dict[str, Any] = {}
    for name, node in classes.items():
        texts[name] = {
            "display_name": display_names[name],
            "description": node.DESCRIPTION,
            "inputs": {
                input_name: {"name": input_name, **({"tooltip": o["tooltip"]}
                                                    if "tooltip" in o else {})}
                for input_name, (_, o) in _inputs(node).items()
            },
            "outputs": {
                str(i): {"name": output, "tooltip": tooltip}
                for i, (output, tooltip) in enumerate(
                    zip(node.RETURN_NAMES, node.OUTPUT_TOOLTIPS, strict=True))
            },
        }
    return texts


def main_locale() -> dict[str, Any]:
    classes, _ = node_classes()
    # Only the pack's own folder: "image" and the like are ComfyUI's to translate.
    categories = {node.CATEGORY.split("/")[-1] for node in classes.values()}
    return {"nodeCategories": {part: part for part in sorted(categories)}}


def help_pages() -> dict[str, str]:
    """{"js/docs/<Node>.md": page, "js/docs/<Node>/en.md": the same page}.

    Front ends ask for `<Node>/<locale>.md` first and fall back to `<Node>.md`: the
    English copy spares English pages a 404 in the console, the other serves the rest.
    """
    classes, display_names = node_classes()
    pages = {}
    for name, node in classes.items():
        page = help_page(name, display_names[name], node, _inputs(node))
        pages[f"js/docs/{name}.md"] = pages[f"js/docs/{name}/en.md"] = page
    return pages
