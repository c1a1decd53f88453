import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError, errorMessage, InvalidBackendOptionError } from './errors.js';
import { importOptional, isMissingModule, isNode, loadedNative } from './runtime.js';

/** What tfjs-node(-gpu) runs with once started. */
export interface NodeInfo {
  /** `@tensorflow/tfjs-node` or `@tensorflow/tfjs-node-gpu`. */
  package: string;
  /** Version of that package. */
  packageVersion: string;
  /** The libtensorflow its addon is linked against (`TF_Version`), when the addon says. */
  libtensorflow?: string;
  /** Cores this process may use; libtensorflow sizes its thread pools from them. */
  cores: number;
  /** Whether libtensorflow runs its CPU kernels through oneDNN (`TF_ENABLE_ONEDNN_OPTS` as it loaded). */
  onednn: boolean;
  /** Its intra-op threads (`TF_NUM_INTRAOP_THREADS` as it loaded); undefined: one per core. */
  intraOpThreads?: number;
}

/**
 * Whether libtensorflow turns oneDNN on for this value of `TF_ENABLE_ONEDNN_OPTS`: `0` and `false`
 * (any case) turn it off; unset, `1`, `true` or anything else leave libtensorflow's default, on
 * for its x86 Linux builds.
 */
export function onednnFromEnv(
  value: string | undefined = process.env.TF_ENABLE_ONEDNN_OPTS,
): boolean {
  return !/^(0|false)$/i.test(value?.trim() ?? '');
}

/**
 * libtensorflow's intra-op thread count for this value of `TF_NUM_INTRAOP_THREADS`: a positive
 * integer, or undefined (its default, one per core) for anything else.
 */
export function intraOpThreadsFromEnv(
  value: string | undefined = process.env.TF_NUM_INTRAOP_THREADS,
): number | undefined {
  const n = Number(value);
  return value !== undefined && Number.isInteger(n) && n > 0 ? n : undefined;
}

/** What libtensorflow reads from the environment once, as it loads, and the options that set it. */
export interface LoadSettings {
  onednn?: boolean;
  intraOpThreads?: number;
}

/**
 * Puts the wanted load-time settings in the environment before libtensorflow loads, the only
 * moment it reads them. Once loaded, a different wish cannot be met in this process: that throws
 * rather than run silently with the other setting.
 */
function requestLoadSettings(wanted: LoadSettings): void {
  // tfjs-node registers its backend as it loads: a program may have imported it before us.
  const loaded = tf.findBackendFactory('tensorflow') ? markLoaded() : loadedNative.libtensorflow;
  const settings = [
    {
      option: 'onednn',
      variable: 'TF_ENABLE_ONEDNN_OPTS',
      want: wanted.onednn,
      now: loaded?.onednn,
    },
    {
      option: 'intraOpThreads',
      variable: 'TF_NUM_INTRAOP_THREADS',
      want: wanted.intraOpThreads,
      now: loaded?.intraOpThreads,
    },
  ] as const;
  for (const { option, variable, want, now } of settings) {
    if (want === undefined) continue;
    if (!loaded) {
      process.env[variable] = typeof want === 'boolean' ? (want ? '1' : '0') : String(want);
    } else if (want !== now) {
      throw new InvalidBackendOptionError(
        option,
        `${now ?? "libtensorflow's default"}, the setting libtensorflow already loaded with in this ` +
          `process (it reads ${variable} once, as it loads: start another process for another setting)`,
        want,
      );
    }
  }
}

/** Records that libtensorflow is loaded, with the load-time settings it read; returns them. */
function markLoaded(): { onednn: boolean; intraOpThreads?: number } {
  loadedNative.libtensorflow ??= {
    onednn: onednnFromEnv(),
    intraOpThreads: intraOpThreadsFromEnv(),
  };
  return loadedNative.libtensorflow;
}

type Variant = 'node' | 'node-gpu';
const PACKAGES: Record<Variant, string> = {
  node: '@tensorflow/tfjs-node',
  'node-gpu': '@tensorflow/tfjs-node-gpu',
};

/**
 * Where the CUDA devices of this machine show, or why none does. The NVIDIA kernel driver lists
 * one directory per GPU under `/proc/driver/nvidia/gpus`; without it tfjs-node-gpu would run on
 * the CPU build of its kernels, which would be a silent fallback.
 */
export function findCudaDevices(procDir = '/proc/driver/nvidia/gpus'): {
  count: number;
  why: string;
} {
  if (process.platform !== 'linux') {
    return {
      count: 0,
      why: `tfjs-node-gpu 4.22 supports CUDA on Linux only (this is ${process.platform})`,
    };
  }
  if (!existsSync(procDir))
    return { count: 0, why: `no NVIDIA driver (${procDir} does not exist)` };
  const count = readdirSync(procDir).length;
  return { count, why: count ? `${count} CUDA device(s) in ${procDir}` : `${procDir} is empty` };
}

/**
 * Checks that `pkg` will run on the workspace's own `@tensorflow/tfjs-core` — the same version and
 * the same copy on disk — since a second copy is a second set of kernels and ops that silently
 * diverge. Returns the package's version; throws {@link BackendUnavailableError} on a mismatch.
 */
