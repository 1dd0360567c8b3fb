"""AILabTools' object removal endpoints: paths and reply mapping on the keyed layer.

Every endpoint is a synchronous multipart POST with the key in the
`ailabapi-api-key` header, and the POST is itself the paid call. Replies share
one envelope: errors are read from `error_detail.code` (the HTTP status mapping
changed on 2026-01-08), and the docs disagree on which `error_*` fields exist.
Remove Objects Advanced answers the image as base64 (maybe with a `data:` prefix);
Remove Objects and Remove Objects Pro answer `data.image_url`, a link on a CDN host
that is downloaded without the key.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ..concurrency import AccountLimit
from ..errors import ProviderError, quoted
from .bounded_http import HttpReply
from .downloads import download_result
from .keyed_http import KeyedHttp, json_object, unreadable_reply
from .retry import RetryPolicy, parse_retry_after

PROVIDER = "AILabTools"
ADVANCED_PATH = "/api/image/editing/remove-objects-advanced"
BASIC_PATH = "/api/image/editing/remove-objects"
PRO_PATH = "/api/image/editing/remove-objects-pro"

# The account's own "too many at once": nothing was done, and fewer at a time will pass
# (AI_SERVICE_FLOW_RESTRICTION is the provider's upstream throttling, not the account's
# limit: retried, but nothing is learnt from it).
RATE_CODES = {"EXCEEDING_LIMITS"}
_RETRYABLE_CODES = {
    "EXCEEDING_LIMITS", "AI_SERVICE_FLOW_RESTRICTION",
    "PROCESSING_FAILURE", "AI_SERVICE_ERROR", "AI_SERVICE_TIMEOUT",
}

# What each documented code means for the user, and what to do about it.
_CODE_ADVICE = {
    "ERROR_USER_NOT_EXISTS": "rejected the API key. Check {key_hint}.",
    "ERROR_APPLICATIONS_NOT_EXISTS": "rejected the API key. Check {key_hint}.",
    "ERROR_USER_LOCKED": "reports the account as locked. Contact AILabTools support.",
    "ERROR_NOT_ENOUGH_CREDITS": (
        "reports the account is out of credits. Top up at ailabtools.com; this call "
        "was not billed."
    ),
    "EXCEEDING_LIMITS": (
        "refused: too many requests at once (rate or concurrency limit). The pack sends "
        "fewer at a time after this; if it persists, set AILAB_CONCURRENCY lower or try "
        "again in a minute."
    ),
    "AI_SERVICE_FLOW_RESTRICTION": "is throttling its AI service. Try again in a minute.",
    "FILE_SIZE_EXCEEDS_LIMIT": "refused the image as larger than 5 MB.",
    "FILE_RESOLUTION_EXCEEDS_LIMITS": "refused the image size as too large.",
    "UNSUPPORTED_FILE_TYPES": "refused the file type (the pack sends JPEG or PNG).",
    "FILE_DECODING_FAILURE": "could not read the image.",
    "ERROR_LOW_RESOLUTION": "refused the image as too small.",
    "ERROR_CONTENT_NON_COMPLIANCE": (
        "rejected the image under its content policy. Use another image; this call was "
        "not billed."
    ),
    "ERROR_MASK_IMAGE_RESOLUTION_MISMATCH": "says the mask and the image differ in size.",
    "MISSING_PARAMETERS": "says a required field is missing.",
    "ERROR_INVALID_PARAMETER": "refused a parameter.",
    "PROCESSING_FAILURE": "failed while processing. Try again.",
    "AI_SERVICE_ERROR": "had an internal error. Try again.",
    "AI_SERVICE_TIMEOUT": "timed out internally. Try again, or use quality L.",
}


class AILabClient:
    """One configured AILabTools account: bytes in, bytes out. Methods block."""

    def __init__(
        self, http: KeyedHttp, policy: RetryPolicy | None = None,
        limit: AccountLimit | None = None,
    ) -> None:
        self._http = http
        self._policy = policy or RetryPolicy()
        self._limit = limit

    def remove_objects_advanced(
        self, image: bytes, image_mime: str, mask_png: bytes, fields: dict[str, str]
    ) -> bytes:
        """Remove Objects Advanced: the result image's bytes."""
        reply = self._post(ADVANCED_PATH, image, image_mime, mask_png, fields)
        return _base64_image(reply)

    def remove_objects_to_url(
        self, path: str, image: bytes, image_mime: str, mask_png: bytes
    ) -> str:
        """An endpoint that answers a link (Remove Objects, Pro): the link (valid 24 h)."""
        reply = self._post(path, image, image_mime, mask_png, {})
        data = reply.get("data")
        url = data.get("image_url") if isinstance(data, dict) else None
        if not isinstance(url, str) or not url.strip():
            raise ProviderError(
                f"{PROVIDER} reported success but sent no image link.", provider=PROVIDER,
                maybe_billed=True,
            )
        return url.strip()

    def download(self, url: str) -> bytes:
        """A result link's file, from the CDN host it lives on; no key goes with it."""
        return download_result(url, http=self._http)

    def _post(
        self, path: str, image: bytes, image_mime: str, mask_png: bytes, fields: dict[str, str]
    ) -> dict[str, Any]:
        extension = "png" if image_mime == "image/png" else "jpg"
        files = {
            "image": (f"image.{extension}", image, image_mime),
            "mask": ("mask.png", mask_png, "image/png"),
        }
        return self._http.post(
            path, what=path.rsplit("/", 1)[-1], parse=self._parse, paid=True,
            policy=self._policy, limit=self._limit, files=files, data=fields,
            headers={"ailabapi-api-key": self._http.key, "Accept": "application/json"},
        )

    def _parse(self, reply: HttpReply) -> dict[str, Any]:
        return parse_reply(reply, self._http.config.key_hint)


