"""The plain-text handle FetchResult collects, and what else FetchResult accepts.

A handle is `modelslab:<id>[,<id>...]@<width>x<height>[#<original>[,<original>...]]`:
the job ids of a batch in order, the input image's size so the result comes back
at it, and, one per job, the identity of the picture sent (kept by `originals`,
so the result can be composited into it later). Handles from before originals
were kept have no `#` part and still parse. It is plain text, so it survives a
restart and can be pasted into a later run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..config import normalize_base_url
from ..errors import ObjectRemovalError
from ..imaging.codec import MAX_RESULT_PIXELS

_HANDLE = re.compile(
    r"^modelslab:(\d{1,20}(?:,\d{1,20})*)@(\d{1,5})x(\d{1,5})"
    r"(?:#([0-9a-f]{16}(?:,[0-9a-f]{16})*))?$"
)
_BARE_ID = re.compile(r"^\d{1,20}$")
_FETCH_PATH = re.compile(r"^/api/v\d+/(?:[\w-]+/)*fetch/(\d{1,20})/?$")
MAX_SIDE = 16384
# A handle is plain text in a shared workflow: what it claims is checked before
# anything is sent or allocated. No provider answers more than the pixels a result
# may have (image_codec.MAX_RESULT_PIXELS), and a batch's output stays under ~2 GB.
MAX_JOBS = 256
MAX_BATCH_PIXELS = 160_000_000
MAX_TEXT = 64 * 1024


@dataclass(frozen=True)
class JobReference:
    job_ids: tuple[str, ...]
    size: tuple[int, int] | None = None
    """(width, height) to return the result at; None returns the provider's size."""
    originals: tuple[str, ...] = ()
    """The identities of the pictures sent, one per job; empty when not known."""

    def format(self) -> str:
        if self.size is None:
            return ",".join(self.job_ids)
        width, height = self.size
        handle = f"modelslab:{','.join(self.job_ids)}@{width}x{height}"
        return handle + (f"#{','.join(self.originals)}" if self.originals else "")


def parse_job_reference(text: str, modelslab_origin: str) -> JobReference:
    """Read FetchResult's `job`; refuse anything that would send the key elsewhere.

    Accepted: a handle from TextObjectRemove, a bare numeric job id, or an
    http(s) URL on the configured ModelsLab origin ending in `/fetch/<id>`.
    """
    value = (text or "").strip()
    if len(value) > MAX_TEXT:
        raise ObjectRemovalError(f"`job` is {len(value)} characters long; no handle is.")
    match = _HANDLE.match(value)
    if match:
        width, height = int(match.group(2)), int(match.group(3))
        if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
            raise ObjectRemovalError(f"the job handle's size {width}x{height} is not valid.")
        job_ids = tuple(match.group(1).split(","))
        _check_claims(len(job_ids), width, height)
        originals = tuple(match.group(4).split(",")) if match.group(4) else ()
        if originals and len(originals) != len(job_ids):
            raise ObjectRemovalError(
                f"the job handle names {len(job_ids)} job(s) but {len(originals)} original(s); "
                "paste the whole handle as Text Object Remove gave it."
            )
        return JobReference(job_ids, (width, height), originals)
    if _BARE_ID.match(value):
        return JobReference((value,))
    if value.lower().startswith(("http://", "https://")):
        return JobReference((_job_id_from_url(value, modelslab_origin),))
    raise ObjectRemovalError(
        "`job` must be a handle from TextObjectRemove (modelslab:<id>@<w>x<h>), a ModelsLab "
        f"job id (digits), or a fetch URL on {modelslab_origin}. Got {_preview(value)}."
    )


def _check_claims(jobs: int, width: int, height: int) -> None:
    """Refuse a handle whose results would be absurd to fetch or hold."""
    if jobs > MAX_JOBS:
        raise ObjectRemovalError(
            f"the job handle names {jobs} jobs, more than the {MAX_JOBS} one run collects; "
            "nothing was sent. Split it into smaller handles."
        )
    if width * height > MAX_RESULT_PIXELS or jobs * width * height > MAX_BATCH_PIXELS:
        raise ObjectRemovalError(
            f"the job handle asks for {jobs} image(s) of {width}x{height} pixels, more than "
            "any result of this provider; nothing was sent or allocated. Use the handle "
            "Text Object Remove gave."
        )


def _job_id_from_url(url: str, modelslab_origin: str) -> str:
    try:
        origin = normalize_base_url(f"{urlsplit(url).scheme}://{urlsplit(url).netloc}", "job URL")
    except ObjectRemovalError:
        origin = None
    if origin != modelslab_origin:
        # Only the configured origin ever receives the key; nothing is sent.
        raise ObjectRemovalError(
            f"the job URL is not on the configured ModelsLab origin ({modelslab_origin}); "
            "nothing was sent. Paste the job id or the handle instead, or set "
            "MODELSLAB_BASE_URL if you really use another ModelsLab host."
        )
    match = _FETCH_PATH.match(urlsplit(url).path)
    if not match:
        raise ObjectRemovalError(
            f"the job URL does not end in /fetch/<job id>; got path {urlsplit(url).path!r}."
        )
    return match.group(1)


def _preview(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "...")
