"""The pack loads the way ComfyUI loads it, and every node keeps the classic contract.

ComfyUI imports a custom node folder by its path, under the folder's own name
(often hyphenated), so nothing may rely on the package being importable by a
fixed name. The public interface is frozen: shared workflows depend on it.
"""

import inspect
import json
import subprocess
import sys
import textwrap

import pytest

from support import PACK_DIR, load_pack


@pytest.fixture(scope="module")
def pack():
    return load_pack()


def test_the_root_exports_exactly_the_three_names(pack):
    assert sorted(pack.__all__) == ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS",
                                    "WEB_DIRECTORY"]
    assert set(pack.NODE_CLASS_MAPPINGS) == {"MaskObjectRemove", "TextObjectRemove",
                                             "FetchResult", "VideoObjectRemove"}
    assert set(pack.NODE_DISPLAY_NAME_MAPPINGS) == set(pack.NODE_CLASS_MAPPINGS)
    web = PACK_DIR / pack.WEB_DIRECTORY
    assert web.is_dir() and list(web.glob("*.js"))


def test_loading_the_pack_imports_no_comfyui_module_and_no_top_level_nodes():
    """In a fresh interpreter that refuses ComfyUI's modules and records every attempt
    to import them (or a top-level `nodes`, which is ComfyUI's own `nodes.py`), the pack
    loads and its node classes answer INPUT_TYPES."""
    script = textwrap.dedent(f"""
        import importlib.abc, importlib.util, json, sys
        FORBIDDEN = ("comfy", "comfy_api", "folder_paths", "server", "nodes", "execution")
        attempts = []

        class Refuse(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in FORBIDDEN:
                    attempts.append(name)
                    raise ImportError(name)
                return None

        sys.meta_path.insert(0, Refuse())
        spec = importlib.util.spec_from_file_location(
            "pack-under-test", {str(PACK_DIR / "__init__.py")!r},
            submodule_search_locations=[{str(PACK_DIR)!r}])
        module = importlib.util.module_from_spec(spec)
        sys.modules["pack-under-test"] = module
        spec.loader.exec_module(module)
        inputs = {{name: list(cls.INPUT_TYPES()["required"])
                  for name, cls in module.NODE_CLASS_MAPPINGS.items()}}
        print(json.dumps({{"attempts": attempts, "inputs": inputs}}))
    """)
    # Run from elsewhere, so the pack's folder is not on sys.path.
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd="/", timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["attempts"] == []
    assert report["inputs"]["FetchResult"] == ["job", "timeout"]


@pytest.mark.parametrize("name", ["MaskObjectRemove", "TextObjectRemove", "FetchResult",
                                  "VideoObjectRemove"])
def test_every_node_keeps_the_classic_contract(pack, name):
    cls = pack.NODE_CLASS_MAPPINGS[name]
    spec = cls.INPUT_TYPES()
    assert set(spec) <= {"required", "optional", "hidden"}
    assert isinstance(cls.RETURN_TYPES, tuple) and cls.RETURN_TYPES
    assert len(cls.RETURN_NAMES) == len(cls.RETURN_TYPES) == len(cls.OUTPUT_TOOLTIPS)
    assert isinstance(cls.CATEGORY, str) and cls.CATEGORY
    assert len(cls.DESCRIPTION.split()) >= 15
    function = getattr(cls, cls.FUNCTION)
    # Awaited by ComfyUI >= 0.3.45, so other nodes run while this one waits.
    assert inspect.iscoroutinefunction(function)
    parameters = list(inspect.signature(function).parameters)[1:]
    declared = list(spec["required"]) + list(spec.get("optional", {}))
    assert parameters[: len(declared)] == declared
    for input_name, definition in spec["required"].items():
        options = definition[1] if len(definition) > 1 else {}
        assert options.get("tooltip"), f"{name}.{input_name} has no tooltip"


def test_every_node_can_show_its_status(pack):
    """The front end gives a status area to each node of the pack with the hidden
    UNIQUE_ID input (js/object_removal.js); the node passes it to ComfyRunContext."""
    for name, cls in pack.NODE_CLASS_MAPPINGS.items():
        assert cls.INPUT_TYPES().get("hidden", {}).get("unique_id") == "UNIQUE_ID", name
        assert "unique_id" in inspect.signature(getattr(cls, cls.FUNCTION)).parameters, name


def inputs_of(pack, name):
    return pack.NODE_CLASS_MAPPINGS[name].INPUT_TYPES()["required"]


def optional_of(pack, name):
    return pack.NODE_CLASS_MAPPINGS[name].INPUT_TYPES().get("optional", {})


def summary(inputs):
    """(name, type, default) in order: what a saved workflow depends on."""
    rows = []
    for input_name, definition in inputs.items():
        kind = definition[0] if isinstance(definition[0], str) else tuple(definition[0])
        default = definition[1].get("default") if len(definition) > 1 else None
        rows.append((input_name, kind, default))
    return rows


