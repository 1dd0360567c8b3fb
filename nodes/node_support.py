"""What every node class shares: how errors reach the user.

An error names the node and says what to do; no key ever appears in it (the
message goes to the log, the browser and /history). ComfyUI's own interrupt
exception passes through untouched so Cancel is reported as a cancel.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .config import known_secrets
from .errors import ObjectRemovalError, redact

CATEGORY = "image/object removal"


@contextmanager
def errors_named_for(node_title: str) -> Iterator[None]:
    try:
        yield
    except ObjectRemovalError as exc:
        exc.args = (redact(f"{node_title}: {exc}", known_secrets()),)
        raise
