"""Keys and base URLs: where they come from, and what is refused."""

import pytest

from object_removal.config import config_file_path, known_secrets, load_settings, normalize_base_url
from object_removal.errors import ObjectRemovalError


@pytest.fixture
def env(tmp_path):
    return {"OBJECT_REMOVAL_CONFIG": str(tmp_path / "config.ini"), "HOME": str(tmp_path)}


def test_defaults_without_any_configuration(env):
    settings = load_settings(env)
    assert settings.ailab.base_url == "https://www.ailabapi.com"
    assert settings.modelslab.base_url == "https://modelslab.com"
    assert settings.ailab.api_key is None
    assert settings.modelslab_queue_limit is None  # learnt as runs go
    assert settings.ailab_concurrency is None and settings.budget is None


def test_missing_key_names_the_variable_and_the_file(env):
    settings = load_settings(env)
    with pytest.raises(ObjectRemovalError) as error:
        settings.ailab.require_key()
    assert "AILAB_API_KEY" in str(error.value)
    assert env["OBJECT_REMOVAL_CONFIG"] in str(error.value)
    with pytest.raises(ObjectRemovalError, match="MODELSLAB_API_KEY"):
        settings.modelslab.require_key()


def test_config_file_is_read_and_environment_wins(env, tmp_path):
    (tmp_path / "config.ini").write_text(
        "[ailab]\napi_key = file-key-1234\nbase_url = http://127.0.0.1:9100/\n"
        "[modelslab]\napi_key = ml%key-5678\nqueue_limit = 3\n"
    )
    settings = load_settings(env)
    assert settings.ailab.api_key == "file-key-1234"
    assert settings.ailab.base_url == "http://127.0.0.1:9100"
    assert settings.modelslab.api_key == "ml%key-5678"  # no interpolation of '%'
    assert settings.modelslab_queue_limit == 3

    settings = load_settings({**env, "AILAB_API_KEY": "env-key-9999",
                              "MODELSLAB_QUEUE_LIMIT": "7"})
    assert settings.ailab.api_key == "env-key-9999"
    assert settings.modelslab_queue_limit == 7
    assert set(known_secrets({**env, "AILAB_API_KEY": "env-key-9999"})) == {
        "env-key-9999", "file-key-1234", "ml%key-5678"}


def test_keys_never_appear_in_a_repr(env):
    settings = load_settings({**env, "AILAB_API_KEY": "secret-abcdef"})
    assert "secret-abcdef" not in repr(settings)
    assert "secret-abcdef" not in str(settings.ailab)


@pytest.mark.parametrize("value", ["your_api_key", "<YOUR KEY>", "xxxxxxxx", "changeme",
                                   "YOUR-API-KEY-HERE", "  "])
def test_placeholder_keys_are_refused_or_ignored(env, value):
    if not value.strip():
        assert load_settings({**env, "AILAB_API_KEY": value}).ailab.api_key is None
        return
    with pytest.raises(ObjectRemovalError, match="placeholder"):
        load_settings({**env, "AILAB_API_KEY": value})


@pytest.mark.parametrize(
    "url,expected",
    [
        ("https://www.ailabapi.com", "https://www.ailabapi.com"),
        ("https://WWW.AILabAPI.com/", "https://www.ailabapi.com"),
        ("http://127.0.0.1:9100", "http://127.0.0.1:9100"),
        ("http://localhost:8080/", "http://localhost:8080"),
        ("https://example.com:8443", "https://example.com:8443"),
        ("http://[::1]:9100", "http://[::1]:9100"),
    ],
)
def test_base_urls_are_normalised(url, expected):
    assert normalize_base_url(url, "X_BASE_URL") == expected


