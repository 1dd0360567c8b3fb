"""Keys, base URLs and limits: the environment first, then the config file.

Nothing here ever comes from a workflow. Keys are read when a node runs (so an
edited config file applies without a restart) and are never part of a repr.

Config file (INI, so every Python that ComfyUI runs on can read it):

    [ailab]
    api_key = ...
    base_url = https://www.ailabapi.com

    [modelslab]
    api_key = ...
    base_url = https://modelslab.com
    queue_limit = 5      (optional: a ceiling; learnt otherwise)

    [run]
    budget = 100         (optional: the most one run may spend)

    [shared]             (optional: several ComfyUI workers on one account)
    redis_url = redis://:password@host:6379/0    (or rediss:// for TLS)
    cache_mb = 1024      (optional: Redis memory for kept pictures, see shared/)

Its place: `$OBJECT_REMOVAL_CONFIG`, else `%APPDATA%\\comfyui-object-removal\\config.ini`
on Windows, else `$XDG_CONFIG_HOME/comfyui-object-removal/config.ini`
(`~/.config/...` by default).
"""

from __future__ import annotations

import configparser
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote as unquote_url
from urllib.parse import urlsplit

from .config_file import ConfigFile, log_once, read_config_file, unquote
from .errors import ObjectRemovalError

PACK_DIR_NAME = "comfyui-object-removal"

AILAB_DEFAULT_BASE_URL = "https://www.ailabapi.com"
MODELSLAB_DEFAULT_BASE_URL = "https://modelslab.com"
# How many calls (AILabTools) or queued jobs (ModelsLab) an account has in flight is
# learnt as the run goes (see concurrency.py), from a generous start up to a ceiling;
# the user's setting, if any, is the ceiling instead.
AILAB_START, AILAB_CEILING = 12, 32
MODELSLAB_START, MODELSLAB_CEILING = 10, 15  # ModelsLab plans queue 5, 10 or 15 jobs

# Memory the pack's pictures may take in a shared Redis when the user sets nothing.
SHARED_CACHE_MB = 1024

