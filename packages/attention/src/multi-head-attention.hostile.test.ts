import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends } from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { AttentionArgumentError, AttentionShapeError } from './errors.js';
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

  it('a flat query [B·T, dModel] needs a batchSize dividing its rows, leaking no tensor', () => {
    const mha = tinyAttention({ rng: 1 });
    const rows = tf.ones([6, 4]);
    const before = tf.memory().numTensors;
    try {
      expect(() => mha.apply(rows)).toThrow(AttentionShapeError);
      expect(() => mha.apply(rows, { batchSize: 4 })).toThrow(
        'query: expected shape [B·T, 4] with B = 4, got [6, 4]',
      );
      for (const batchSize of [0, 1.5]) {
        expect(() => mha.apply(rows, { batchSize })).toThrow(
          /^call\.batchSize: expected a positive integer/,
        );
      }
      expect(() => mha.apply(tf.ones([6, 3]), { batchSize: 2 })).toThrow(AttentionShapeError);
      expect(tf.memory().numTensors).toBe(before + 1); // the [6, 3] input only
    } finally {
      tf.dispose(rows);
      mha.dispose();
    }
  });
});
