/** The backends this package can start, by the names users type. */
export const BACKEND_NAMES = ['cpu', 'wasm', 'node', 'node-gpu', 'webgpu', 'webgl'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type BackendChoice = BackendName | 'auto';
/** Everything `selectBackend`, `--backend` and `TFORMER_BACKEND` accept. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', ...BACKEND_NAMES];

/**
 * The order `auto` tries in Node, fastest first where each starts: CUDA (only with a CUDA device),
 * WebGPU (only with a hardware adapter), libtensorflow, wasm SIMD, then plain JS, which always
 * starts. webgl does not exist in Node.
 */
export const AUTO_ORDER: readonly BackendName[] = ['node-gpu', 'webgpu', 'node', 'wasm', 'cpu'];

/**
 * The order `auto` tries in browsers and workers: WebGPU and WebGL (each only on a hardware GPU:
 * a software adapter or renderer such as SwiftShader or llvmpipe is slower than wasm), wasm SIMD,
 * then plain JS. tfjs-node does not exist there, so it is not listed.
 */
export const BROWSER_AUTO_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** The order `auto` tries in a runtime: {@link AUTO_ORDER} in Node, {@link BROWSER_AUTO_ORDER} elsewhere. */
export function autoOrderFor(runtime: 'node' | 'browser'): readonly BackendName[] {
  return runtime === 'node' ? AUTO_ORDER : BROWSER_AUTO_ORDER;
}

/** tfjs's registry name for each of ours. */
export const TFJS_NAMES: Record<BackendName, string> = {
  cpu: 'cpu',
  wasm: 'wasm',
  node: 'tensorflow',
  'node-gpu': 'tensorflow',
  webgpu: 'webgpu',
  webgl: 'webgl',
};

export function isBackendChoice(value: string): value is BackendChoice {
  return (BACKEND_CHOICES as readonly string[]).includes(value);
}
