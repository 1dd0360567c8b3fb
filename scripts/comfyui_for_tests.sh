#!/usr/bin/env bash
# Set up the real ComfyUIs the integration tests run the pack in, and say where they are.
#
#   scripts/comfyui_for_tests.sh [VERSION ...]      (default: 0.3.64 0.33.0)
#
# For each version: ComfyUI from ../shared/comfyui/snapshots/ComfyUI-<version>.tar.gz,
# built by ../shared/comfyui/comfy_setup.sh (CPU torch pinned), plus the pack's own
# requirements.txt in its venv, as ComfyUI-Manager installs them. Everything lives in
# a cache folder kept between runs ($OBJECT_REMOVAL_CI_CACHE, default
# ~/.cache/comfyui-object-removal-ci), so a second run only checks it.
#
# Prints one line for the tests, to be exported:
#   COMFYUI_TARGETS=0.3.64=<dir>:<venv>;0.33.0=<dir>:<venv>
# Env: OBJECT_REMOVAL_SHARED (default ../shared, else /work/shared).
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
VERSIONS=("$@")
[[ ${#VERSIONS[@]} -gt 0 ]] || VERSIONS=(0.3.64 0.33.0)
CACHE=${OBJECT_REMOVAL_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/comfyui-object-removal-ci}
SHARED=${OBJECT_REMOVAL_SHARED:-}
if [[ -z "$SHARED" ]]; then
  for candidate in "$HERE/../shared" /work/shared; do
    [[ -d "$candidate/comfyui" ]] && SHARED=$(cd "$candidate" && pwd) && break
  done
fi
[[ -n "$SHARED" && -f "$SHARED/comfyui/comfy_setup.sh" ]] || {
  echo "comfyui_for_tests: no shared/comfyui with comfy_setup.sh (set OBJECT_REMOVAL_SHARED)" >&2
  exit 2
}
mkdir -p "$CACHE"
targets=()
for version in "${VERSIONS[@]}"; do
  snapshot="$SHARED/comfyui/snapshots/ComfyUI-$version.tar.gz"
  [[ -f "$snapshot" ]] || { echo "comfyui_for_tests: no snapshot $snapshot" >&2; exit 2; }
  dir="$CACHE/comfyui-$version"
  venv="$CACHE/venv-$version"
  stamp="$venv/.object-removal-ready"
  want="$(sha256sum "$snapshot" "$HERE/requirements.txt" | sha256sum | cut -c1-16)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -f "$dir/main.py" ]]; then
    echo "comfyui_for_tests: ComfyUI $version ready (cached in $CACHE)" >&2
  else
    echo "comfyui_for_tests: setting up ComfyUI $version in $CACHE" >&2
    bash "$SHARED/comfyui/comfy_setup.sh" "$snapshot" "$dir" "$venv" >&2
    "$venv/bin/python" -m pip install -q -r "$HERE/requirements.txt" \
      -c "$venv/harness-constraints.txt" 2>&1 | { grep -v "is neither a file" >&2 || true; }
    echo "$want" > "$stamp"
  fi
  targets+=("$version=$dir:$venv")
done
(IFS=';'; echo "COMFYUI_TARGETS=${targets[*]}")