def test_mask_object_remove_interface_is_frozen(pack):
    inputs = inputs_of(pack, "MaskObjectRemove")
    assert summary(inputs) == [
        ("image", "IMAGE", None),
        ("mask", "MASK", None),
        # New providers are appended: saved workflows store the choice by name.
        ("provider", ("ailab", "local", "modelslab", "ailab-basic", "ailab-pro", "local-migan",
                      "local-lama", "local-patchmatch", "local-telea"), "ailab"),
        ("steps", "INT", 30),
        ("strength", "FLOAT", 0.8),
        ("scale", "FLOAT", 7.0),
        ("seed", "INT", 0),
        ("dilate_size", "INT", 15),
        ("quality", ("M", "H", "L"), "M"),
        ("composite", "BOOLEAN", True),
    ]
    # The provider's documented ranges.
    assert inputs["steps"][1]["min"] == 1
    assert (inputs["strength"][1]["min"], inputs["strength"][1]["max"]) == (0.1, 1.0)
    assert (inputs["scale"][1]["min"], inputs["scale"][1]["max"]) == (1.0, 20.0)
    assert inputs["seed"][1]["min"] == -1
    assert inputs["dilate_size"][1]["min"] == 1
    # A seed widget that re-randomises after each run would bill every run again.
    assert inputs["seed"][1]["control_after_generate"] is False
    assert pack.NODE_CLASS_MAPPINGS["MaskObjectRemove"].RETURN_TYPES == ("IMAGE",)


def test_text_object_remove_interface_is_frozen(pack):
    inputs = inputs_of(pack, "TextObjectRemove")
    assert summary(inputs) == [
        ("image", "IMAGE", None),
        ("object_name", "STRING", ""),
        ("wait", "BOOLEAN", True),
        ("timeout", "INT", 600),
    ]
    assert inputs["timeout"][1]["min"] == 1
    cls = pack.NODE_CLASS_MAPPINGS["TextObjectRemove"]
    # Appended after the existing ones, so saved workflows keep their widgets and links;
    # optional, so API-format prompts saved without it still pass ComfyUI's validation.
    assert summary(optional_of(pack, "TextObjectRemove")) == [("composite", "BOOLEAN", True)]
    assert cls.RETURN_TYPES == ("IMAGE", "STRING", "MASK")
    assert cls.RETURN_NAMES == ("image", "job", "mask")


def test_fetch_result_interface_is_frozen(pack):
    inputs = inputs_of(pack, "FetchResult")
    assert summary(inputs) == [("job", "STRING", ""), ("timeout", "INT", 600)]
    assert inputs["timeout"][1]["min"] == 1
    assert summary(optional_of(pack, "FetchResult")) == [("composite", "BOOLEAN", True)]
    cls = pack.NODE_CLASS_MAPPINGS["FetchResult"]
    assert cls.RETURN_TYPES == ("IMAGE", "MASK")
    assert cls.RETURN_NAMES == ("image", "mask")


def test_video_object_remove_interface_is_frozen(pack):
    inputs = inputs_of(pack, "VideoObjectRemove")
    mask_providers = inputs_of(pack, "MaskObjectRemove")["provider"][0]
    assert summary(inputs) == [
        ("images", "IMAGE", None),
        ("mask", "MASK", None),
        # the same choices as Mask Object Remove, in its order
        ("provider", tuple(mask_providers), "local"),
        ("dilate_size", "INT", 10),
        ("seed", "INT", 0),
        ("fill_reach", "INT", 48),
    ]
    assert inputs["seed"][1]["min"] == -1
    assert inputs["seed"][1]["control_after_generate"] is False
    assert inputs["dilate_size"][1]["min"] == 0
    assert inputs["fill_reach"][1]["min"] == 1
    cls = pack.NODE_CLASS_MAPPINGS["VideoObjectRemove"]
    assert cls.RETURN_TYPES == ("IMAGE", "MASK")
    assert cls.RETURN_NAMES == ("images", "mask")
    assert cls.CATEGORY == pack.NODE_CLASS_MAPPINGS["MaskObjectRemove"].CATEGORY
    assert pack.NODE_DISPLAY_NAME_MAPPINGS["VideoObjectRemove"] == "Video Object Remove"


@pytest.mark.parametrize("name", ["TextObjectRemove", "FetchResult"])
def test_calls_without_composite_still_run_with_it_on(pack, name):
    """ComfyUI calls the function with the inputs the prompt has: an old prompt has no
    `composite`, so the function's own default must be the widget's."""
    cls = pack.NODE_CLASS_MAPPINGS[name]
    parameter = inspect.signature(getattr(cls, cls.FUNCTION)).parameters["composite"]
    assert parameter.default is optional_of(pack, name)["composite"][1]["default"] is True
    assert optional_of(pack, name)["composite"][1]["tooltip"]


def test_no_input_can_carry_a_key_or_a_base_url(pack):
    for cls in pack.NODE_CLASS_MAPPINGS.values():
        for input_name in cls.INPUT_TYPES()["required"]:
            assert not any(word in input_name for word in ("key", "url", "token", "secret"))
