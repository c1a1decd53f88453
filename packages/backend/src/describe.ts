import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from './names.js';
import { runtimeName } from './runtime.js';

/** What runs the tensors: the report apps print first. */
export interface BackendInfo {
  /** Our name for the active backend (`node` for tfjs's `tensorflow`), or undefined if none is set. */
  backend: BackendName | undefined;
  /** tfjs's own name for it (`tensorflow`, `wasm`, `webgpu`, …). */
  tfjsBackend: string | undefined;
  /** Version of `@tensorflow/tfjs-core`. */
  tfjsVersion: string;
  /** `node 20.20.2` or `browser`. */
  runtime: string;
  /** Threads the backend computes on, when it says (cpu 1; wasm its pool; node libtensorflow's own). */
  threads?: number;
  /** wasm: whether the SIMD build runs. */
  simd?: boolean;
  /** webgpu: the adapter; webgl: `WebGL 2`. */
  adapter?: string;
  /** webgpu: the adapter is CPU-emulated (llvmpipe, SwiftShader, …). */
  software?: boolean;
  /** node / node-gpu: the libtensorflow version the addon is linked against. */
  libtensorflow?: string;
  /** Anything else worth a line (wasm binary location, Dawn options, package versions). */
  details: Record<string, string>;
}

const started = new Map<BackendName, Omit<BackendInfo, 'tfjsVersion' | 'runtime'>>();

/** Records what a backend start found out; {@link describeBackend} reports it while it is active. */
export function recordStart(
  info: Omit<BackendInfo, 'tfjsVersion' | 'runtime'> & { backend: BackendName },
): void {
  started.set(info.backend, info);
}

/**
 * Describes the active tfjs backend: tfjs version, backend, threads, SIMD, adapter, libtensorflow.
 *
 * @example
 * ```ts
 * await selectBackend('cpu');
 * console.log(formatBackendInfo(describeBackend()));
 * // backend cpu (tfjs-core 4.22.0, node 20.20.2): 1 thread
 * ```
 */
export function describeBackend(): BackendInfo {
  const base = { tfjsVersion: tf.version_core, runtime: runtimeName() };
  const tfjsBackend = safeGetBackend();
  const ours = [...started.values()].reverse().find((s) => s.tfjsBackend === tfjsBackend);
  if (ours) return { ...base, ...ours, details: { ...ours.details } };
  return { ...base, backend: undefined, tfjsBackend, details: {} };
}

/** One line for logs: `backend wasm (tfjs-core 4.22.0, node 20.20.2): SIMD, 1 thread`. */
export function formatBackendInfo(info: BackendInfo = describeBackend()): string {
  const name = info.backend ?? info.tfjsBackend ?? 'none';
  const parts: string[] = [];
  if (info.adapter) parts.push(`adapter ${info.adapter}${info.software ? ' (software)' : ''}`);
  if (info.libtensorflow) parts.push(`libtensorflow ${info.libtensorflow}`);
  if (info.simd !== undefined) parts.push(info.simd ? 'SIMD' : 'no SIMD');
  if (info.threads !== undefined)
    parts.push(`${info.threads} thread${info.threads === 1 ? '' : 's'}`);
  for (const [k, v] of Object.entries(info.details)) parts.push(`${k} ${v}`);
  return `backend ${name} (tfjs-core ${info.tfjsVersion}, ${info.runtime})${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

function safeGetBackend(): string | undefined {
  // tf.getBackend() would initialise the highest-priority backend if none is set: ask the engine.
  return (tf.engine() as unknown as { backendName?: string | null }).backendName ?? undefined;
}
