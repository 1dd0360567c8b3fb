"""Writes the front end's texts for the nodes: locales/en/*.json and the help pages
js/docs/<Node>.md and js/docs/<Node>/en.md.

Run from the repo root after changing a node's description, inputs or outputs, or the
providers; `--check` only says whether the files are up to date (exit code 1 if not).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scripts.node_texts import help_pages, main_locale, node_defs_locale  # noqa: E402


def rendered() -> dict[str, str]:
    """{path relative to the repo: text}."""
    files = {
        "locales/en/nodeDefs.json": node_defs_locale(),
        "locales/en/main.json": main_locale(),
    }
    texts = {path: json.dumps(data, indent=2, ensure_ascii=False) + "\n"
             for path, data in files.items()}
    texts.update(help_pages())
    return texts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    args = parser.parse_args()
    stale = []
    for relative, text in rendered().items():
        path = REPO / relative
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(relative)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    verb = "out of date" if args.check else "written"
    print("\n".join(f"{verb}: {p}" for p in stale) or "all up to date")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
