"""Downloading a model file the user asked for: https, resumable, checksum-pinned.

Only ever called when the user chose a learned model (a provider choice such as
``local-migan``): nothing here runs for the default ``local`` choice. The bytes go to
``<name>.part`` beside the target; an interrupted download (Cancel, a dropped
connection) resumes from there with an HTTP Range request. The finished file must
match the published MD5, else it is deleted and the error says where to get the file
by hand. Only then is it renamed into place, so a file under the published name is
always complete.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import requests

from ..config import is_loopback_host
from ..errors import Cancelled, ObjectRemovalError
from .model_files import ModelFile

# Small reads: what arrived before a connection broke is on disk, for resuming.
CHUNK_BYTES = 1 << 16
CONNECT_SECONDS = 10
READ_SECONDS = 60

# (bytes so far, bytes in all or None while unknown)
DownloadProgress = Callable[[int, int | None], None]

_locks_guard = threading.Lock()
_locks: dict[Path, threading.Lock] = {}


class ModelDownloadError(ObjectRemovalError):
    """A requested model could not be downloaded; the message says how to get it by hand."""


def _lock_for(target: Path) -> threading.Lock:
    """One download per file at a time in this process: two nodes may ask at once."""
    with _locks_guard:
        return _locks.setdefault(target.resolve(), threading.Lock())


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and is_loopback_host(parts.hostname
                                                                                or "")):
        return
    raise ModelDownloadError(f"model downloads must use https, not {url}")


def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def download_model(
    model: ModelFile,
    folder: Path,
    *,
    progress: DownloadProgress | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> Path:
    """`folder / model.file_name`, downloaded from `model.url` unless already there.

    Raises ModelDownloadError (offline, HTTP error, moved URL, wrong checksum) with a
    message naming the file, the folder and the URL, and Cancelled when `cancelled()`
    turns true; the partial file is kept for the next try in both cases, except after
    a checksum mismatch.
    """
    target = folder / model.file_name
    with _lock_for(target):
        if target.is_file():
            return target
        _check_url(model.url)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _failure(model, folder, f"cannot create {folder} ({exc.strerror})") from exc
        partial = target.with_name(target.name + ".part")
        _fetch_into(model, folder, partial, progress, cancelled)
        got = md5_of(partial)
        if got != model.md5:
            partial.unlink(missing_ok=True)
            raise _failure(
                model, folder,
                f"the download does not match the published checksum (MD5 {model.md5}, got "
                f"{got}); it was deleted",
            )
        os.replace(partial, target)
        return target


def _failure(model: ModelFile, folder: Path, why: str) -> ModelDownloadError:
    return ModelDownloadError(
        f"{model.label} could not be downloaded: {why}. To get it by hand, "
        f"{model.missing_hint(folder)}."
    )


def _fetch_into(
    model: ModelFile,
    folder: Path,
    partial: Path,
    progress: DownloadProgress | None,
    cancelled: Callable[[], bool],
) -> None:
    """Append the rest of the file to `partial`, resuming where it stops."""
    have = partial.stat().st_size if partial.is_file() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        response = requests.get(model.url, headers=headers, stream=True,
                                timeout=(CONNECT_SECONDS, READ_SECONDS))
    except requests.RequestException as exc:
        raise _failure(model, folder, f"{model.url} cannot be reached ({type(exc).__name__})"
                       ) from exc
    with response:
        if response.status_code == 416 and have:
            return  # nothing left to send: the part is whole (the checksum decides)
        if response.status_code not in (200, 206):
            raise _failure(model, folder, f"{model.url} answered HTTP {response.status_code}")
        _check_url(response.url)  # after redirects too
        if response.status_code == 200:
            have = 0  # the server ignored the Range header: start again
        length = response.headers.get("Content-Length")
        total = have + int(length) if length and length.isdigit() else None
        mode = "ab" if have else "wb"
        try:
            with partial.open(mode) as handle:
                done = have
                for chunk in response.iter_content(CHUNK_BYTES):
                    if cancelled():
                        raise Cancelled("cancelled")
                    handle.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
        except requests.RequestException as exc:
            raise _failure(model, folder, f"the connection broke after {done} bytes "
                           f"({type(exc).__name__}); run again to resume") from exc
        except OSError as exc:
            raise _failure(model, folder, f"cannot write {partial} ({exc.strerror})") from exc
    if total is not None and done < total:
        raise _failure(model, folder, f"the connection ended after {done} of {total} bytes; "
                       "run again to resume")
