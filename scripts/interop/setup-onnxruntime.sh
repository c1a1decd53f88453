#!/usr/bin/env bash
# Installs onnxruntime-node (the ONNX check's runtime) outside the workspace, in a gitignored
# folder, with `npm install --ignore-scripts`: its install script downloads extra binaries (CUDA
# providers) from outside the npm registry, which fails offline; the CPU binaries ship inside the
# package and work without it. Idempotent.
#
# usage:  bash scripts/interop/setup-onnxruntime.sh
# stdout: the last line is ONNXRUNTIME_NODE=<package dir> (ready) or ONNX_SKIP=<reason>
# env:    TFORMER_ONNXRUNTIME_PREFIX  where it goes (default <repo>/.onnxruntime-node)
# exit:   0 ready or skipped; 1 an install that could run failed
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
prefix=${TFORMER_ONNXRUNTIME_PREFIX:-$repo/.onnxruntime-node}
version=1.30
pkg=$prefix/node_modules/onnxruntime-node
log() { printf 'setup-onnxruntime: %s\n' "$*" >&2; }
skip() { log "SKIPPED: $*"; echo "ONNX_SKIP=$*"; exit 0; }
command -v npm >/dev/null || skip "npm is not on PATH"
probe() { (cd "$prefix" && node -e "require('onnxruntime-node')" 2>/dev/null); }
if [[ -d $pkg ]] && grep -q "\"version\": \"$version" "$pkg/package.json" && probe; then
  echo "ONNXRUNTIME_NODE=$pkg"
  exit 0
fi
mkdir -p "$prefix"
log "npm install --ignore-scripts onnxruntime-node@$version into $prefix"
if ! npm install --ignore-scripts --no-audit --no-fund --prefix "$prefix" "onnxruntime-node@$version" >&2; then
  skip "npm could not install onnxruntime-node@$version (offline registry?)"
fi
probe || { log "onnxruntime-node installed but does not load (no CPU binary for $(uname -sm)?)"; exit 1; }
echo "ONNXRUNTIME_NODE=$pkg"
