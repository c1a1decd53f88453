import * as tf from '@tensorflow/tfjs-core';
import { type BackendInfo, describeBackend, recordStart } from './describe.js';
import {
  BackendUnavailableError,
  errorMessage,
  InvalidBackendOptionError,
  UnknownBackendError,
} from './errors.js';
import { ensureGradients } from './gradients.js';
import {
  autoOrderFor,
  BACKEND_CHOICES,
  type BackendChoice,
  type BackendName,
  isBackendChoice,
  TFJS_NAMES,
} from './names.js';
import { importOptional, isNode, siblingModule } from './runtime.js';
import { startWasm, validateWasmPaths, type WasmPaths } from './wasm.js';

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /** wasm threads; default 1 in Node (tfjs has no threaded wasm there), cores/2 up to 4 in isolated pages. */
  wasmThreads?: number;
  /**
   * Where the wasm binaries are served: a URL prefix, or a URL per file name
   * (`tfjs-backend-wasm.wasm`, `tfjs-backend-wasm-simd.wasm`, `tfjs-backend-wasm-threaded-simd.wasm`).
   * Default: Node loads the installed `@tensorflow/tfjs-backend-wasm`; browsers load the copies
   * this package ships in `dist/wasm/` (bundled by Vite and webpack 5 as assets).
   */
  wasmPaths?: WasmPaths;
  /** Node only: Dawn options for webgpu (default: Dawn's default backend, then `backend=opengl`). */
  dawnOptions?: string[];
  /** Let `auto` take a software WebGPU adapter (llvmpipe). Default false: it is slower than wasm. */
  autoAllowsSoftwareWebgpu?: boolean;
  /** Let `auto` take a software WebGL renderer (SwiftShader, llvmpipe). Default false: slower than wasm. */
  autoAllowsSoftwareWebgl?: boolean;
  /**
   * tfjs flags to set before the webgl backend starts, over the defaults
   * (`WEBGL_USE_SHAPES_UNIFORMS: true`); the flags set show in `info.details.flags`.
   */
  webglFlags?: Readonly<Record<string, boolean | number>>;
  /**
   * node / node-gpu: run libtensorflow's CPU products through oneDNN (`true`) or its own Eigen
   * kernels (`false`). Default: the environment's `TF_ENABLE_ONEDNN_OPTS`, else on. oneDNN pays a
   * per-call and per-new-shape cost that dominates the tiny products of one-token decoding: on
   * nanoGPT's `baby` model generation ran about twice the tokens/s with it off, while training
   * steps ran 1.13–1.25× slower (docs/tfjs-facts.md). libtensorflow reads the setting once, as it
   * loads: asking for the other one later in the same process throws
   * {@link InvalidBackendOptionError}.
   */
  onednn?: boolean;
  /**
   * node / node-gpu: libtensorflow's intra-op threads (default: `TF_NUM_INTRAOP_THREADS`, else one
   * per core). One thread made a `baby` decoding token ~1.7× faster on 2 shared cores (tiny
   * products pay more for the hand-off to the pool than they gain; docs/tfjs-facts.md); large
   * products need the threads. Read once, as libtensorflow loads, like `onednn`.
   */
  intraOpThreads?: number;
  /** Order for `auto` to try (default `autoOrderFor('node')` in Node, `autoOrderFor('browser')` elsewhere). */
  autoOrder?: readonly BackendName[];
}

/** Which backend runs, why it was chosen, what was tried before it, and what it runs on. */
export interface BackendSelection {
  name: BackendName;
  reason: string;
  tried: { name: BackendName; error: string }[];
  info: BackendInfo;
}

/**
 * Starts a tfjs backend, makes it the active one and registers tfjs-core's gradients. An explicit
 * name that cannot start throws {@link BackendUnavailableError} saying why and how to fix it: it
 * never falls back. `auto` tries {@link autoOrderFor} this runtime and reports each backend it
 * skipped and why, in `tried` and in `reason`.
 *
 * @example
 * ```ts
 * const { name, reason, tried } = await selectBackend('auto');
 * console.log(name, reason, tried.map((t) => `${t.name}: ${t.error}`));
 * ```
 */
export async function selectBackend(
  choice: BackendChoice = 'auto',
  opts: SelectBackendOptions = {},
): Promise<BackendSelection> {
  if (typeof choice !== 'string' || !isBackendChoice(choice)) {
    throw new UnknownBackendError(String(choice), BACKEND_CHOICES);
  }
  validate(opts);
  await ensureGradients();
  if (choice !== 'auto') {
    await start(choice, opts, true);
    return { name: choice, reason: 'requested by name', tried: [], info: describeBackend() };
  }
  const order = opts.autoOrder ?? autoOrderFor(isNode() ? 'node' : 'browser');
  const tried: BackendSelection['tried'] = [];
  for (const name of order) {
    try {
      await start(name, opts, false);
      return { name, reason: autoReason(order, tried), tried, info: describeBackend() };
    } catch (error) {
      tried.push({ name, error: errorMessage(error) });
    }
  }
  throw new BackendUnavailableError('auto', tried.map((t) => `${t.name}: ${t.error}`).join('; '));
}

/**
 * `auto: first of webgpu > webgl > wasm > cpu that started; skipped webgpu (…why…); webgl (…why…)`:
 * the selection says why each faster backend was passed over, not only which.
 */
