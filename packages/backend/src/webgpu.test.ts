import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { selectBackend } from './index.js';

// Dawn in Node (llvmpipe on machines without a GPU); skipped where no WebGPU adapter exists.
const selection = await selectBackend('webgpu').catch((error: unknown) => error as Error);
const started = !(selection instanceof Error);

describe.skipIf(!started)('webgpu device limits', () => {
  it('asks for the adapter’s storage-buffer limit, so addN of more than 7 tensors sums right', async () => {
    if (selection instanceof Error) return;
    const limit = Number(selection.info.details['storage buffers per shader']);
    expect(limit).toBeGreaterThan(8); // llvmpipe offers 16, WebGPU's default is 8
    // addN binds every input and the output as storage buffers: 9 inputs need 10 (measured: with
    // the default limit tfjs's AddNPackedProgram fails validation and reads back garbage).
    const n = Math.min(limit - 1, 12);
    const xs = Array.from({ length: n }, (_, i) => tf.fill([4], i + 1));
    const sum = tf.addN(xs);
    expect(Array.from(await sum.data())).toEqual(Array(4).fill((n * (n + 1)) / 2));
    tf.dispose([...xs, sum]);
  });
});
