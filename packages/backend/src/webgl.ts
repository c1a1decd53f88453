import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError } from './errors.js';
import { isBrowser, isNode } from './runtime.js';

/** Starts tfjs-backend-webgl: browsers only (Node has no WebGL context). Returns the WebGL version. */
export async function startWebgl(): Promise<{ webglVersion: number }> {
  if (isNode() || !isBrowser()) {
    throw new BackendUnavailableError(
      'webgl',
      `WebGL exists only in browsers; this is ${isNode() ? `Node ${process.versions.node}` : 'not a browser'}`,
      "in Node use 'node', 'wasm' or 'webgpu' (Dawn)",
    );
  }
  await import('@tensorflow/tfjs-backend-webgl');
  if (!(await tf.setBackend('webgl'))) {
    throw new BackendUnavailableError(
      'webgl',
      'the browser gave no WebGL context (disabled or blocklisted GPU)',
      "use 'wasm'",
    );
  }
  return { webglVersion: tf.env().getNumber('WEBGL_VERSION') };
}
