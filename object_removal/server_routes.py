"""The pack's two small routes on ComfyUI's own server, for js/.

    GET /object-removal/providers       which providers have a key (never a key)
    GET /object-removal/search-aliases  each node's search words, for front ends that
                                        predate SEARCH_ALIASES (ComfyUI 0.3.64)

ComfyUI serves each route under /api too. They are added when ComfyUI loads the
pack, before its server starts; outside ComfyUI nothing happens.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from .key_report import key_report

PROVIDERS_ROUTE = "/object-removal/providers"
SEARCH_ALIASES_ROUTE = "/object-removal/search-aliases"

log = logging.getLogger(__name__)


def register_routes(search_aliases: Mapping[str, Sequence[str]]) -> bool:
    """Add the routes to ComfyUI's server; False where there is none (tests, CLI)."""
    try:
        from aiohttp import web
        from server import PromptServer
    except ImportError:
        return False
    server: Any = getattr(PromptServer, "instance", None)
    if getattr(server, "routes", None) is None:
        return False  # a fork or stand-in without a route table: the pages just warn less
    aliases = {name: list(words) for name, words in search_aliases.items()}
    # The answers change with the config file and must never be kept by a proxy.
    no_store = {"Cache-Control": "no-store"}

    @server.routes.get(PROVIDERS_ROUTE)
    async def providers(request: web.Request) -> web.Response:
        report = await asyncio.to_thread(key_report)  # reads the config file
        return web.json_response(report, headers=no_store)

    @server.routes.get(SEARCH_ALIASES_ROUTE)
    async def search_aliases_route(request: web.Request) -> web.Response:
        return web.json_response(aliases)

    log.debug("object removal routes added: %s, %s", PROVIDERS_ROUTE, SEARCH_ALIASES_ROUTE)
    return True