export function checkSameTfjsCore(
  name: string,
  pkg: string,
  from: string = import.meta.url,
): string {
  const ours = createRequire(from);
  let pkgJson: string;
  try {
    pkgJson = ours.resolve(`${pkg}/package.json`);
  } catch {
    throw new BackendUnavailableError(
      name,
      `${pkg} is not installed (it is an optional peer dependency of @tformer/backend)`,
      `pnpm add ${pkg}@${tf.version_core}   (its install downloads libtensorflow; offline machines: ` +
        'see @tformer/backend README, "node backend offline")',
    );
  }
  const version = readJson(pkgJson).version as string;
  // tfjs-node(-gpu) → @tensorflow/tfjs → @tensorflow/tfjs-core
  const fromPkg = createRequire(pkgJson);
  const tfjsJson = fromPkg.resolve('@tensorflow/tfjs/package.json');
  const theirCoreJson = createRequire(tfjsJson).resolve('@tensorflow/tfjs-core/package.json');
  const ourCoreJson = ours.resolve('@tensorflow/tfjs-core/package.json');
  const theirs = readJson(theirCoreJson).version as string;
  const fix =
    `install the ${pkg} that matches the workspace's tfjs-core: pnpm add ${pkg}@${tf.version_core}` +
    ' (and one @tensorflow/tfjs-core: pnpm dedupe)';
  if (theirs !== tf.version_core || version !== tf.version_core) {
    throw new BackendUnavailableError(
      name,
      `version mismatch: ${pkg}@${version} runs on @tensorflow/tfjs-core@${theirs}, this program on ` +
        `@tensorflow/tfjs-core@${tf.version_core}`,
      fix,
    );
  }
  if (realpathSync(theirCoreJson) !== realpathSync(ourCoreJson)) {
    throw new BackendUnavailableError(
      name,
      `two copies of @tensorflow/tfjs-core@${theirs}: ${pkg} loads ${dirname(realpathSync(theirCoreJson))}, ` +
        `this program ${dirname(realpathSync(ourCoreJson))}`,
      fix,
    );
  }
  return version;
}

/**
 * Starts tfjs-node (`node`) or tfjs-node-gpu (`node-gpu`), imported lazily: both are optional
 * peers whose install downloads libtensorflow. `node-gpu` starts only where a CUDA device is.
 * `settings` are `selectBackend`'s `onednn` and `intraOpThreads` options (undefined keeps the
 * environment's). `from` is where the package is resolved from (this module; tests point it
 * elsewhere).
 */
export async function startNode(
  variant: Variant,
  from: string = import.meta.url,
  settings: LoadSettings = {},
): Promise<NodeInfo> {
  const pkg = PACKAGES[variant];
  if (!isNode()) {
    throw new BackendUnavailableError(
      variant,
      `${pkg} runs only in Node.js`,
      "use 'webgpu' or 'wasm' in browsers",
    );
  }
  if (variant === 'node-gpu') {
    const cuda = findCudaDevices();
    if (!cuda.count) {
      throw new BackendUnavailableError(
        variant,
        `no CUDA device: ${cuda.why}`,
        "use 'node' (the CPU build) instead",
      );
    }
  }
  const version = checkSameTfjsCore(variant, pkg, from);
  if (loadedNative.mesaOpenGl && !loadedNative.libtensorflow) {
    throw new BackendUnavailableError(
      variant,
      "this process already loaded Mesa's OpenGL driver for webgpu, and libtensorflow crashes (SIGSEGV) " +
        'when loaded after it',
      `start '${variant}' before 'webgpu' in the process (selectBackend('webgpu') loads tfjs-node first ` +
        'when it is installed), or run the two in separate processes',
    );
  }
  requestLoadSettings(settings);
  let mod: { version?: Record<string, string> };
  try {
    mod = await importOptional(pathToFileURL(createRequire(from).resolve(pkg)).href);
  } catch (error) {
    const message = errorMessage(error);
    if (isMissingModule(error, pkg))
      throw new BackendUnavailableError(variant, `${pkg} is not installed`);
    const addon = /tfjs_binding\.node|libtensorflow/.test(message);
    throw new BackendUnavailableError(
      variant,
      addon
        ? `${pkg} is installed without its native addon (its install script did not run or could not download ` +
            `libtensorflow): ${firstLine(message)}`
        : `${pkg} failed to load: ${firstLine(message)}`,
      addon
        ? `pnpm rebuild ${pkg} (with network access), or on machines that carry a TensorFlow wheel: ` +
            'bash scripts/setup-backends.sh --node'
        : undefined,
    );
  }
  const loaded = markLoaded();
  if (!(await tf.setBackend('tensorflow')))
    throw new Error("tf.setBackend('tensorflow') returned false");
  const binding = (tf.backend() as unknown as { binding?: { TF_Version?: string } }).binding;
  return {
    package: pkg,
    packageVersion: mod.version?.['tfjs-node'] ?? version,
    libtensorflow: binding?.TF_Version,
    cores: availableParallelism(),
    onednn: loaded.onednn,
    intraOpThreads: loaded.intraOpThreads,
  };
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

function firstLine(message: string): string {
  return message.split('\n').find((l) => l.trim()) ?? message;
}

/**
 * Loads tfjs-node's libtensorflow if it is installed and matches, without making it the backend,
 * so that a later webgpu start (Mesa OpenGL) leaves it loadable. Returns whether it loaded.
 */
export async function preloadLibtensorflow(): Promise<boolean> {
  if (loadedNative.libtensorflow) return true;
  if (loadedNative.mesaOpenGl) return false;
  try {
    checkSameTfjsCore('node', PACKAGES.node);
    await importOptional(PACKAGES.node);
    markLoaded();
  } catch {
    // not installed, no addon, or a mismatch: selectBackend('node') reports why when asked
  }
  return !!loadedNative.libtensorflow;
}
