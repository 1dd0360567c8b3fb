"""AILabTools' Remove Objects Advanced over HTTP: image and mask bytes in, image bytes out.

Synchronous multipart call; the key goes in the `ailabapi-api-key` header and
only to the configured origin (redirects are never followed, since a custom
header would travel with them). Replies are parsed defensively: the docs
disagree on the error fields, the base64 may carry a `data:` prefix, and a
502 can be an HTML page.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from .config import ProviderConfig
from .errors import ObjectRemovalError, ProviderError
from .http_retry import RetryPolicy, call_provider, failed_before_sending, parse_retry_after

PATH = "/api/image/editing/remove-objects-advanced"
PROVIDER = "AILabTools"
QUALITIES = ("M", "H", "L")
# Latency per quality is undocumented; the SDK's 30 s is known to be too short.
DEFAULT_TIMEOUT = (10.0, 300.0)

_RETRYABLE_CODES = {
    "EXCEEDING_LIMITS", "AI_SERVICE_FLOW_RESTRICTION",
    "PROCESSING_FAILURE", "AI_SERVICE_ERROR", "AI_SERVICE_TIMEOUT",
}

# What each documented code means for the user, and what to do about it.
_CODE_ADVICE = {
    "ERROR_USER_NOT_EXISTS": "rejected the API key. Check {key_help}.",
    "ERROR_APPLICATIONS_NOT_EXISTS": "rejected the API key. Check {key_help}.",
    "ERROR_USER_LOCKED": "reports the account as locked. Contact AILabTools support.",
    "ERROR_NOT_ENOUGH_CREDITS": (
        "reports the account is out of credits. Top up at ailabtools.com; this call "
        "was not billed."
    ),
    "EXCEEDING_LIMITS": (
        "refused: too many requests at once (rate or concurrency limit). Lower "
        "AILAB_CONCURRENCY or try again in a minute."
    ),
    "AI_SERVICE_FLOW_RESTRICTION": "is throttling its AI service. Try again in a minute.",
    "FILE_SIZE_EXCEEDS_LIMIT": "refused the image as larger than 5 MB.",
    "FILE_RESOLUTION_EXCEEDS_LIMITS": (
        "refused the image size (each side must be between 65 and 4095 pixels)."
    ),
    "UNSUPPORTED_FILE_TYPES": "refused the file type (JPEG or PNG only).",
    "FILE_DECODING_FAILURE": "could not read the image.",
    "ERROR_LOW_RESOLUTION": "refused the image as too small (more than 64 pixels a side).",
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


@dataclass(frozen=True)
class AILabParams:
    """The documented fields of remove-objects-advanced, with their defaults."""

    steps: int = 30
    strength: float = 0.8
    scale: float = 7.0
    seed: int = 0
    dilate_size: int = 15
    quality: str = "M"

    def validate(self) -> None:
        """Refuse what the provider would refuse, before a paid call."""
        problems = []
        if self.steps < 1:
            problems.append(f"steps must be at least 1 (got {self.steps})")
        if not 0.1 <= self.strength <= 1.0:
            problems.append(f"strength must be from 0.1 to 1.0 (got {self.strength})")
        if not 1.0 <= self.scale <= 20.0:
            problems.append(f"scale must be from 1 to 20 (got {self.scale})")
        if self.seed < -1:
            problems.append(f"seed must be -1 (random) or more (got {self.seed})")
        if self.dilate_size < 1:
            problems.append(f"dilate_size must be at least 1 (got {self.dilate_size})")
        if self.quality not in QUALITIES:
            problems.append(f"quality must be one of H, M, L (got {self.quality!r})")
        if problems:
            raise ObjectRemovalError("; ".join(problems) + ".")

    def form_fields(self) -> dict[str, str]:
        return {
            "steps": str(self.steps),
            "strength": _number(self.strength),
            "scale": _number(self.scale),
            "seed": str(self.seed),
            "dilate_size": str(self.dilate_size),
            "quality": self.quality,
        }


class AILabClient:
    """One configured AILabTools account."""

    def __init__(
        self,
        config: ProviderConfig,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        policy: RetryPolicy | None = None,
        cancel: threading.Event | None = None,
        rng: random.Random | None = None,
        on_retry: Callable[[int, float, Exception], None] | None = None,
    ) -> None:
        self._config = config
        self._key = config.require_key()
        self._url = config.base_url + PATH
        self._timeout = timeout
        self._policy = policy or RetryPolicy()
        self._cancel = cancel
        self._rng = rng
        self._on_retry = on_retry

    def remove_objects(
        self,
        image: bytes,
        image_mime: str,
        mask_png: bytes,
        params: AILabParams,
    ) -> bytes:
        """Send one image and its mask; return the result image's bytes."""
        params.validate()
        extension = "png" if image_mime == "image/png" else "jpg"
        files = {
            "image": (f"image.{extension}", image, image_mime),
            "mask": ("mask.png", mask_png, "image/png"),
        }

        return call_provider(
            lambda: self._post_once(files, params.form_fields()),
            key=self._key,
            policy=self._policy,
            should_retry=lambda exc: isinstance(exc, ProviderError) and exc.retryable,
            cancel=self._cancel,
            rng=self._rng,
            on_retry=self._on_retry,
        )

    def _post_once(self, files: dict[str, Any], fields: dict[str, str]) -> bytes:
        try:
            response = requests.post(
                self._url,
                headers={"ailabapi-api-key": self._key, "Accept": "application/json"},
                files=files,
                data=fields,
                timeout=self._timeout,
                allow_redirects=False,
            )
        except requests.exceptions.ReadTimeout:
            raise ProviderError(
                f"{PROVIDER} did not answer within {self._timeout[1]:.0f} s. The call may "
                "still finish on their side (a finished call is billed); try again later.",
                provider=PROVIDER,
            ) from None
        except requests.RequestException as exc:
            before = failed_before_sending(exc)
            raise ProviderError(
                f"could not reach {PROVIDER} at {self._config.base_url} "
                f"({type(exc).__name__}). Check the network, or {self._config.base_url_env}.",
                provider=PROVIDER,
                # A synchronous call that never got an answer is not billed.
                retryable=True,
                code="CONNECT" if before else "CONNECTION_LOST",
            ) from None
        return parse_reply(response.status_code, response.headers, response.content, self._config)