@pytest.mark.parametrize(
    "url,reason",
    [
        ("http://example.com", "plain http"),
        ("https://example.com/api/v6", "only scheme, host and port"),
        ("https://user:pw@example.com", "only scheme, host and port"),
        ("https://example.com?x=1", "only scheme, host and port"),
        ("ftp://example.com", "https://host"),
        ("example.com", "https://host"),
        ("https://example.com:99999", "not a valid URL"),
    ],
)
def test_bad_base_urls_are_refused_naming_the_setting(url, reason):
    with pytest.raises(ObjectRemovalError, match=reason) as error:
        normalize_base_url(url, "MODELSLAB_BASE_URL")
    assert "MODELSLAB_BASE_URL" in str(error.value)


@pytest.mark.parametrize("url", ["https://me:hunter2secret@example.com",
                                 "ftp://me:hunter2secret@example.com/x"])
def test_a_password_in_a_refused_base_url_is_not_repeated(url):
    with pytest.raises(ObjectRemovalError) as error:
        normalize_base_url(url, "AILAB_BASE_URL")
    assert "hunter2secret" not in str(error.value)
    assert "me:***@example.com" in str(error.value)


def test_bad_queue_limit_is_refused(env):
    with pytest.raises(ObjectRemovalError, match="MODELSLAB_QUEUE_LIMIT"):
        load_settings({**env, "MODELSLAB_QUEUE_LIMIT": "lots"})


def test_default_config_place_follows_xdg(tmp_path):
    path = config_file_path({"XDG_CONFIG_HOME": str(tmp_path)})
    assert path == tmp_path / "comfyui-object-removal" / "config.ini"


# --- a config that says what is wrong ---------------------------------------------------------

SECRET = "sk-live-0123456789abcdef"


@pytest.fixture(autouse=True)
def notes_logged_afresh():
    """Notes are logged once per process; each test starts with none said yet."""
    from object_removal import config_file

    config_file._logged.clear()


def missing_key_message(env, section="ailab"):
    settings = load_settings(env)
    config = settings.ailab if section == "ailab" else settings.modelslab
    with pytest.raises(ObjectRemovalError) as error:
        config.require_key()
    return str(error.value)


def test_a_section_in_the_wrong_case_is_named(env, tmp_path, caplog):
    (tmp_path / "config.ini").write_text(f"[AILab]\napi_key = {SECRET}\n")
    message = missing_key_message(env)
    assert "section [AILab]" in message and "lower case, [ailab]" in message
    assert SECRET not in message and SECRET not in caplog.text
    assert "[AILab]" in caplog.text  # logged for the console too


def test_a_misspelt_option_suggests_the_right_one(env, tmp_path):
    (tmp_path / "config.ini").write_text(f"[ailab]\napikey = {SECRET}\n")
    message = missing_key_message(env)
    assert "unknown option apikey in [ailab]" in message and "did you mean api_key?" in message
    assert SECRET not in message


def test_unknown_sections_and_a_missing_configured_file_are_said(env, tmp_path, caplog):
    message = missing_key_message(env)  # OBJECT_REMOVAL_CONFIG names a file that is absent
    assert "(set by OBJECT_REMOVAL_CONFIG) does not exist" in message
    (tmp_path / "config.ini").write_text("[ai_lab]\nx = 1\n")
    assert "unknown section [ai_lab]" in missing_key_message(env)


def test_a_key_in_quotes_is_sent_without_them_and_said(env, tmp_path, caplog):
    (tmp_path / "config.ini").write_text(f'[modelslab]\napi_key = "{SECRET}"\n')
    settings = load_settings(env)
    assert settings.modelslab.api_key == SECRET
    assert "[modelslab] api_key" in caplog.text and "in quotes" in caplog.text
    assert SECRET not in caplog.text
    assert SECRET in known_secrets(env)  # redacted in errors with or without the quotes


def test_a_config_others_can_read_is_warned_about(env, tmp_path, caplog):
    path = tmp_path / "config.ini"
    path.write_text(f"[ailab]\napi_key = {SECRET}\n")
    path.chmod(0o644)
    load_settings(env)
    assert f"chmod 600 {path}" in caplog.text
    caplog.clear()
    path.chmod(0o600)
    load_settings(env)
    assert "chmod" not in caplog.text
