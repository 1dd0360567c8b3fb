"""Which providers have a key, for the front end's warning before a run is queued.

It says only whether a key is set and where to set one: never a key, nor any part
of one. Settings are read afresh each time, so a key added to the config file shows
without restarting ComfyUI.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .config import ProviderConfig, Settings, known_secrets, load_settings
from .errors import ObjectRemovalError, redact
from .providers.registry import MASK_PROVIDERS

TEXT_REMOVAL_LABEL = "ModelsLab Interior object removal"


def key_report(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """{"mask_providers": {choice: entry}, "modelslab": entry} or, when the settings
    themselves are broken, {"error": what to fix}.

    An entry is {"label", "needs_key", "has_key"} plus "how" (where to set the key)
    when a key is needed.
    """
    try:
        settings = load_settings(environ)
    except ObjectRemovalError as exc:
        return {"error": redact(str(exc), known_secrets(environ))}
    return {
        "mask_providers": {
            spec.name: _entry(spec.label, _config_for(settings, spec.key_setting))
            for spec in MASK_PROVIDERS
        },
        "modelslab": _entry(TEXT_REMOVAL_LABEL, settings.modelslab),
    }


def _config_for(settings: Settings, key_setting: str | None) -> ProviderConfig | None:
    if key_setting is None:
        return None
    for config in (settings.ailab, settings.modelslab):
        if config.key_env == key_setting:
            return config
    raise RuntimeError(f"no provider settings read {key_setting}")


def _entry(label: str, config: ProviderConfig | None) -> dict[str, Any]:
    if config is None:
        return {"label": label, "needs_key": False, "has_key": False}
    return {"label": label, "needs_key": True, "has_key": bool(config.api_key),
            "how": f"set {config.key_hint}, then refresh this page"}
