"""Writing a file so that readers see the old content or the new, never half, even
after a crash of the machine (not only of the process)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes, *, private: bool = True) -> None:
    """Write `data` to `path` through a temporary file in the same folder.

    The data reaches the disk before the rename (fsync of the file), and the rename
    before this returns (fsync of the folder, on POSIX): a power cut leaves the old
    file or the new one, never an empty or partial one under the name.
    The temporary file is readable by its owner only, which suits the pack's own
    stores; a file written for the user (`private` False) gets the permissions any
    new file of theirs would get (0666 less their umask)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if not private:
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable. POSIX only: Windows cannot open a folder to
    sync it (its renames are journaled by NTFS)."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _umask() -> int:
    # Only readable by setting it; set back at once (the command line writes from one thread).
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