def parse_reply(reply: HttpReply, key_hint: str) -> dict[str, Any]:
    """The reply's envelope if it reports success, else the ProviderError it amounts to.

    A failed call is not billed, so every error here leaves `maybe_billed` unset and
    the retryable ones may be sent again.
    """
    retry_after = parse_retry_after(reply.headers.get("Retry-After"))
    envelope = json_object(reply.body)
    if envelope is None:
        raise unreadable_reply(PROVIDER, "call", reply, retry_after=retry_after,
                               maybe_billed=False)
    detail = envelope.get("error_detail")
    detail = detail if isinstance(detail, dict) else {}
    code = quoted(detail.get("code") or envelope.get("error_code_str") or "")[:64]
    error_number = envelope.get("error_code")
    if code or reply.status >= 400 or error_number not in (0, "0", None, ""):
        raise _error_for(code, reply.status, envelope, detail, key_hint, retry_after)
    return envelope


def _error_for(
    code: str,
    status: int,
    envelope: dict[str, Any],
    detail: dict[str, Any],
    key_hint: str,
    retry_after: float | None,
) -> ProviderError:
    said = next(
        (quoted(v) for v in (detail.get("message"), detail.get("code_message"),
                             envelope.get("error_msg")) if v),
        "",
    )
    advice = _CODE_ADVICE.get(code)
    if advice is None:
        advice = (
            "had server trouble. Try again later." if status >= 500
            else f"refused the request (HTTP {status})."
        )
    message = f"{PROVIDER} " + advice.format(key_hint=key_hint)
    if said:
        message += f" Provider said: {said}"
    if code:
        message += f" [{code}]"
    unknown = code not in _CODE_ADVICE
    retryable = code in _RETRYABLE_CODES or (unknown and (status >= 500 or status == 429))
    return ProviderError(
        message, provider=PROVIDER, http_status=status, code=code or None,
        retryable=retryable, retry_after=retry_after, rate_limited=code in RATE_CODES,
    )


def _base64_image(envelope: dict[str, Any]) -> bytes:
    data = envelope.get("data")
    images = data.get("binary_data_base64") if isinstance(data, dict) else None
    if isinstance(images, str):
        images = [images]
    if not isinstance(images, list) or not images or not isinstance(images[0], str):
        raise ProviderError(f"{PROVIDER} reported success but sent no image.",
                            provider=PROVIDER, maybe_billed=True)
    encoded = "".join(images[0].split())
    if encoded.startswith("data:"):
        encoded = encoded.partition(",")[2]
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ProviderError(f"{PROVIDER} sent an image that is not valid base64.",
                            provider=PROVIDER, maybe_billed=True) from None