# Values people paste from docs instead of their key.
_PLACEHOLDER = re.compile(
    r"^(<.*>|\{.*\}|x+|\*+|\.+|changeme|change_me|replace[-_ ]?me|none|null|todo|"
    r".*your[-_ ]?(api[-_ ]?)?key.*|.*api[-_ ]?key[-_ ]?here.*)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ProviderConfig:
    """Where one provider lives and the key for it."""

    name: str
    section: str
    key_env: str
    base_url_env: str
    base_url: str
    config_path: Path
    api_key: str | None = field(default=None, repr=False)
    notes: tuple[str, ...] = ()
    """What in the config file may be why a setting is not what the user meant."""

    @property
    def key_hint(self) -> str:
        """Where the key is set, for messages that ask the user to check it."""
        return f"{self.key_env} (or [{self.section}] api_key in {self.config_path})"

    def require_key(self) -> str:
        """The key, or an error that says exactly where to put one."""
        if not self.api_key:
            notes = "".join(f" Note: {note}" for note in self.notes)
            raise ObjectRemovalError(
                f"no {self.name} API key is set. Set the environment variable {self.key_env} "
                f"(for the nodes, before starting ComfyUI), or put `api_key = ...` under "
                f"[{self.section}] in {self.config_path}. Keys are never taken from a "
                f"workflow.{notes}"
            )
        return self.api_key


@dataclass(frozen=True)
class SharedSettings:
    """The store several workers share (Redis): where it is and how much it may hold."""

    redis_url: str = field(repr=False)
    """May carry a password: never logged, shown or stored; `where` is what is shown."""
    where: str
    """scheme://host:port/db, without user or password."""
    cache_bytes: int
    """The most the pack's kept pictures (results and originals) take in Redis."""


@dataclass(frozen=True)
class Settings:
    """Everything the pack reads from outside the workflow."""

    ailab: ProviderConfig
    modelslab: ProviderConfig
    modelslab_queue_limit: int | None
    """The user's ceiling on queued ModelsLab jobs; None: learnt, up to MODELSLAB_CEILING."""
    ailab_concurrency: int | None
    """The user's ceiling on AILabTools calls at once; None: learnt, up to AILAB_CEILING."""
    cache_dir: Path
    config_path: Path
    budget: int | None = None
    """The most one run may spend (provider credits, or paid calls where a provider does
    not price in credits); None: no limit."""
    shared: SharedSettings | None = None
    """The store shared with other workers; None: this machine's own files only."""


def config_file_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the config file is looked for."""
    env = os.environ if environ is None else environ
    if env.get("OBJECT_REMOVAL_CONFIG"):
        return Path(env["OBJECT_REMOVAL_CONFIG"]).expanduser()
    if os.name == "nt" and env.get("APPDATA"):
        base = Path(env["APPDATA"])
    else:
        base = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / PACK_DIR_NAME / "config.ini"


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where paid-for results and submitted jobs are kept."""
    env = os.environ if environ is None else environ
    if env.get("OBJECT_REMOVAL_CACHE_DIR"):
        return Path(env["OBJECT_REMOVAL_CACHE_DIR"]).expanduser()
    if os.name == "nt" and env.get("LOCALAPPDATA"):
        return Path(env["LOCALAPPDATA"]) / PACK_DIR_NAME / "cache"
    return Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / PACK_DIR_NAME


def default_model_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where learned inpainting models are looked for and downloaded outside ComfyUI
    (inside it: ComfyUI's models/inpaint): `$OBJECT_REMOVAL_MODEL_DIR`, else the
    cache folder's `models`."""
    env = os.environ if environ is None else environ
    if env.get("OBJECT_REMOVAL_MODEL_DIR"):
        return Path(env["OBJECT_REMOVAL_MODEL_DIR"]).expanduser()
    return default_cache_dir(env) / "models"


def model_file_setting(variable: str, environ: Mapping[str, str] | None = None) -> Path | None:
    """The model file named by environment variable `variable`, if it is set."""
    env = os.environ if environ is None else environ
    value = env.get(variable, "").strip()
    return Path(value).expanduser() if value else None


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the environment and the config file; validate what was found."""
    env = os.environ if environ is None else environ
    path = config_file_path(env)
    parsed = read_config_file(path, explicit=bool(env.get("OBJECT_REMOVAL_CONFIG")))

    ailab = _provider(
        env, parsed, name="AILabTools", section="ailab",
        key_env="AILAB_API_KEY", base_url_env="AILAB_BASE_URL",
        default_base_url=AILAB_DEFAULT_BASE_URL,
    )
    modelslab = _provider(
        env, parsed, name="ModelsLab", section="modelslab",
        key_env="MODELSLAB_API_KEY", base_url_env="MODELSLAB_BASE_URL",
        default_base_url=MODELSLAB_DEFAULT_BASE_URL,
    )
    return Settings(
        ailab=ailab,
        modelslab=modelslab,
        modelslab_queue_limit=_int_setting(
            env, parsed, "MODELSLAB_QUEUE_LIMIT", "modelslab", "queue_limit", None, 1, 100,
        ),
        ailab_concurrency=_int_setting(
            env, parsed, "AILAB_CONCURRENCY", "ailab", "concurrency", None, 1, 64,
        ),
        budget=_int_setting(env, parsed, "OBJECT_REMOVAL_BUDGET", "run", "budget", None,
                            0, 10**9),
        cache_dir=default_cache_dir(env),
        config_path=path,
        shared=_shared(env, parsed),
    )


def normalize_base_url(url: str, setting: str) -> str:
    """`scheme://host[:port]` or an error naming the setting.

    Keys travel to this origin, so it must be https unless it is this machine
    (the provider emulator), and it may carry no path, credentials or query:
    the documented paths are appended to it.
    """
    raw = url.strip().rstrip("/")
    shown = _without_password(raw)  # what an error may repeat of it
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise ObjectRemovalError(f"{setting} is not a valid URL ({exc}).") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ObjectRemovalError(
            f"{setting} must look like https://host[:port], got {shown!r}."
        )
    if parts.username or parts.password or parts.query or parts.fragment or parts.path:
        raise ObjectRemovalError(
            f"{setting} must be only scheme, host and port (https://host[:port]); "
            f"the pack appends the documented paths itself. Got {shown!r}."
        )
    host = parts.hostname.lower()
    if parts.scheme == "http" and not is_loopback_host(host):
        raise ObjectRemovalError(
            f"{setting} uses plain http for {host}: keys would travel unencrypted. "
            "Use https (plain http is allowed only for 127.0.0.1/localhost, e.g. the "
            "provider emulator)."
        )
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return f"{parts.scheme}://{netloc}"


def _without_password(url: str) -> str:
    """`url` with any password in it (scheme://user:password@host) shown as ***."""
    return re.sub(r"(//[^/?#@:]*:)[^/?#@]*@", r"\1***@", url)


def _shared(env: Mapping[str, str], parsed: ConfigFile) -> SharedSettings | None:
    url = (unquote((env.get("OBJECT_REMOVAL_REDIS_URL") or "").strip(),
                   "OBJECT_REMOVAL_REDIS_URL", parsed, "shared")
           or parsed.value("shared", "redis_url"))
    if not url:
        return None
    megabytes = _int_setting(env, parsed, "OBJECT_REMOVAL_REDIS_CACHE_MB", "shared", "cache_mb",
                             SHARED_CACHE_MB, 16, 10**7)
    where = redis_where(url)
    parts = urlsplit(url)
    if parts.scheme == "redis" and parts.password and not is_loopback_host(parts.hostname or ""):
        log_once(f"the shared store's password travels unencrypted to {parts.hostname} "
                 "(redis://): use rediss:// (TLS) across a network.")
    return SharedSettings(url, where, (megabytes or SHARED_CACHE_MB) * 1024 * 1024)


def redis_where(url: str) -> str:
    """`scheme://host:port/db` of a Redis URL (never its user or password), or an error
    naming the setting."""
    setting = "OBJECT_REMOVAL_REDIS_URL (or [shared] redis_url)"
    try:
        parts = urlsplit(url)
        scheme, host, port = parts.scheme, parts.hostname, parts.port or 6379
    except ValueError:
        scheme = host = None
    if scheme not in ("redis", "rediss") or not host:
        raise ObjectRemovalError(
            f"{setting} must look like redis://[:password@]host[:port][/db] (or rediss:// for "
            "TLS); it is not a Redis URL. Fix or remove it: without it each worker keeps "
            "its own stores."
        )
    database = parts.path.strip("/") or "0"
    if not database.isdigit():
        raise ObjectRemovalError(f"{setting}: the part after the port must be a database "
                                 "number (e.g. /0).")
    netloc = f"[{host}]" if ":" in host else host
    return f"{scheme}://{netloc}:{port}/{database}"


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _provider(
    env: Mapping[str, str],
    parsed: ConfigFile,
    *,
    name: str,
    section: str,
    key_env: str,
    base_url_env: str,
    default_base_url: str,
) -> ProviderConfig:
    path = parsed.path
    key = unquote((env.get(key_env) or "").strip(), key_env, parsed, section)
    key = key or parsed.value(section, "api_key")
    if key and _PLACEHOLDER.match(key):
        raise ObjectRemovalError(
            f"the {name} API key ({key_env} or [{section}] api_key in {path}) looks like a "
            "placeholder, not a real key. Paste the key from your provider dashboard."
        )
    base_url_raw = (
        unquote((env.get(base_url_env) or "").strip(), base_url_env, parsed, section)
        or parsed.value(section, "base_url")
        or default_base_url
    )
    return ProviderConfig(
        name=name,
        section=section,
        key_env=key_env,
        base_url_env=base_url_env,
        base_url=normalize_base_url(base_url_raw, base_url_env),
        config_path=path,
        api_key=key or None,
        notes=tuple(parsed.notes_for(section)),
    )


def _int_setting(
    env: Mapping[str, str],
    parsed: ConfigFile,
    env_name: str,
    section: str,
    option: str,
    default: int | None,
    low: int,
    high: int,
) -> int | None:
    raw = (env.get(env_name) or "").strip() or parsed.value(section, option)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ObjectRemovalError(
            f"{env_name} (or [{section}] {option} in {parsed.path}) must be a whole number "
            f"from {low} to {high}, got {raw!r}."
        )
    return value


def known_secrets(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Every key the pack might hold, for redaction; never raises.

    Used on the error path, where the settings themselves may be what failed.
    """
    env = os.environ if environ is None else environ
    found = [env.get("AILAB_API_KEY", ""), env.get("MODELSLAB_API_KEY", ""),
             redis_password(env.get("OBJECT_REMOVAL_REDIS_URL", ""))]
    try:
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(config_file_path(env), encoding="utf-8")
        found += [parser.get(s, "api_key", fallback="") for s in parser.sections()]
        found.append(redis_password(parser.get("shared", "redis_url", fallback="")))
    except Exception:
        pass
    # With and without the quotes a user may have written around them.
    keys = {key.strip() for key in found if key and key.strip()}
    return tuple(keys | {k[1:-1].strip() for k in keys if len(k) > 2 and k[0] in "\"'"})


def redis_password(url: str) -> str:
    """The password in a Redis URL, for redaction; "" if none."""
    try:
        parts = urlsplit(url.strip().strip("\"'"))
        return unquote_url(parts.password or "")
    except ValueError:
        return ""
