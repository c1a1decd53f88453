import * as tf from '@tensorflow/tfjs-core';
import type { DawnAttempt } from './dawn-probe.js';
import { BackendUnavailableError, errorMessage } from './errors.js';
import {
  importOptional,
  installHint,
  isMissingModule,
  isMissingPeer,
  isNode,
  loadedNative,
  siblingModule,
} from './runtime.js';

/** What the webgpu backend runs on once started. */
export interface WebgpuInfo {
  /** Adapter name as the driver reports it, e.g. `llvmpipe (OpenGL 4.5 Mesa 22.3.6)`. */
  adapter: string;
  /** True for CPU-emulated adapters (llvmpipe, lavapipe, SwiftShader, WARP). */
  software: boolean;
  /** In Node, the Dawn options that found the adapter (e.g. `backend=opengl`). */
  dawnOptions?: string[];
  /** The device's limit, raised to the adapter's: a kernel with more inputs cannot run. */
  maxStorageBuffersPerShaderStage?: number;
}

export interface WebgpuOptions {
  /** Accept a software adapter. `selectBackend('webgpu')` accepts one; `auto` does not. */
  allowSoftware: boolean;
  /** Node only: Dawn options to use instead of trying Dawn's default, then OpenGL. */
  dawnOptions?: string[];
}

interface Found {
  gpu: GpuLike;
  adapter: AdapterLike;
  dawnOptions?: string[];
  /** The Dawn instance, referenced for the life of the process. */
  instance?: unknown;
}
let found: Found | undefined;

interface AdapterLike {
  /** Older Chromium (before `info.isFallbackAdapter`). */
  isFallbackAdapter?: boolean;
  info?: {
    vendor?: string;
    architecture?: string;
    device?: string;
    description?: string;
    isFallbackAdapter?: boolean;
  };
}
interface GpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<AdapterLike | null>;
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|softpipe|basic render|warp/i;

/** Names an adapter and says whether it is a CPU emulation. */
export function describeAdapter(adapter: AdapterLike): { adapter: string; software: boolean } {
  const i = adapter.info ?? {};
  const name = [i.vendor, i.architecture, i.device, i.description]
    .filter((s) => s?.trim())
    .join(' / ');
  return {
    adapter: name || 'unnamed adapter',
    software:
      Boolean(i.isFallbackAdapter) || Boolean(adapter.isFallbackAdapter) || SOFTWARE.test(name),
  };
}

function softwareRefused(adapter: string): BackendUnavailableError {
  return new BackendUnavailableError(
    'webgpu',
    `only a software adapter (${adapter}), slower than wasm on this kind of machine`,
    "ask for 'webgpu' by name, or pass autoAllowsSoftwareWebgpu: true, to use it anyway",
  );
}

/**
 * Starts tfjs-backend-webgpu. Browsers: through `navigator.gpu`. Node: through the `webgpu` package
 * (Dawn), trying Dawn's default backend (Vulkan/Metal/D3D12) and then OpenGL in compatibility mode
 * with `EGL_PLATFORM=surfaceless`, which on machines without a GPU gives Mesa's llvmpipe.
 */
