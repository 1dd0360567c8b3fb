#!/usr/bin/env bash
# Set up what the browser checks (tests/test_comfyui_browser.py) need besides Chromium,
# and say where it is.
#
#   scripts/browser_for_tests.sh
#
# - playwright-core (npm, pinned) in <cache>/browser-tools, for scripts/browser_checks.mjs;
# - the newest ComfyUI front end from PyPI (comfyui-frontend-package, pinned), unpacked
#   in <cache>/front-end-<version>, for ComfyUI's --front-end-root.
# Both stay in the cache folder ($OBJECT_REMOVAL_CI_CACHE, default
# ~/.cache/comfyui-object-removal-ci), so a second run only checks them. Chromium itself
# is Debian's `chromium` package (apt-get install chromium; .ci/run installs it).
#
# Prints two lines for the tests, to be exported:
#   OBJECT_REMOVAL_BROWSER_TOOLS=<folder holding node_modules/playwright-core>
#   COMFYUI_FRONT_ENDS=<version>=<folder holding index.html>
# Env: PYTHON (default python3), for pip download.
set -euo pipefail
PLAYWRIGHT_CORE=1.65.1
FRONT_END=1.58.1
CACHE=${OBJECT_REMOVAL_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/comfyui-object-removal-ci}
PYTHON=${PYTHON:-python3}

tools="$CACHE/browser-tools"
if [[ "$(cat "$tools/node_modules/playwright-core/package.json" 2>/dev/null \
         | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["version"])' 2>/dev/null)" \
      != "$PLAYWRIGHT_CORE" ]]; then
  echo "browser_for_tests: installing playwright-core $PLAYWRIGHT_CORE in $tools" >&2
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --no-save \
    "playwright-core@$PLAYWRIGHT_CORE" >&2
fi

front_end="$CACHE/front-end-$FRONT_END"
static="$front_end/comfyui_frontend_package/static"
if [[ ! -f "$static/index.html" ]]; then
  echo "browser_for_tests: downloading comfyui-frontend-package $FRONT_END" >&2
  rm -rf "$front_end" && mkdir -p "$front_end"
  "$PYTHON" -m pip download --quiet --no-deps --dest "$front_end" \
    "comfyui-frontend-package==$FRONT_END" 2>&1 | { grep -v "is neither a file" >&2 || true; }
  "$PYTHON" -m zipfile -e "$front_end"/comfyui_frontend_package-"$FRONT_END"-*.whl "$front_end"
  rm -f "$front_end"/*.whl
fi
[[ -f "$static/index.html" ]] || { echo "browser_for_tests: no $static/index.html" >&2; exit 1; }

echo "OBJECT_REMOVAL_BROWSER_TOOLS=$tools"
echo "COMFYUI_FRONT_ENDS=$FRONT_END=$static"
