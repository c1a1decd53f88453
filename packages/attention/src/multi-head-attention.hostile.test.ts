import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends } from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { AttentionArgumentError } from './errors.js';
import { MultiHeadAttention } from './multi-head-attention.js';
import { tinyAttention } from './testing/fixtures.js';

// Issue 12, row 15: bad calls of MultiHeadAttention are typed errors and leak nothing.
describeWithBackends('MultiHeadAttention with hostile arguments', () => {
  it('RoPE with an odd key size throws a typed error before building, leaking no tensor', () => {
    const before = tf.memory().numTensors;
    expect(
      () => new MultiHeadAttention({ numHeads: 2, headSize: 3, dModel: 6, position: 'rope' }),
    ).toThrow(AttentionArgumentError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([null, undefined, [[[1, 2]]], 'x'])('apply(%j) is a typed error naming query', (q) => {
    const mha = tinyAttention({ rng: 1 });
    try {
      expect(() => mha.apply(q as unknown as tf.Tensor)).toThrow(/^query: expected a tf\.Tensor/);
      expect(() => mha.apply(q as unknown as tf.Tensor)).toThrow(AttentionArgumentError);
    } finally {
      mha.dispose();
    }
  });

  it.each(['int32', 'bool'] as const)('a %s query or memory is refused, not cast', (dtype) => {
    const mha = tinyAttention({ rng: 1 });
    const bad = tf.ones([1, 3, 4], dtype);
    const good = tf.ones([1, 3, 4]);
    const before = tf.memory().numTensors;
    try {
      expect(() => mha.apply(bad)).toThrow(`query: expected a float32 tensor, got`);
      expect(() => mha.apply(good, { value: bad })).toThrow(AttentionArgumentError);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      tf.dispose([bad, good]);
      mha.dispose();
    }
  });
});
