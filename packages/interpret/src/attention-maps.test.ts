import * as tf from '@tensorflow/tfjs-core';
import { assertNoLeaks, describeWithBackends, expectTensorsClose } from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { attentionMaps, attentionRollout, InterpretError, runWithCache } from './index.js';
import { tinyEncoderDecoder, tinyLM } from './testing/tiny-lm.js';

describeWithBackends('attentionMaps', () => {
  it('with zero query kernels every causal row is uniform over its prefix: 1/(t + 1)', async () => {
    const model = tinyLM();
    for (const [name, p] of model.namedParameters()) {
      if (/attn\.query\.(kernel|bias)$/.test(name)) p.assign(tf.zerosLike(p));
    }
    const ids = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
    await assertNoLeaks(async () => {
      const maps = attentionMaps(model, ids);
      expect(maps.names).toEqual(['blocks.0.attn.weights', 'blocks.1.attn.weights']);
      const expected = [0, 1, 2, 3].map((t) => [0, 1, 2, 3].map((s) => (s <= t ? 1 / (t + 1) : 0)));
      for (const w of maps.select(/weights$/)) {
        expect(w.shape).toEqual([1, 2, 4, 4]);
        await expectTensorsClose(w, [[expected, expected]], { atol: 1e-6 });
      }
      // Rollout of uniform causal layers, straight from the maps.
      const rollout = attentionRollout(maps.select(/weights$/));
      expect(rollout.shape).toEqual([1, 4, 4]);
      rollout.dispose();
      maps.dispose();
    });
    ids.dispose();
    model.dispose();
  });

  it('an EncoderDecoder gives encoder, decoder-self and cross maps by kind', () => {
    const model = tinyEncoderDecoder();
    const src = tf.tensor2d([[1, 2, 3, 4, 5]], [1, 5], 'int32');
    const tgt = tf.tensor2d([[1, 2]], [1, 2], 'int32');
    for (const [kind, name, shape] of [
      ['encoder', 'encoder.layers.0.attn.weights', [1, 2, 5, 5]],
      ['self', 'decoder.layers.0.selfAttn.weights', [1, 2, 2, 2]],
      ['cross', 'decoder.layers.0.crossAttn.weights', [1, 2, 2, 5]],
    ] as const) {
      const maps = attentionMaps(model, { src, tgt }, { kind });
      expect(maps.names).toEqual([name]);
      expect(maps.get(name).shape).toEqual(shape);
      maps.dispose();
    }
    const all = attentionMaps(model, { src, tgt });
    expect(all.size).toBe(3);
    all.dispose();
    expect(() => attentionMaps(model, src)).toThrow(InterpretError);
    tf.dispose([src, tgt]);
    model.dispose();
  });

  it('runWithCache rejects names that are not hook points, and names what it has', () => {
    const model = tinyLM();
    const ids = tf.tensor2d([[1, 2]], [1, 2], 'int32');
    expect(() => runWithCache(model, ids, ['blocks.9.residPost'])).toThrow(/not hook points/);
    const { logits, cache } = runWithCache(model, ids, ['lnF.output']);
    expect(() => cache.get('wte.output')).toThrow(/cached: lnF.output/);
    tf.dispose(logits);
    cache.dispose();
    ids.dispose();
    model.dispose();
  });
});
