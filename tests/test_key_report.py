"""What the front end learns about keys: whether each provider has one, never the key."""

import json

import pytest

from object_removal.key_report import key_report
from object_removal.providers.registry import PROVIDER_NAMES

SECRET = "ailab-secret-4242"


@pytest.fixture
def env(tmp_path):
    return {"OBJECT_REMOVAL_CONFIG": str(tmp_path / "config.ini"), "HOME": str(tmp_path)}


def test_each_choice_says_whether_its_key_is_set_and_where_to_set_it(env, tmp_path):
    (tmp_path / "config.ini").write_text(f"[ailab]\napi_key = {SECRET}\n")
    report = key_report(env)
    providers = report["mask_providers"]
    assert list(providers) == list(PROVIDER_NAMES)
    for name in ("ailab", "ailab-basic", "ailab-pro"):
        assert providers[name]["needs_key"] and providers[name]["has_key"], name
    assert providers["modelslab"] == {
        "label": providers["modelslab"]["label"], "needs_key": True, "has_key": False,
        "how": providers["modelslab"]["how"]}
    assert "MODELSLAB_API_KEY" in providers["modelslab"]["how"]
    assert env["OBJECT_REMOVAL_CONFIG"] in providers["modelslab"]["how"]
    for name in ("local", "local-patchmatch", "local-migan"):
        assert not providers[name]["needs_key"] and "how" not in providers[name]
    assert report["modelslab"]["needs_key"] and not report["modelslab"]["has_key"]
    assert SECRET not in json.dumps(report)


def test_a_key_from_the_environment_counts_too(env):
    report = key_report({**env, "MODELSLAB_API_KEY": "ml-secret-777"})
    assert report["modelslab"]["has_key"]
    assert report["mask_providers"]["modelslab"]["has_key"]
    assert not report["mask_providers"]["ailab"]["has_key"]
    assert "ml-secret-777" not in json.dumps(report)


def test_broken_settings_say_what_to_fix_without_the_key(env, tmp_path):
    (tmp_path / "config.ini").write_text(
        f"[ailab]\napi_key = {SECRET}\nbase_url = http://example.com/{SECRET}\n")
    report = key_report(env)
    assert set(report) == {"error"}
    assert "base_url" in report["error"] or "AILAB_BASE_URL" in report["error"]
    assert SECRET not in report["error"]
