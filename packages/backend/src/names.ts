/** The backends this package can start, by the names users type. */
export const BACKEND_NAMES = ['cpu', 'wasm', 'node', 'node-gpu', 'webgpu', 'webgl'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type BackendChoice = BackendName | 'auto';
/** Everything `selectBackend`, `--backend` and `TFORMER_BACKEND` accept. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', ...BACKEND_NAMES];

/**
 * The order `auto` tries, fastest first where each starts: CUDA (only with a CUDA device), WebGPU
 * (only with a hardware adapter), libtensorflow, wasm SIMD, then plain JS, which always starts.
 * webgl is never picked by `auto`; ask for it by name.
 */
export const AUTO_ORDER: readonly BackendName[] = ['node-gpu', 'webgpu', 'node', 'wasm', 'cpu'];

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
