#!/usr/bin/env bash
# Makes the Python virtual environment of the interop checks (interop/python/): torch (CPU is
# enough), transformers, safetensors, numpy — and with --onnx also onnx, onnxscript, onnxruntime —
# installed through this machine's pip configuration (an offline wheel mirror works). Idempotent:
# a venv whose stamp matches the requirement files is reused in about a second.
#
# usage:  bash scripts/interop/setup-venv.sh [--onnx]
# stdout: one line, the last one:
#           INTEROP_PYTHON=<path of the venv's python>     ready
#           INTEROP_SKIP=<reason>                          python3, venv or the wheels are missing
# env:    TFORMER_INTEROP_VENV  where the venv goes (default <repo>/.venv-interop, gitignored)
# exit:   0 ready or skipped (the reason on stdout and stderr); 1 an install that could run failed
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv=${TFORMER_INTEROP_VENV:-$repo/.venv-interop}
log() { printf 'setup-venv: %s\n' "$*" >&2; }
skip() { log "SKIPPED: $*"; echo "INTEROP_SKIP=$*"; exit 0; }
reqs=("$repo/interop/python/requirements.txt")
for arg in "$@"; do
  case $arg in
    --onnx) reqs+=("$repo/interop/python/requirements-onnx.txt") ;;
    -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}" >&2; exit 0 ;;
    *) log "unknown argument '$arg' (expected --onnx)"; exit 2 ;;
  esac
done

py=$(command -v python3) || skip "python3 is not on PATH"
"$py" -c 'import sys; sys.exit(sys.version_info < (3, 9))' || skip "python3 is older than 3.9"
stamp=$( (cat "${reqs[@]}"; "$py" --version) | sha256sum | cut -c1-16)
if [[ -x $venv/bin/python && -f $venv/.tformer-stamp ]] && grep -qx "$stamp" "$venv/.tformer-stamp" \
  && "$venv/bin/python" -c 'import importlib.util as u, sys
sys.exit(any(u.find_spec(m) is None for m in ("torch", "transformers", "safetensors")))' 2>/dev/null; then
  echo "INTEROP_PYTHON=$venv/bin/python"
  exit 0
fi
if [[ ! -x $venv/bin/python ]]; then
  "$py" -m venv "$venv" >&2 2>/dev/null \
    || { rm -rf "$venv"; skip "python3 -m venv failed (on Debian: apt-get install python3-venv)"; }
fi
args=()
for r in "${reqs[@]}"; do args+=(-r "$r"); done
log "installing into $venv: $(grep -hv '^#' "${reqs[@]}" | tr '\n' ' ')"
out=$(mktemp)
# One retry and a short timeout: with an offline mirror, an unreachable default index must fail
# fast instead of backing off for minutes per package.
if ! "$venv/bin/pip" install --disable-pip-version-check --retries 1 --timeout 15 -q "${args[@]}" \
  >"$out" 2>&1; then
  tail -5 "$out" >&2
  if grep -qE 'No matching distribution|Could not find a version' "$out"; then
    reason=$(grep -m1 -oE '(No matching distribution|Could not find a version)[^)]*' "$out")
    rm -f "$out"
    skip "pip cannot find the wheels here: $reason"
  fi
  rm -f "$out"
  log "pip install failed (see above)"
  exit 1
fi
rm -f "$out"
echo "$stamp" >"$venv/.tformer-stamp"
echo "INTEROP_PYTHON=$venv/bin/python"
