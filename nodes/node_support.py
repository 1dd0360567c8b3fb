"""What every node class shares: the category, errors named for the node, and the
widgets built from the engine's parameter declarations.

An error names the node and says what to do; no key ever appears in it (the
message goes to the log, the browser and /history). ComfyUI's own interrupt
exception passes through untouched so Cancel is reported as a cancel.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..object_removal.comfy_bridge import is_comfyui_interrupt
from ..object_removal.config import known_secrets
from ..object_removal.errors import ObjectRemovalError, quoted, redact
from ..object_removal.mask.parameters import Parameter

CATEGORY = "image/object removal"

# The words people search the node library with, the category's own first ("object
# removal" is also the README's install search term). ComfyUI 0.33.0 reads SEARCH_ALIASES,
# 0.3.64 does not: there js/search_aliases.js adds them to the front end's search.
SEARCH_ALIASES = (
    "object removal", "remove object", "erase", "eraser", "inpaint", "inpainting",
    "cleanup", "clean up", "retouch",
)


@contextmanager
def errors_named_for(node_title: str) -> Iterator[None]:
    try:
        yield
    except ObjectRemovalError as exc:
        exc.args = (redact(f"{node_title}: {exc}", known_secrets()),)
        raise
    except Exception as exc:
        if is_comfyui_interrupt(exc):
            raise  # Cancel is reported as a cancel (an Exception before ComfyUI 0.33)
        # Whatever slipped through (a bug, a reply nobody foresaw) still names the node
        # and never shows a key or pages of text.
        raise ObjectRemovalError(redact(
            f"{node_title}: unexpected {type(exc).__name__}: {quoted(exc)}. This is a bug "
            "in the object removal pack; please report it with this message.",
            known_secrets(),
        )) from exc


def node_description(docstring: str | None, *more: str) -> str:
    """The docstring as the front end shows it: each paragraph one unwrapped line."""
    paragraphs = inspect.cleandoc(docstring or "").split("\n\n")
    return "\n\n".join([" ".join(p.split()) for p in paragraphs] + list(more))


def widget(parameter: Parameter, ignored_by: tuple[str, ...] = ()) -> tuple[Any, dict[str, Any]]:
    """A node input for `parameter`; its tooltip names the providers that ignore it."""
    tooltip = parameter.tooltip
    if ignored_by:
        tooltip += f" Ignored by {', '.join(ignored_by)}."
    options: dict[str, Any] = {"default": parameter.default, "tooltip": tooltip}
    for name, value in (("min", parameter.minimum), ("max", parameter.maximum),
                        ("step", parameter.step)):
        if value is not None:
            options[name] = value
    options.update(parameter.widget)
    kind = list(parameter.choices) if parameter.kind == "CHOICE" else parameter.kind
    return kind, options
