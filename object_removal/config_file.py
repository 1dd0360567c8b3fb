"""Reading the config file, and saying what in it cannot be what the user meant.

Unknown sections or options, a section name in the wrong case, an option that is
one typo from a known one, a configured file that does not exist, a key written
in quotes, and a file holding keys that others may read: each gets a note that
names the place and the fix. Notes never contain a key. They are logged once, and
the "no key is set" error repeats the ones about its own section, since they are
usually why.
"""

from __future__ import annotations

import configparser
import difflib
import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ObjectRemovalError

log = logging.getLogger(__name__)

# Every section and option the pack reads.
KNOWN_OPTIONS: dict[str, frozenset[str]] = {
    "ailab": frozenset({"api_key", "base_url", "concurrency"}),
    "modelslab": frozenset({"api_key", "base_url", "queue_limit"}),
    "run": frozenset({"budget"}),
    "shared": frozenset({"redis_url", "cache_mb"}),
}
_QUOTES = ("\"", "'")
_logged: set[str] = set()


@dataclass
class ConfigFile:
    """The parsed file (empty when there is none) and the notes about it."""

    path: Path
    parser: configparser.ConfigParser
    notes: list[tuple[str | None, str]] = field(default_factory=list)
    """(section the note is about, or None for the whole file; the note)."""

    def value(self, section: str, option: str) -> str:
        """An option's value, stripped, with surrounding quotes removed (and noted)."""
        raw = self.parser.get(section, option, fallback="").strip()
        return unquote(raw, f"[{section}] {option} in {self.path}", self, section)

    def notes_for(self, section: str) -> list[str]:
        return [note for where, note in self.notes if where in (section, None)]


def read_config_file(path: Path, *, explicit: bool) -> ConfigFile:
    """Parse `path`; `explicit` when the user named it (OBJECT_REMOVAL_CONFIG)."""
    # No interpolation: a key may contain '%'.
    parsed = ConfigFile(path, configparser.ConfigParser(interpolation=None))
    if not path.is_file():
        if explicit:
            parsed.notes.append((None, f"the config file {path} (set by OBJECT_REMOVAL_CONFIG) "
                                       "does not exist."))
        _log(parsed)
        return parsed
    try:
        parsed.parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ObjectRemovalError(
            f"the config file {path} could not be read: {type(exc).__name__}. "
            "It is an INI file with [ailab], [modelslab], [run] and [shared] sections."
        ) from None
    _check_layout(parsed)
    _check_privacy(parsed)
    _log(parsed)
    return parsed


def unquote(value: str, where: str, parsed: ConfigFile | None, section: str | None) -> str:
    """`value` without one pair of surrounding quotes, which no key or URL contains."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in _QUOTES:
        note = f"{where} is written in quotes; they were removed (write it without them)."
        if parsed is not None and (section, note) not in parsed.notes:
            parsed.notes.append((section, note))
            _log(parsed)
        elif parsed is None:
            log_once(note)
        return value[1:-1].strip()
    return value


def _check_layout(parsed: ConfigFile) -> None:
    for section in parsed.parser.sections():
        if section not in KNOWN_OPTIONS:
            meant = section.lower() if section.lower() in KNOWN_OPTIONS else None
            if meant:
                parsed.notes.append((meant, f"section [{section}] in {parsed.path} is not read: "
                                            f"section names are lower case, [{meant}]."))
            else:
                parsed.notes.append((None, f"unknown section [{section}] in {parsed.path}; the "
                                           f"pack reads {_listed(KNOWN_OPTIONS)}."))
            continue
        for option in parsed.parser.options(section):
            if option in KNOWN_OPTIONS[section]:
                continue
            close = difflib.get_close_matches(option, KNOWN_OPTIONS[section], n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else (
                f"; [{section}] takes {', '.join(sorted(KNOWN_OPTIONS[section]))}.")
            parsed.notes.append((section, f"unknown option {option} in [{section}] of "
                                          f"{parsed.path}{hint}"))


def _check_privacy(parsed: ConfigFile) -> None:
    holds_keys = any(parsed.parser.get(s, "api_key", fallback="").strip()
                     for s in KNOWN_OPTIONS if parsed.parser.has_section(s))
    holds_keys = holds_keys or "@" in parsed.parser.get("shared", "redis_url", fallback="")
    if not holds_keys or os.name == "nt":
        return
    try:
        mode = parsed.path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        parsed.notes.append((None, f"the config file {parsed.path} holds API keys (or a "
                                   "password) and others on this machine may read it; run: "
                                   f"chmod 600 {parsed.path}"))


def _listed(known: dict[str, frozenset[str]]) -> str:
    return " and ".join(f"[{name}]" for name in known)


def _log(parsed: ConfigFile) -> None:
    for _, note in parsed.notes:
        log_once(note)


def log_once(note: str) -> None:
    if note not in _logged:
        _logged.add(note)
        log.warning("comfyui-object-removal: %s", note)
