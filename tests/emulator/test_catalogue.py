"""The endpoint catalogue: one declaration per endpoint drives routing, recording
(where the key is read), scripting and the malformed kinds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
from emulator_helpers import KEY

from provider_emulator import (
    CATALOGUE,
    Catalogue,
    Endpoint,
    Malformed,
    ProviderEmulator,
    ailab,
    cdn,
    modelslab,
)
from provider_emulator.replies import Reply, json_reply

PACKAGE = Path(ailab.__file__).parent
EXPECTED_PATHS = {
    "ailab": "/api/image/editing/remove-objects-advanced",
    "ailab_basic": "/api/image/editing/remove-objects",
    "ailab_pro": "/api/image/editing/remove-objects-pro",
    "ml_upload": "/api/v6/base64_to_url",
    "ml_submit": "/api/v6/interior/object_removal",
    "ml_fetch": "/api/v6/interior/fetch/",
    "ml_mask_submit": "/api/v6/image_editing/object_removal",
    "ml_mask_fetch": "/api/v6/image_editing/fetch/",
}


def test_the_declared_endpoints_are_the_documented_ones() -> None:
    assert {e.name: e.path for e in CATALOGUE.api_endpoints} == EXPECTED_PATHS
    assert CATALOGUE.scriptable == (*EXPECTED_PATHS, "cdn")
    assert set(CATALOGUE.recorded) == {*EXPECTED_PATHS, "cdn", "control", "unknown"}
    assert [e.name for e in ailab.ENDPOINTS] == ["ailab", "ailab_basic", "ailab_pro"]
    assert {e.vendor.name for e in ailab.ENDPOINTS} == {"ailab"}
    assert {e.vendor.name for e in modelslab.ENDPOINTS} == {"modelslab"}
    assert {e.name for e in CATALOGUE.api_endpoints if e.prefix} == {"ml_fetch", "ml_mask_fetch"}


def test_names_and_paths_are_unique() -> None:
    names = [e.name for e in (*CATALOGUE.api_endpoints, CATALOGUE.cdn)]
    assert len(names) == len(set(names))
    paths = [e.path for e in CATALOGUE.api_endpoints]
    assert len(paths) == len(set(paths))


@pytest.mark.parametrize("endpoint", CATALOGUE.api_endpoints, ids=lambda e: e.name)
def test_every_endpoint_is_routed_to_itself(endpoint: Endpoint) -> None:
    path = endpoint.path + ("130000001" if endpoint.prefix else "")
    assert CATALOGUE.route(path) is endpoint
    assert CATALOGUE.route(path + "x/" if not endpoint.prefix else "/x" + path) is None


@pytest.mark.parametrize(
    ("path", "name"),
    [("/api/image/editing/remove-objects-premium", None), ("/api/v6/interior/fetch", None),
     ("/api/v6/image_editing/fetch/12", "ml_mask_fetch"), ("/api/v6/interior/fetch/12",
                                                           "ml_fetch"),
     ("/", None), ("/_emulator/requests", None)],
)
def test_routing_of_near_misses(path: str, name: str | None) -> None:
    found = CATALOGUE.route(path)
    assert (found.name if found else None) == name


@pytest.mark.parametrize("endpoint", CATALOGUE.api_endpoints, ids=lambda e: e.name)
def test_each_request_is_recorded_with_its_vendors_key(emu: ProviderEmulator,
                                                       endpoint: Endpoint) -> None:
    path = endpoint.path + ("5" if endpoint.prefix else "")
    requests.post(emu.api_url + path, headers={"ailabapi-api-key": "header-key"},
                  json={"key": "body-key"}, timeout=5)
    (recorded,) = emu.requests(endpoint.name)
    expected = {"ailab": "header-key", "modelslab": "body-key"}[endpoint.vendor.name]
    assert recorded.key == expected
    assert emu.requests("unknown") == []


@pytest.mark.parametrize("name", CATALOGUE.scriptable)
def test_every_scriptable_endpoint_takes_each_of_its_malformed_kinds(
    emu: ProviderEmulator, name: str
) -> None:
    kinds = CATALOGUE.malformed_kinds(name)
    assert (name == "cdn") == (kinds == ())
    for kind in kinds:
        emu.script(name, malformed=kind)
    emu.script(name, http_status=500)
    with pytest.raises(ValueError, match="malformed"):
        emu.script(name, malformed="no_such_kind")


def test_requests_and_scripts_refuse_names_not_in_the_catalogue(emu: ProviderEmulator) -> None:
    with pytest.raises(ValueError, match="ml_mask_fetch"):
        emu.requests("ml_mask_fech")
    with pytest.raises(ValueError):
        emu.script("remove-objects", http_status=500)
    assert emu.requests("control") == emu.requests("unknown") == []


def test_each_endpoint_name_is_written_in_its_vendor_module_only() -> None:
    owners = {e.name: "ailab.py" for e in ailab.ENDPOINTS}
    owners.update({e.name: "modelslab.py" for e in modelslab.ENDPOINTS})
    owners[cdn.ENDPOINT.name] = "cdn.py"
    sources = {path.name: path.read_text() for path in PACKAGE.glob("*.py")}
    for name, owner in owners.items():
        holders = sorted(file for file, text in sources.items()
                         if re.search(rf"[\"']{re.escape(name)}[\"']", text))
        assert holders == [owner], name


def _echo(request, state, behaviour) -> Reply:  # type: ignore[no-untyped-def]
    return json_reply({"echo": request.path})


def _odd(request, state, behaviour) -> Reply:  # type: ignore[no-untyped-def]
    return json_reply({"odd": True})


def test_one_new_declaration_is_routed_recorded_and_scriptable() -> None:
    extra = Endpoint("ailab_extra", ailab.VENDOR, "/api/image/editing/extra", _echo,
                     malformed=(Malformed("odd", _odd),))
    catalogue = Catalogue((*ailab.ENDPOINTS, extra, *modelslab.ENDPOINTS), cdn.ENDPOINT)
    assert "ailab_extra" in catalogue.scriptable and "ailab_extra" not in CATALOGUE.scriptable
    with ProviderEmulator(keys=(KEY,), catalogue=catalogue) as emu:
        url = emu.api_url + extra.path
        headers = {"ailabapi-api-key": KEY}
        assert requests.post(url, headers=headers, timeout=5).json() == {"echo": extra.path}
        assert emu.requests("ailab_extra")[0].key == KEY  # the vendor's header
        emu.script("ailab_extra", code="EXCEEDING_LIMITS")  # the vendor's codes
        limited = requests.post(url, headers=headers, timeout=5)
        assert limited.status_code == 429
        assert limited.json()["error_detail"]["code"] == "EXCEEDING_LIMITS"
        emu.script("ailab_extra", malformed="odd")
        assert requests.post(url, timeout=5).json() == {"odd": True}
        with pytest.raises(ValueError):
            emu.script("ailab_extra", malformed="not_json")  # not declared for it
        assert requests.post(emu.api_url + "/api/image/editing/extra2", timeout=5
                             ).status_code == 404


@pytest.mark.parametrize(
    "endpoints",
    [
        (*ailab.ENDPOINTS, ailab.ENDPOINTS[0]),
        (*ailab.ENDPOINTS, Endpoint("again", ailab.VENDOR, ailab.ENDPOINTS[0].path, _echo)),
        (*ailab.ENDPOINTS, Endpoint("cdn", ailab.VENDOR, "/api/cdn", _echo)),
        (*ailab.ENDPOINTS, Endpoint("control", ailab.VENDOR, "/api/control", _echo)),
        (*ailab.ENDPOINTS, Endpoint("sneaky", ailab.VENDOR, "/_emulator/x", _echo)),
        (),
    ],
    ids=["same-name", "same-path", "cdn-name", "control-name", "control-path", "empty"],
)
def test_clashing_declarations_are_refused(endpoints: tuple[Endpoint, ...]) -> None:
    with pytest.raises(ValueError):
        Catalogue(endpoints, cdn.ENDPOINT)


def test_unknown_paths_are_answered_by_the_best_fitting_vendor() -> None:
    assert CATALOGUE.vendor_for("/api/v6/nothing").name == "modelslab"
    assert CATALOGUE.vendor_for("/api/image/nothing").name == "ailab"
    assert CATALOGUE.vendor_for("/favicon.ico").name == "ailab"
