"""Every endpoint, gathered from the vendor modules, and what is derived from them:
routing, the names a script or a request query may use, the malformed kinds.

Nothing here names a provider endpoint: a new `Endpoint(...)` in a vendor's
`ENDPOINTS` is routed, recorded with its vendor's key and scriptable at once.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import ailab, cdn, modelslab
from .control import CONTROL_PREFIX
from .endpoints import Endpoint, Handler, Vendor

# Names under which requests are recorded without being endpoints one can script.
CONTROL = "control"
UNKNOWN = "unknown"


class Catalogue:
    """The API origin's endpoints plus the CDN origin's, checked for clashes."""

    def __init__(self, api_endpoints: Iterable[Endpoint], cdn_endpoint: Endpoint) -> None:
        self.api_endpoints = tuple(api_endpoints)
        if not self.api_endpoints:
            raise ValueError("the API origin needs at least one endpoint")
        self.cdn = cdn_endpoint
        self._by_name: dict[str, Endpoint] = {}
        for endpoint in (*self.api_endpoints, cdn_endpoint):
            if endpoint.name in self._by_name or endpoint.name in (CONTROL, UNKNOWN):
                raise ValueError(f"endpoint name {endpoint.name!r} is declared twice")
            self._by_name[endpoint.name] = endpoint
        routes = [(e.path, e.prefix) for e in self.api_endpoints]
        if len(set(routes)) != len(routes):
            raise ValueError("two API endpoints are declared with the same path")
        if any(path.startswith(CONTROL_PREFIX) for path, _ in routes):
            raise ValueError(f"{CONTROL_PREFIX} is reserved for the control endpoints")
        self._exact = {e.path: e for e in self.api_endpoints if not e.prefix}
        # Longest prefix first, so a nested prefix wins over its parent.
        self._prefixed = sorted((e for e in self.api_endpoints if e.prefix),
                                key=lambda e: len(e.path), reverse=True)
        vendors = {e.vendor.name: e.vendor for e in self.api_endpoints}
        self._vendors = sorted(vendors.values(), key=lambda v: len(v.path_prefix), reverse=True)

    @property
    def scriptable(self) -> tuple[str, ...]:
        """Names a script may target: every API endpoint and the CDN origin's (the
        control endpoints may not: a script there would lock tests out)."""
        return tuple(self._by_name)

    @property
    def recorded(self) -> tuple[str, ...]:
        """Names requests are recorded under."""
        return (*self._by_name, CONTROL, UNKNOWN)

    def endpoint(self, name: str) -> Endpoint:
        """The endpoint called `name`; ValueError listing the names if there is none."""
        try:
            return self._by_name[name]
        except (KeyError, TypeError):
            raise ValueError(f"endpoint must be one of {self.scriptable}, got {name!r}") from None

    def check_recorded(self, name: str) -> None:
        """ValueError unless requests can be recorded under `name`."""
        if name not in self.recorded:
            raise ValueError(f"endpoint must be one of {self.recorded}, got {name!r}")

    def malformed_kinds(self, name: str) -> tuple[str, ...]:
        return self.endpoint(name).malformed_kinds

    def route(self, route: str) -> Endpoint | None:
        """The API endpoint owning a URL path (no query), or None."""
        exact = self._exact.get(route)
        if exact is not None:
            return exact
        return next((e for e in self._prefixed if e.matches(route)), None)

    def vendor_for(self, route: str) -> Vendor:
        """The vendor whose path prefix fits an unknown path best (it answers the 404)."""
        for vendor in self._vendors:
            if route.startswith(vendor.path_prefix):
                return vendor
        return self._vendors[-1]

    def unknown_handler(self, route: str) -> Handler:
        return self.vendor_for(route).not_found


CATALOGUE = Catalogue((*ailab.ENDPOINTS, *modelslab.ENDPOINTS), cdn.ENDPOINT)
