#!/usr/bin/env bash
# Prepares the optional tfjs backends that need something outside npm, so that the test suite can
# run on them, and prints which backends the tests should use and require:
#   webgpu  Debian's Mesa EGL/OpenGL packages, for Dawn's software adapter (llvmpipe) in Node
#   node    tfjs-node's native addon, linked against the libtensorflow of a local TensorFlow wheel
#           (../shared/tools/tfjs-node-offline.sh beside the clone; skipped when absent)
# Idempotent and fast when everything is already there. Run after `pnpm install`.
#
# usage:  eval "$(bash scripts/setup-backends.sh)"            # CI: exports the two variables below
#         bash scripts/setup-backends.sh [--webgpu] [--node]   # only those parts (default: both)
# stdout: export TFORMER_TEST_BACKENDS=cpu,wasm[,node]          every package's suites run on these
#         export TFORMER_REQUIRE_BACKENDS=cpu,wasm[,node][,webgpu]  must start (else the tests fail)
# env:    TFJS_NODE_OFFLINE  path of tfjs-node-offline.sh (default: <repo>/../shared/tools/…)
# exit:   0 done (parts that cannot be prepared here are skipped, with the reason on stderr);
#         1 a part that could be prepared failed
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pkg=$repo/packages/backend
log() { printf 'setup-backends: %s\n' "$*" >&2; }
want_webgpu=0 want_node=0
for arg in "$@"; do
  case $arg in
    --webgpu) want_webgpu=1 ;;
    --node) want_node=1 ;;
    -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" >&2; exit 0 ;;
    *) log "unknown argument '$arg' (expected --webgpu, --node)"; exit 2 ;;
  esac
done
((want_webgpu || want_node)) || want_webgpu=1 want_node=1
[[ -d $pkg/node_modules ]] || { log "no $pkg/node_modules: run pnpm install first"; exit 1; }
test_backends=cpu,wasm require_backends=cpu,wasm status=0

# --- webgpu: Mesa EGL + OpenGL for Dawn's backend=opengl ------------------------------------------
debs=(libegl1 libegl-mesa0 libgl1-mesa-dri libgbm1)
webgpu_probe() {
  # Same adapter request as @tformer/backend's webgpu start in Node.
  (cd "$pkg" && EGL_PLATFORM=${EGL_PLATFORM:-surfaceless} timeout 60 node --input-type=module -e "
    const { create } = await import('webgpu');
    const adapter = await create(['backend=opengl']).requestAdapter({ featureLevel: 'compatibility' });
    if (!adapter) { console.error('no adapter'); process.exit(1); }
    console.log(adapter.info.device || adapter.info.description);" 2>/dev/null)
}
if ((want_webgpu)); then
  missing=() skipped=''
  if command -v dpkg-query >/dev/null; then
    for d in "${debs[@]}"; do
      dpkg-query -W -f='${Status}' "$d" 2>/dev/null | grep -q 'install ok installed' || missing+=("$d")
    done
  fi
  if ((${#missing[@]})); then
    if [[ $(id -u) != 0 ]]; then
      skipped="needs ${missing[*]} and this is not root (sudo apt-get install -y ${missing[*]})"
    elif ! command -v apt-get >/dev/null; then
      skipped="needs ${missing[*]} and there is no apt-get"
    else
      log "webgpu: installing ${missing[*]}"
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}"; } >&2 || { log "webgpu: apt-get install failed"; status=1; }
    fi
  fi
  if adapter=$(webgpu_probe); then
    log "webgpu: ok, adapter $adapter"
    require_backends+=,webgpu
  elif [[ -n $skipped ]]; then
    log "webgpu: skipped: $skipped"
  else
    log "webgpu: no adapter from Dawn (backend=opengl, EGL_PLATFORM=surfaceless) although Mesa is installed"
    status=1
  fi
fi

# --- node: tfjs-node's addon against a local TensorFlow wheel -------------------------------------
node_loads() { (cd "$pkg" && timeout 120 node -e "require('@tensorflow/tfjs-node')" >/dev/null 2>&1); }
if ((want_node)); then
  tool=${TFJS_NODE_OFFLINE:-$repo/../shared/tools/tfjs-node-offline.sh}
  if node_loads; then
    log "node: ok, tfjs-node loads (already linked)"
    test_backends+=,node require_backends+=,node
  elif [[ ! -f $tool ]]; then
    log "node: skipped: $tool is absent (no local TensorFlow wheel tooling on this machine)"
  else
    bash "$tool" "$repo" >&2
    case $? in
      0) if node_loads; then
           log "node: ok, tfjs-node linked against the local libtensorflow"
           test_backends+=,node require_backends+=,node
         else
           log "node: linked, but @tensorflow/tfjs-node still does not load"; status=1
         fi ;;
      3) log "node: skipped: no TensorFlow CPU wheel to be had here" ;;
      4) log "node: skipped: @tensorflow/tfjs-node is not installed" ;;
      *) log "node: $tool failed"; status=1 ;;
    esac
  fi
fi

echo "export TFORMER_TEST_BACKENDS=$test_backends"
echo "export TFORMER_REQUIRE_BACKENDS=$require_backends"
exit $status