export async function startWebgpu(opts: WebgpuOptions): Promise<WebgpuInfo> {
  // One GPU instance per process: the backend's device belongs to it, and a Dawn instance that is
  // garbage-collected takes its devices down with it.
  found ??= isNode() ? await nodeAdapter(opts) : await browserAdapter();
  const named = describeAdapter(found.adapter);
  if (named.software && !opts.allowSoftware) throw softwareRefused(named.adapter);
  installNavigatorGpu(found.gpu);
  let webgpuModule: typeof import('@tensorflow/tfjs-backend-webgpu');
  try {
    // A literal specifier: bundlers include the package when it is installed.
    webgpuModule = await import('@tensorflow/tfjs-backend-webgpu');
  } catch (error) {
    if (isMissingPeer(error, '@tensorflow/tfjs-backend-webgpu')) {
      throw new BackendUnavailableError(
        'webgpu',
        '@tensorflow/tfjs-backend-webgpu is not installed (an optional peer dependency of @tformer/backend)' +
          (isNode() ? '' : `; loading it failed with: ${errorMessage(error)}`),
        installHint('@tensorflow/tfjs-backend-webgpu', tf.version_core),
      );
    }
    throw error;
  }
  if (!tf.findBackendFactory('webgpu')) {
    // Imported earlier, before navigator.gpu existed: tfjs-backend-webgpu registers only if it did.
    throw new BackendUnavailableError(
      'webgpu',
      '@tensorflow/tfjs-backend-webgpu was imported before navigator.gpu existed, so it did not register',
      'let @tformer/backend import it (do not import @tensorflow/tfjs-backend-webgpu yourself)',
    );
  }
  const limits = registerWithAdapterLimits(webgpuModule.WebGPUBackend, found.gpu);
  if (!(await tf.setBackend('webgpu'))) throw new Error("tf.setBackend('webgpu') returned false");
  const device = (tf.backend() as unknown as { device?: { limits?: Record<string, number> } })
    .device;
  const buffers = device?.limits?.maxStorageBuffersPerShaderStage ?? limits;
  return {
    ...named,
    ...(found.dawnOptions ? { dawnOptions: found.dawnOptions } : {}),
    ...(buffers !== undefined ? { maxStorageBuffersPerShaderStage: buffers } : {}),
  };
}

interface DeviceAdapter extends AdapterLike {
  features: { has(f: string): boolean };
  limits: Record<string, number>;
  requestDevice(descriptor: Record<string, unknown>): Promise<unknown>;
}

/**
 * Replaces tfjs-backend-webgpu's own registration (before it ever ran) by the same factory with
 * one change: the device gets the adapter's `maxStorageBuffersPerShaderStage` instead of WebGPU's
 * default 8. tfjs binds every input of a kernel as a storage buffer and does not split `addN`, so
 * with the default `tf.addN` of 8 or more tensors fails validation and returns garbage (measured:
 * Chromium, and Dawn on llvmpipe, whose adapter offers 16). Returns nothing if the backend already
 * started in this process (its device stays).
 */
function registerWithAdapterLimits(
  WebGPUBackend: new (device: never, adapterInfo?: never) => tf.KernelBackend,
  gpu: GpuLike,
): number | undefined {
  const engine = tf.engine() as unknown as { registry: Record<string, unknown> };
  if (engine.registry.webgpu) return undefined;
  const priority =
    (tf.engine() as unknown as { registryFactory: Record<string, { priority: number }> })
      .registryFactory.webgpu?.priority ?? 3;
  tf.removeBackend('webgpu');
  tf.registerBackend(
    'webgpu',
    async () => {
      const lowPower = tf.env().getBool('WEBGPU_USE_LOW_POWER_GPU');
      const adapter = (await gpu.requestAdapter({
        powerPreference: lowPower ? 'low-power' : 'high-performance',
      })) as DeviceAdapter | null;
      if (!adapter) throw new Error('requestAdapter() returned null');
      const l = adapter.limits;
      // tfjs-backend-webgpu 4.22's descriptor (base.js), plus the storage-buffer limit.
      const device = await adapter.requestDevice({
        requiredFeatures: ['timestamp-query', 'bgra8unorm-storage'].filter((f) =>
          adapter.features.has(f),
        ),
        requiredLimits: {
          maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
          maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
          maxBufferSize: l.maxBufferSize,
          maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
          maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
        },
      });
      return new WebGPUBackend(device as never, adapter.info as never);
    },
    priority,
  );
  return undefined;
}

