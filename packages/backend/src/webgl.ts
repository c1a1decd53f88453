import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError, errorMessage } from './errors.js';
import { installHint, isBrowser, isMissingPeer, isNode } from './runtime.js';
import { WEBGL_DEFAULT_FLAGS } from './webgl-flags.js';

/** What the webgl backend runs on once started. */
export interface WebglInfo {
  webglVersion: number;
  /** The GPU as WebGL reports it (`WEBGL_debug_renderer_info`, else `RENDERER`). */
  renderer: string;
  /** The renderer is a CPU emulation (SwiftShader, llvmpipe, softpipe, …). */
  software: boolean;
  /** The tfjs flags set, as `NAME=value`. */
  flags: string[];
}

export interface WebglOptions {
  /** Accept a software renderer. `selectBackend('webgl')` accepts one; `auto` does not by default. */
  allowSoftware: boolean;
  /** tfjs flags to set before the backend starts, over {@link WEBGL_DEFAULT_FLAGS}. */
  flags?: Readonly<Record<string, boolean | number>>;
}

const SOFTWARE_RENDERER =
  /swiftshader|llvmpipe|softpipe|lavapipe|software|microsoft basic render|\bwarp\b/i;

/**
 * True when a WebGL renderer string names a CPU emulation: SwiftShader (headless Chrome, GPU-less
 * machines), Mesa's llvmpipe/softpipe, or anything calling itself software.
 *
 * @example isSoftwareRenderer('ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)') // true
 */
export function isSoftwareRenderer(renderer: string): boolean {
  return SOFTWARE_RENDERER.test(renderer);
}

interface GlLike {
  RENDERER: number;
  getParameter(p: number): unknown;
  getExtension(name: string): Record<string, unknown> | null;
}

/** Opens a throwaway WebGL context to name the renderer, before tfjs makes its own. */
export function probeWebglRenderer(): { version: 1 | 2; renderer: string } | undefined {
  const g = globalThis as {
    OffscreenCanvas?: new (w: number, h: number) => { getContext(t: string): unknown };
    document?: { createElement(t: string): { getContext(t: string): unknown } };
  };
  const canvas = g.OffscreenCanvas
    ? new g.OffscreenCanvas(1, 1)
    : g.document?.createElement('canvas');
  if (!canvas) return undefined;
  let version: 1 | 2 = 2;
  let gl = canvas.getContext('webgl2') as GlLike | null;
  if (!gl) {
    version = 1;
    gl = canvas.getContext('webgl') as GlLike | null;
  }
  if (!gl) return undefined;
  const debug = gl.getExtension('WEBGL_debug_renderer_info');
  const unmasked = debug ? gl.getParameter(debug.UNMASKED_RENDERER_WEBGL as number) : undefined;
  const renderer = String(unmasked ?? gl.getParameter(gl.RENDERER) ?? 'unknown renderer');
  (gl.getExtension('WEBGL_lose_context') as { loseContext?: () => void } | null)?.loseContext?.();
  return { version, renderer };
}

/** Starts tfjs-backend-webgl: browsers only (Node has no WebGL context). */
export async function startWebgl(opts: WebglOptions): Promise<WebglInfo> {
  if (isNode() || !isBrowser()) {
    throw new BackendUnavailableError(
      'webgl',
      `WebGL exists only in browsers; this is ${isNode() ? `Node ${process.versions.node}` : 'not a browser'}`,
      "in Node use 'node', 'wasm' or 'webgpu' (Dawn)",
    );
  }
  const probe = probeWebglRenderer();
  if (!probe) {
    throw new BackendUnavailableError(
      'webgl',
      'the browser gave no WebGL context (disabled or blocklisted GPU)',
      "use 'wasm'",
    );
  }
  const software = isSoftwareRenderer(probe.renderer);
  if (software && !opts.allowSoftware) {
    throw new BackendUnavailableError(
      'webgl',
      `only a software renderer (${probe.renderer}), slower than wasm`,
      "ask for 'webgl' by name, or pass autoAllowsSoftwareWebgl: true, to use it anyway",
    );
  }
  try {
    // A literal specifier: bundlers include the package when it is installed.
    await import('@tensorflow/tfjs-backend-webgl');
  } catch (error) {
    if (isMissingPeer(error, '@tensorflow/tfjs-backend-webgl')) {
      throw new BackendUnavailableError(
        'webgl',
        `@tensorflow/tfjs-backend-webgl is not installed (an optional peer dependency of @tformer/backend); ` +
          `loading it failed with: ${errorMessage(error)}`,
        installHint('@tensorflow/tfjs-backend-webgl', tf.version_core),
      );
    }
    throw error;
  }
  const flags = setFlags({ ...WEBGL_DEFAULT_FLAGS, ...opts.flags });
  if (!(await tf.setBackend('webgl'))) {
    throw new BackendUnavailableError(
      'webgl',
      `tf.setBackend('webgl') returned false on ${probe.renderer} (see the console for tfjs's warning)`,
      "use 'wasm'",
    );
  }
  return {
    webglVersion: tf.env().getNumber('WEBGL_VERSION'),
    renderer: probe.renderer,
    software,
    flags,
  };
}

/** Sets tfjs flags (registered by the backend package, so after importing it); returns `NAME=value`s. */
export function setFlags(flags: Readonly<Record<string, boolean | number>>): string[] {
  return Object.entries(flags).map(([name, value]) => {
    tf.env().set(name, value);
    return `${name}=${value}`;
  });
}
