"""Turning a ScriptedReply into the Reply an endpoint sends, and the broken bodies
that several endpoints share."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .replies import (
    HTML_TYPE,
    JSON_TYPE,
    TEXT_TYPE,
    Reply,
    format_retry_after,
    json_reply,
    status_phrase,
)
from .scripts import ScriptedReply

if TYPE_CHECKING:
    from .behaviour import Behaviour
    from .endpoints import Endpoint
    from .recording import RecordedRequest
    from .state import EmulatorState

# What a proxy in front of a real service answers when it is not the service.
NOT_JSON_BODY = b"<html><body><h1>Service busy</h1><p>Please try again later.</p></body></html>"
NOT_AN_IMAGE = b"These bytes are plain text, not any image format. " * 4


def render_script(
    endpoint: Endpoint,
    script: ScriptedReply,
    request: RecordedRequest,
    state: EmulatorState,
    behaviour: Behaviour,
) -> Reply:
    """The reply a script asks for, in the style of the endpoint's vendor."""
    if script.drop:
        return Reply(drop=True)
    if script.silent:
        return Reply(silent=True)
    if script.filler is not None:
        reply = Reply(filler=script.filler)
    elif script.malformed is not None:
        reply = endpoint.malformed_reply(script.malformed)(request, state, behaviour)
    elif script.raw is not None:
        reply = Reply(body=script.raw, content_type=HTML_TYPE)
    elif script.json is not None:
        payload = script.json
        if (endpoint.vendor.retry_after_in_json and script.retry_after is not None
                and isinstance(payload, dict)):
            payload = {**payload, "retry_after": payload.get("retry_after", script.retry_after)}
        reply = json_reply(payload)
    else:
        reply = endpoint.vendor.scripted_error(script, behaviour.legacy_error_spelling)

    if script.http_status is not None:
        reply.status = script.http_status
    if script.content_type is not None:
        reply.content_type = script.content_type
    if script.retry_after is not None:
        reply.headers["Retry-After"] = format_retry_after(script.retry_after)
    reply.headers.update(script.headers)
    return reply


def plain_scripted_error(script: ScriptedReply, legacy_spelling: bool = False) -> Reply:
    """A non-provider origin's scripted error: the status and a line of text."""
    status = script.http_status or 429
    return Reply(status=status, body=str(script.message or status_phrase(status)).encode("utf-8"),
                 content_type=TEXT_TYPE)


def not_json(request: RecordedRequest, state: EmulatorState, behaviour: Behaviour) -> Reply:
    """Malformed "not_json": an HTML page where JSON was expected."""
    return Reply(body=NOT_JSON_BODY, content_type=HTML_TYPE)


def truncated_json(payload: Any) -> Reply:
    """The first half of a JSON body, as a connection cut mid-answer leaves it."""
    whole = json.dumps(payload)
    return Reply(body=whole[: len(whole) // 2].encode("utf-8"), content_type=JSON_TYPE)
