"""What the front end shows for the nodes: search words, help pages and locales, all
rendered from the nodes and kept up to date (scripts/make_node_texts.py)."""

import json
import re
from pathlib import Path

import pytest

from scripts.make_node_texts import rendered
from scripts.node_texts import node_classes
from scripts.pack_loading import load_pack

REPO = Path(__file__).resolve().parent.parent
CLASSES, DISPLAY_NAMES = node_classes()


def test_the_committed_texts_are_what_the_nodes_say_now():
    stale = [path for path, text in rendered().items()
             if not (REPO / path).exists() or (REPO / path).read_text(encoding="utf-8") != text]
    assert not stale, f"run: python scripts/make_node_texts.py  (stale: {stale})"


@pytest.mark.parametrize("name", list(CLASSES))
def test_each_node_is_found_by_the_words_people_search_with(name):
    aliases = CLASSES[name].SEARCH_ALIASES
    assert isinstance(aliases, list) and all(isinstance(a, str) and a for a in aliases)
    for words in ("object removal", "remove object", "inpaint", "erase", "eraser", "cleanup"):
        assert words in aliases, (name, words)
    assert len(set(aliases)) == len(aliases)


def test_provider_names_find_the_mask_node():
    aliases = CLASSES["MaskObjectRemove"].SEARCH_ALIASES
    for words in ("ailab", "modelslab", "patchmatch", "lama", "mi-gan", "offline"):
        assert words in aliases


@pytest.mark.parametrize("name", list(CLASSES))
def test_each_help_page_covers_inputs_outputs_cost_and_troubleshooting(name):
    web_directory = REPO / load_pack().WEB_DIRECTORY
    page = (web_directory / "docs" / f"{name}.md").read_text(encoding="utf-8")
    node = CLASSES[name]
    assert page.startswith(f"# {DISPLAY_NAMES[name]}\n")
    declared = node.INPUT_TYPES()
    for input_name in {**declared["required"], **declared.get("optional", {})}:
        assert f"| `{input_name}` |" in page, input_name
    for output in node.RETURN_NAMES:
        assert f"| `{output}` |" in page, output
    assert re.search(r"^## (Providers and costs|Cost)$", page, re.MULTILINE)
    troubleshooting = page.split("## Troubleshooting", 1)[1]
    assert troubleshooting.count("\n| ") >= 5  # header and at least four problems
    assert "hidden" not in page and "unique_id" not in page


def test_the_locale_names_every_input_and_output_with_its_tooltip():
    locale = json.loads((REPO / "locales/en/nodeDefs.json").read_text(encoding="utf-8"))
    assert set(locale) == set(CLASSES)
    for name, node in CLASSES.items():
        texts = locale[name]
        assert texts["display_name"] == DISPLAY_NAMES[name]
        assert "\n    " not in texts["description"]  # unwrapped, as the front end shows it
        declared = node.INPUT_TYPES()
        visible = {**declared["required"], **declared.get("optional", {})}
        assert list(texts["inputs"]) == list(visible)
        for input_name, (_, options) in visible.items():
            assert texts["inputs"][input_name]["tooltip"] == options["tooltip"]
        assert [o["name"] for o in texts["outputs"].values()] == list(node.RETURN_NAMES)
    main = json.loads((REPO / "locales/en/main.json").read_text(encoding="utf-8"))
    assert main == {"nodeCategories": {"object removal": "object removal"}}