def parse_reply(
    status: int, headers: Any, body: bytes, config: ProviderConfig
) -> bytes:
    """The result image's bytes from a reply, or the ProviderError it amounts to."""
    retry_after_header = headers.get("Retry-After") if headers is not None else None
    if 300 <= status < 400:
        raise ProviderError(
            f"{PROVIDER} answered with a redirect (HTTP {status}); it is not followed, "
            f"since the key would go with it. Check {config.base_url_env} "
            f"(now {config.base_url}).",
            provider=PROVIDER,
            http_status=status,
        )
    reply = _json_object(body)
    if reply is None:
        server_trouble = status >= 500 or status == 429
        raise ProviderError(
            f"{PROVIDER} sent an unreadable reply (HTTP {status}, not JSON)"
            + (": server trouble, try again later." if server_trouble else "."),
            provider=PROVIDER,
            http_status=status,
            retryable=server_trouble,
            retry_after=parse_retry_after(retry_after_header),
        )
    detail = reply.get("error_detail") if isinstance(reply.get("error_detail"), dict) else {}
    code = str(detail.get("code") or reply.get("error_code_str") or "").strip()
    error_number = reply.get("error_code")
    failed = bool(code) or status >= 400 or (error_number not in (0, "0", None, ""))
    if failed:
        raise _error_for(code, status, reply, detail, config, retry_after_header)
    return _result_image(reply, status)


def _error_for(
    code: str,
    status: int,
    reply: dict[str, Any],
    detail: dict[str, Any],
    config: ProviderConfig,
    retry_after_header: str | None,
) -> ProviderError:
    said = next(
        (str(v) for v in (detail.get("message"), detail.get("code_message"),
                          reply.get("error_msg")) if v),
        "",
    )
    advice = _CODE_ADVICE.get(code)
    if advice is None:
        advice = (
            "had server trouble. Try again later." if status >= 500
            else f"refused the request (HTTP {status})."
        )
    key_help = f"{config.key_env} (or [ailab] api_key in {config.config_path})"
    message = f"{PROVIDER} " + advice.format(key_help=key_help)
    if said:
        message += f" Provider said: {said[:300]}"
    if code:
        message += f" [{code}]"
    unknown = code not in _CODE_ADVICE
    retryable = code in _RETRYABLE_CODES or (unknown and (status >= 500 or status == 429))
    return ProviderError(
        message,
        provider=PROVIDER,
        http_status=status,
        code=code or None,
        retryable=retryable,
        retry_after=parse_retry_after(retry_after_header),
    )


def _result_image(reply: dict[str, Any], status: int) -> bytes:
    data = reply.get("data")
    images = data.get("binary_data_base64") if isinstance(data, dict) else None
    if isinstance(images, str):
        images = [images]
    if not isinstance(images, list) or not images or not isinstance(images[0], str):
        raise ProviderError(
            f"{PROVIDER} reported success (HTTP {status}) but sent no image.",
            provider=PROVIDER,
            http_status=status,
        )
    encoded = "".join(images[0].split())
    if encoded.startswith("data:"):
        encoded = encoded.partition(",")[2]
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ProviderError(
            f"{PROVIDER} sent an image that is not valid base64.",
            provider=PROVIDER,
            http_status=status,
        ) from None


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _number(value: float) -> str:
    """7.0 -> "7", 0.30000000000000004 -> "0.3": whole numbers stay whole (the schema
    types `scale` as int) and widget rounding noise is not sent."""
    return format(float(value), ".6g")
