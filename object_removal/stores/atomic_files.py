"""Writing a file so that readers see the old content or the new, never half."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes, *, private: bool = True) -> None:
    """Write `data` to `path` through a temporary file in the same folder.

    The temporary file is readable by its owner only, which suits the pack's own
    stores; a file written for the user (`private` False) gets the permissions any
    new file of theirs would get (0666 less their umask)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        if not private:
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _umask() -> int:
    # Only readable by setting it; set back at once (the command line writes from one thread).
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
