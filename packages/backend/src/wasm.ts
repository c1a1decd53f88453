import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError, errorMessage, InvalidBackendOptionError } from './errors.js';
import { importOptional, isNode } from './runtime.js';
import { bundledWasmPaths, WASM_BINARIES, type WasmBinary } from './wasm-assets.js';

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

/** Where the wasm binaries are: a URL prefix (directory) or one URL per binary file name. */
export type WasmPaths = string | Partial<Record<WasmBinary, string>>;

/**
 * Starts the wasm backend from the `.wasm` binaries of `@tensorflow/tfjs-backend-wasm` 4.22: no
 * network, no CDN. In Node they come from the installed package (module resolution). In browsers,
 * from the copies this package ships in `dist/wasm/` (see `wasm-assets.ts`; bundlers that handle
 * `new URL('…', import.meta.url)` emit them as assets) unless the caller passes `wasmPaths`: a URL
 * prefix where the app serves the files, or a map from file name to URL.
 */
export async function startWasm(
  opts: { threads?: number; wasmPaths?: WasmPaths } = {},
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
  const paths = await resolveWasmPaths(opts.wasmPaths);
  // tfjs-backend-wasm accepts paths and threads only before its first initialisation.
  const initialized = Boolean(
    (tf.engine() as unknown as { registry: Record<string, unknown> }).registry.wasm,
  );
  if (!initialized) {
    try {
      if (paths.value) wasm.setWasmPaths(paths.value as string | Record<WasmBinary, string>);
    } catch (error) {
      // tfjs refuses new paths after a failed start in this page ("already initialized").
      throw new BackendUnavailableError(
        'wasm',
        `an earlier wasm start in this page failed, and tfjs-backend-wasm takes no new paths after that: ${errorMessage(error)}`,
        'reload the page with wasmPaths set on the first selectBackend call',
      );
    }
    if (threads > 1) wasm.setThreadsCount(threads);
  } else if (opts.threads !== undefined && opts.threads !== wasm.getThreadsCount()) {
    throw new BackendUnavailableError(
      'wasm',
      `already running with ${wasm.getThreadsCount()} thread(s); wasmThreads=${opts.threads} can only be set ` +
        'before the first wasm start in a process',
    );
  }
  if (!(await tf.setBackend('wasm'))) {
    throw new BackendUnavailableError(
      'wasm',
      `tf.setBackend('wasm') returned false: tfjs-backend-wasm could not load its binary from ${paths.probe ?? paths.shown}${await diagnoseWasmUrl(paths.probe)}`,
      wasmFix(paths.source),
    );
  }
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  return { simd, threads: wasm.getThreadsCount(), wasmDir: paths.shown };
}

/** Throws {@link InvalidBackendOptionError} unless `given` is a string or names all three binaries. */
export function validateWasmPaths(given: unknown): void {
  if (given === undefined || (typeof given === 'string' && given)) return;
  const map = given as Record<string, unknown> | null;
  if (
    typeof map !== 'object' ||
    map === null ||
    WASM_BINARIES.some((n) => typeof map[n] !== 'string' || !map[n])
  ) {
    throw new InvalidBackendOptionError(
      'wasmPaths',
      `a URL prefix or a URL for each of ${WASM_BINARIES.join(', ')}`,
      given,
    );
  }
}

interface ResolvedPaths {
  /** What to pass to `setWasmPaths` (nothing: tfjs's own default, beside the script). */
  value?: string | Partial<Record<WasmBinary, string>>;
  /** For reports: the directory or the SIMD binary's URL. */
  shown: string;
  /** A binary URL to fetch when the start fails, to say what the server answered. */
  probe?: string;
  source: 'wasmPaths' | 'node' | 'bundled';
}

async function resolveWasmPaths(given: WasmPaths | undefined): Promise<ResolvedPaths> {
  if (typeof given === 'string') {
    return {
      value: given,
      shown: given,
      probe: `${given}tfjs-backend-wasm-simd.wasm`,
      source: 'wasmPaths',
    };
  }
  if (given) {
    validateWasmPaths(given);
    const simd = given['tfjs-backend-wasm-simd.wasm'];
    return { value: given, shown: simd ?? '', probe: simd, source: 'wasmPaths' };
  }
  if (isNode()) {
    // Through importOptional: a browser bundle never sees these Node-only imports.
    const { createRequire } = await importOptional<typeof import('node:module')>('node:module');
    const path = await importOptional<typeof import('node:path')>('node:path');
    const require = createRequire(import.meta.url);
    // The package's `main` lives in dist/, beside its three .wasm builds.
    const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep;
    return { value: dir, shown: dir, source: 'node' };
  }
  const map = bundledWasmPaths();
  const simd = map['tfjs-backend-wasm-simd.wasm'];
  return { value: map, shown: simd, probe: simd, source: 'bundled' };
}

/** What the server answers for the binary's URL, when that explains a failed start. */
async function diagnoseWasmUrl(url: string | undefined): Promise<string> {
  const f = (globalThis as { fetch?: typeof fetch }).fetch;
  if (!url || isNode() || !f) return '';
  try {
    const response = await f(url);
    const type = response.headers.get('content-type') ?? '';
    if (!response.ok) return ` (the server answered ${response.status} ${response.statusText})`;
    const head = new Uint8Array(await response.arrayBuffer()).subarray(0, 4);
    if (head[0] === 0 && head[1] === 0x61 && head[2] === 0x73 && head[3] === 0x6d) {
      return type.includes('application/wasm')
        ? ''
        : ` (the file is there but served as '${type}', not application/wasm)`;
    }
    return ` (the server answered with ${type || 'something'} that is not WebAssembly${
      type.includes('html') ? ': probably its index.html fallback for a missing file' : ''
    })`;
  } catch (error) {
    return ` (fetching it failed: ${errorMessage(error)})`;
  }
}

function wasmFix(source: ResolvedPaths['source']): string {
  const serve =
    'serve the three .wasm files of @tensorflow/tfjs-backend-wasm@4.22.0 (its dist/, or ' +
    "@tformer/backend's dist/wasm/) and pass selectBackend('wasm', { wasmPaths: '/their/url/prefix/' })";
  if (source === 'bundled') {
    return (
      `${serve}. Vite and webpack 5 copy them by themselves; esbuild and other bundlers that do not ` +
      "handle new URL('…', import.meta.url) need the files copied and wasmPaths set"
    );
  }
  if (source === 'wasmPaths') return `check that wasmPaths points at the files: ${serve}`;
  return `reinstall @tensorflow/tfjs-backend-wasm@4.22.0 (pnpm install)`;
}
