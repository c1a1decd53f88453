import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  BackendUnavailableError,
  describeBackend,
  formatBackendInfo,
  InvalidBackendOptionError,
  selectBackend,
  UnknownBackendError,
} from './index.js';
import { AUTO_ORDER } from './names.js';
import { findCudaDevices } from './node.js';

describe('selectBackend', () => {
  it.each(['cpu', 'wasm'] as const)(
    'starts %s by name, computes with it and describes it',
    async (name) => {
      const selection = await selectBackend(name);
      expect(selection).toMatchObject({ name, reason: 'requested by name', tried: [] });
      expect(tf.getBackend()).toBe(name);
      const product = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
      expect(Array.from(await product.data())).toEqual([11]);
      product.dispose();
      expect(selection.info).toMatchObject({
        backend: name,
        tfjsBackend: name,
        tfjsVersion: tf.version_core,
        threads: 1,
      });
      expect(describeBackend().backend).toBe(name);
      if (name === 'wasm') {
        expect(selection.info.simd).toBe(true); // Node 20 has wasm SIMD
        expect(selection.info.details.binaries).toMatch(/tfjs-backend-wasm[/\\]dist[/\\]$/);
      }
      expect(formatBackendInfo(selection.info)).toMatch(
        new RegExp(`^backend ${name} \\(tfjs-core 4\\.22\\.0, node 20`),
      );
    },
  );

  it('starts a backend again after another one ran', async () => {
    await selectBackend('wasm');
    await selectBackend('cpu');
    const again = await selectBackend('wasm');
    expect(again.info).toMatchObject({ backend: 'wasm', simd: true, threads: 1 });
    expect(tf.getBackend()).toBe('wasm');
  });

  it('registers gradients, which tfjs-core alone does not', async () => {
    await selectBackend('cpu');
    const x = tf.tensor1d([1, -2, 3]);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.square(a)))(x);
    expect(Array.from(await g.data())).toEqual([2, -4, 6]);
    tf.dispose([x, g]);
  });

  it('auto tries the documented order and says what it skipped and why', async () => {
    const selection = await selectBackend('auto');
    const index = AUTO_ORDER.indexOf(selection.name);
    expect(index).toBeGreaterThanOrEqual(0);
    // Every backend before the chosen one was tried and failed with a reason; none after it.
    expect(selection.tried.map((t) => t.name)).toEqual(AUTO_ORDER.slice(0, index));
    for (const t of selection.tried)
      expect(t.error).toMatch(new RegExp(`backend '${t.name}' is unavailable: .+`));
    expect(selection.reason).toMatch(
      /^auto: first of node-gpu > webgpu > node > wasm > cpu that started/,
    );
    expect(tf.getBackend()).toBe(selection.info.tfjsBackend);
    if (findCudaDevices().count === 0) {
      // These machines: no CUDA, a software WebGPU adapter at most; node when tfjs-node is linked, else wasm.
      expect(['node', 'wasm']).toContain(selection.name);
      expect(selection.tried[0]?.error).toMatch(/no CUDA device/);
    }
  });

  it('rejects an unknown name with the list of known ones', async () => {
    await expect(selectBackend('tpu' as never)).rejects.toThrow(UnknownBackendError);
    await expect(selectBackend('tpu' as never)).rejects.toThrow(
      "unknown backend 'tpu': expected one of auto, cpu, wasm, node, node-gpu, webgpu, webgl",
    );
  });

  it('rejects bad options naming the option, expected and actual', async () => {
    await expect(selectBackend('wasm', { wasmThreads: 0 })).rejects.toThrow(
      InvalidBackendOptionError,
    );
    await expect(selectBackend('wasm', { wasmThreads: 1.5 })).rejects.toThrow(
      'invalid wasmThreads: expected an integer ≥ 1, got 1.5',
    );
    await expect(selectBackend('auto', { autoOrder: ['gpu' as never] })).rejects.toThrow(
      /unknown autoOrder entry 'gpu'/,
    );
  });

  it('never falls back when a backend is asked for by name', async () => {
    await selectBackend('cpu');
    const webgl = selectBackend('webgl');
    await expect(webgl).rejects.toThrow(BackendUnavailableError);
    await expect(selectBackend('webgl')).rejects.toThrow(
      /WebGL exists only in browsers[\s\S]*fix: in Node use/,
    );
    await expect(selectBackend('node-gpu')).rejects.toThrow(
      /no CUDA device: .*\n {2}fix: use 'node'/,
    );
    await expect(selectBackend('wasm', { wasmThreads: 2 })).rejects.toThrow(
      /single-threaded in Node/,
    );
    expect(tf.getBackend()).toBe('cpu'); // still the one that was running
  });

  it('auto can be limited to an order, and fails with every reason when none starts', async () => {
    const selection = await selectBackend('auto', { autoOrder: ['webgl', 'cpu'] });
    expect(selection.name).toBe('cpu');
    expect(selection.tried).toEqual([
      { name: 'webgl', error: expect.stringMatching(/only in browsers/) },
    ]);
    await expect(selectBackend('auto', { autoOrder: ['webgl', 'node-gpu'] })).rejects.toThrow(
      /backend 'auto' is unavailable: webgl: .*browsers.*; node-gpu: .*no CUDA device/s,
    );
  });
});
