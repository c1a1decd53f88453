import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, UnknownBackendError, selectBackend } from './index.js';

describe('selectBackend', () => {
  it.each(['cpu', 'wasm'] as const)('starts %s by name and computes with it', async (name) => {
    const selection = await selectBackend(name);
    expect(selection.name).toBe(name);
    expect(tf.getBackend()).toBe(name);
    const product = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
    expect(Array.from(await product.data())).toEqual([11]);
    product.dispose();
  });

  it('registers gradients, which tfjs-core alone does not', async () => {
    await selectBackend('cpu');
    const x = tf.tensor1d([1, -2, 3]);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.square(a)))(x);
    expect(Array.from(await g.data())).toEqual([2, -4, 6]);
    tf.dispose([x, g]);
  });

  it('auto picks wasm here and says why', async () => {
    const selection = await selectBackend('auto');
    expect(selection.name).toBe('wasm');
    expect(selection.reason).toMatch(/auto/);
  });

  it('rejects an unknown name with the list of known ones', async () => {
    await expect(selectBackend('tpu' as never)).rejects.toThrow(UnknownBackendError);
    await expect(selectBackend('tpu' as never)).rejects.toThrow(/expected one of auto, cpu, wasm/);
  });

  it('exports a typed error for backends that cannot start', () => {
    const error = new BackendUnavailableError('node', 'not installed', 'pnpm add @tensorflow/tfjs-node');
    expect(error.message).toContain('pnpm add @tensorflow/tfjs-node');
  });
});
