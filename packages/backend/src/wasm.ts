import * as tf from '@tensorflow/tfjs-core';

/**
 * Starts the wasm backend from the `.wasm` binaries of the installed
 * `@tensorflow/tfjs-backend-wasm` package: no network, no CDN.
 */
export async function startWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (typeof process !== 'undefined' && process.versions?.node) {
    const { createRequire } = await import('node:module');
    const path = await import('node:path');
    const require = createRequire(import.meta.url);
    // The package's `main` lives in dist/, beside its three .wasm builds.
    const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    wasm.setWasmPaths(dir + path.sep);
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
}
