import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError, InvalidBackendOptionError } from './errors.js';
import { importOptional, isNode } from './runtime.js';

/** What the wasm backend runs with once started. */
export interface WasmInfo {
  simd: boolean;
  threads: number;
  /** Where the `.wasm` binaries were loaded from. */
  wasmDir: string;
}

/**
 * Threads the wasm backend uses when the caller does not say: tfjs disables the threaded build in
 * Node, so 1 there. In browsers with cross-origin isolation, half the cores up to 4: the threaded
 * build gave 1.3–2× on 512–1024 matmuls with 2 threads here and nothing on small products, and
 * tfjs itself caps at cores/2.
 */
export function defaultWasmThreads(): number {
  if (isNode()) return 1;
  const g = globalThis as {
    crossOriginIsolated?: boolean;
    navigator?: { hardwareConcurrency?: number };
  };
  if (!g.crossOriginIsolated) return 1;
  return Math.max(1, Math.min(4, Math.floor((g.navigator?.hardwareConcurrency ?? 2) / 2)));
}

/**
 * Starts the wasm backend from the `.wasm` binaries of the installed
 * `@tensorflow/tfjs-backend-wasm` package: no network, no CDN. In Node the directory comes from
 * module resolution; in a browser bundle the caller passes `wasmPaths` (the URL prefix where the
 * app serves the package's `dist/*.wasm`, e.g. Vite's `?url` imports) or the files sit beside the
 * bundle.
 */
export async function startWasm(
  opts: { threads?: number; wasmPaths?: string } = {},
): Promise<WasmInfo> {
  const threads = opts.threads ?? defaultWasmThreads();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new InvalidBackendOptionError('wasmThreads', 'an integer ≥ 1', threads);
  }
  if (threads > 1 && isNode()) {
    throw new BackendUnavailableError(
      'wasm',
      `wasmThreads=${threads} asked for, but tfjs-backend-wasm 4.22 runs single-threaded in Node (its thread ` +
        'pool needs blob: workers, which worker_threads rejects)',
      "omit wasmThreads (1 thread with SIMD), or use the 'node' backend for multi-core speed",
    );
  }
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  let wasmDir = opts.wasmPaths ?? '';
  if (!opts.wasmPaths && isNode()) {
    // Through importOptional: a browser bundle never sees these Node-only imports.
    const { createRequire } = await importOptional<typeof import('node:module')>('node:module');
    const path = await importOptional<typeof import('node:path')>('node:path');
    const require = createRequire(import.meta.url);
    // The package's `main` lives in dist/, beside its three .wasm builds.
    wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep;
  }
  // tfjs-backend-wasm accepts paths and threads only before its first initialisation.
  const initialized = Boolean(
    (tf.engine() as unknown as { registry: Record<string, unknown> }).registry.wasm,
  );
  if (!initialized) {
    if (wasmDir) wasm.setWasmPaths(wasmDir);
    if (threads > 1) wasm.setThreadsCount(threads);
  } else if (opts.threads !== undefined && opts.threads !== wasm.getThreadsCount()) {
    throw new BackendUnavailableError(
      'wasm',
      `already running with ${wasm.getThreadsCount()} thread(s); wasmThreads=${opts.threads} can only be set ` +
        'before the first wasm start in a process',
    );
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  return { simd, threads: wasm.getThreadsCount(), wasmDir: wasmDir || '(beside the bundle)' };
}