async function browserAdapter(): Promise<Found> {
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (!gpu) {
    throw new BackendUnavailableError(
      'webgpu',
      'this browser has no WebGPU (navigator.gpu is undefined; it also needs a secure context: https or localhost)',
      "use a browser with WebGPU (Chrome/Edge 113+, Safari 26+, Firefox 141+ on Windows) or 'wasm'",
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter)
    throw new BackendUnavailableError(
      'webgpu',
      'navigator.gpu.requestAdapter() returned null (GPU blocklisted or disabled)',
    );
  return { gpu, adapter };
}

async function nodeAdapter({ dawnOptions, allowSoftware }: WebgpuOptions): Promise<Found> {
  let dawn: { create(options: string[]): GpuLike; globals: Record<string, unknown> };
  try {
    dawn = await importOptional('webgpu');
  } catch (error) {
    if (isMissingModule(error, 'webgpu')) {
      throw new BackendUnavailableError(
        'webgpu',
        "WebGPU in Node needs the 'webgpu' package (Dawn), which is not installed",
        installHint('webgpu', '0.6.2'),
      );
    }
    throw new BackendUnavailableError(
      'webgpu',
      `the 'webgpu' package (Dawn) failed to load: ${errorMessage(error)}`,
    );
  }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    process.env.EGL_PLATFORM ??= 'surfaceless'; // Mesa's EGL without a window system
  }
  let attempts: DawnAttempt[] = dawnOptions
    ? [{ options: dawnOptions, request: dawnRequest(dawnOptions) }]
    : [[], ['backend=opengl']].map((options) => ({ options, request: dawnRequest(options) }));
  if (!dawnOptions) {
    // Ask a child process first: Dawn's native warnings for the attempts that fail, and Mesa's
    // OpenGL driver for an adapter `auto` would refuse, then stay out of this process.
    const { probeDawn } = await importOptional<typeof import('./dawn-probe.js')>(
      siblingModule('./dawn-probe.js'),
    );
    const probe = await probeDawn(attempts, process.env).catch(() => undefined);
    if (probe && !probe.found) throw noAdapter(probe.failures);
    if (probe?.found) {
      const named = describeAdapter({ info: probe.info });
      if (named.software && !allowSoftware) throw softwareRefused(named.adapter);
      attempts = [probe.attempt];
    }
  }
  for (const [key, value] of Object.entries(dawn.globals)) {
    if (!(key in globalThis))
      Object.defineProperty(globalThis, key, { value, configurable: true, writable: true });
  }
  const failures: string[] = [];
  for (const { options, request } of attempts) {
    try {
      if (options.includes('backend=opengl')) {
        const { preloadLibtensorflow } = await importOptional<typeof import('./node.js')>(
          siblingModule('./node.js'),
        );
        await preloadLibtensorflow(); // libtensorflow loaded after Mesa's OpenGL segfaults
        loadedNative.mesaOpenGl = true;
      }
      const raw = dawn.create(options);
      // What tfjs-backend-webgpu uses of navigator.gpu, with the adapter request this Dawn needs.
      const gpu = {
        requestAdapter: (o?: Record<string, unknown>) => raw.requestAdapter({ ...o, ...request }),
        getPreferredCanvasFormat: () => 'rgba8unorm',
      };
      const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (adapter) return { gpu, adapter, dawnOptions: options, instance: raw };
      failures.push(`Dawn [${options.join(' ') || 'default'}]: no adapter`);
    } catch (error) {
      failures.push(`Dawn [${options.join(' ') || 'default'}]: ${errorMessage(error)}`);
    }
  }
  throw noAdapter(failures);
}

/** Dawn's OpenGL backend offers only WebGPU's compatibility feature level. */
function dawnRequest(options: string[]): Record<string, unknown> {
  return options.includes('backend=opengl') ? { featureLevel: 'compatibility' } : {};
}

function noAdapter(failures: string[]): BackendUnavailableError {
  return new BackendUnavailableError(
    'webgpu',
    `no WebGPU adapter (${failures.join('; ')})`,
    'install a Vulkan driver, or for a software adapter the Mesa EGL/OpenGL packages: ' +
      'apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri libgbm1 (scripts/setup-backends.sh does this)',
  );
}

/** tfjs-backend-webgpu looks for `navigator.gpu` when imported and when its backend is made. */
function installNavigatorGpu(gpu: GpuLike): void {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator?.gpu === gpu) return;
  if (g.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', {
      value: { gpu },
      configurable: true,
      writable: true,
    });
  } else if (!isNode()) {
    return; // a browser's own navigator.gpu
  } else {
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  }
}