export function autoReason(
  order: readonly BackendName[],
  tried: readonly { name: BackendName; error: string }[],
): string {
  const head = `auto: first of ${order.join(' > ')} that started`;
  if (!tried.length) return head;
  // Each error's reason, without its "backend 'x' is unavailable:" prefix and "fix:" line.
  const why = tried.map(
    (t) =>
      `${t.name} (${t.error.split('\n  fix: ')[0]!.replace(/^backend '[^']+' is unavailable: /, '')})`,
  );
  return `${head}; skipped ${why.join('; ')}`;
}

async function start(
  name: BackendName,
  opts: SelectBackendOptions,
  byName: boolean,
): Promise<void> {
  try {
    await startOne(name, opts, byName);
    await tf.ready();
  } catch (error) {
    if (error instanceof BackendUnavailableError || error instanceof InvalidBackendOptionError)
      throw error;
    throw new BackendUnavailableError(name, errorMessage(error));
  }
}

async function startOne(
  name: BackendName,
  opts: SelectBackendOptions,
  byName: boolean,
): Promise<void> {
  const tfjsBackend = TFJS_NAMES[name];
  switch (name) {
    case 'cpu': {
      await import('@tensorflow/tfjs-backend-cpu');
      if (!(await tf.setBackend('cpu'))) throw new Error("tf.setBackend('cpu') returned false");
      silenceCpuBanner();
      recordStart({ backend: name, tfjsBackend, threads: 1, details: {} });
      return;
    }
    case 'wasm': {
      const w = await startWasm({ threads: opts.wasmThreads, wasmPaths: opts.wasmPaths });
      recordStart({
        backend: name,
        tfjsBackend,
        threads: w.threads,
        simd: w.simd,
        details: { binaries: w.wasmDir },
      });
      return;
    }
    case 'node':
    case 'node-gpu': {
      if (!isNode()) {
        throw new BackendUnavailableError(
          name,
          'tfjs-node runs only in Node.js',
          "use 'webgpu' or 'wasm' in browsers",
        );
      }
      // Node-only module: loaded at run time so that browser bundles leave it (and node:fs) out.
      const { startNode } = await importOptional<typeof import('./node.js')>(
        siblingModule('./node.js'),
      );
      const n = await startNode(name, undefined, {
        onednn: opts.onednn,
        intraOpThreads: opts.intraOpThreads,
      });
      recordStart({
        backend: name,
        tfjsBackend,
        libtensorflow: n.libtensorflow,
        ...(n.intraOpThreads ? { threads: n.intraOpThreads } : {}),
        // libtensorflow sizes its own thread pools (TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS).
        details: {
          package: `${n.package}@${n.packageVersion}`,
          threads: n.intraOpThreads
            ? `libtensorflow, ${n.intraOpThreads} intra-op`
            : `libtensorflow's own pool (${n.cores} cores)`,
          oneDNN: n.onednn ? 'on' : 'off',
        },
      });
      return;
    }
    case 'webgpu': {
      const { startWebgpu } = await import('./webgpu.js');
      const g = await startWebgpu({
        allowSoftware: byName || Boolean(opts.autoAllowsSoftwareWebgpu),
        dawnOptions: opts.dawnOptions,
      });
      recordStart({
        backend: name,
        tfjsBackend,
        adapter: g.adapter,
        software: g.software,
        details: {
          ...(g.dawnOptions ? { dawn: g.dawnOptions.join(' ') || 'default' } : {}),
          ...(g.maxStorageBuffersPerShaderStage !== undefined
            ? { 'storage buffers per shader': String(g.maxStorageBuffersPerShaderStage) }
            : {}),
        },
      });
      return;
    }
    case 'webgl': {
      const { startWebgl } = await import('./webgl.js');
      const w = await startWebgl({
        allowSoftware: byName || Boolean(opts.autoAllowsSoftwareWebgl),
        flags: opts.webglFlags,
      });
      recordStart({
        backend: name,
        tfjsBackend,
        adapter: `WebGL ${w.webglVersion}: ${w.renderer}`,
        software: w.software,
        details: w.flags.length ? { flags: w.flags.join(' ') } : {},
      });
      return;
    }
  }
}

/**
 * tfjs's cpu backend prints a multi-line "Hi, looks like you are running TensorFlow.js in Node.js"
 * banner on its first tensor in Node, to stdout-adjacent stderr of every CLI and test process. The
 * selection already says which backend runs and why the faster ones were skipped, so the banner is
 * only noise: mark the backend as used (the flag tfjs checks) before it can print.
 */
function silenceCpuBanner(): void {
  const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
}

function validate(opts: SelectBackendOptions): void {
  for (const option of ['wasmThreads', 'intraOpThreads'] as const) {
    const t = opts[option];
    if (t !== undefined && (!Number.isInteger(t) || t < 1))
      throw new InvalidBackendOptionError(option, 'an integer ≥ 1', t);
  }
  validateWasmPaths(opts.wasmPaths);
  if (opts.onednn !== undefined && typeof opts.onednn !== 'boolean')
    throw new InvalidBackendOptionError('onednn', 'true or false', opts.onednn);
  for (const n of opts.autoOrder ?? []) {
    if (!(BACKEND_CHOICES as readonly string[]).includes(n) || (n as string) === 'auto') {
      throw new UnknownBackendError(String(n), BACKEND_CHOICES.slice(1), 'autoOrder entry');
    }
  }
}
