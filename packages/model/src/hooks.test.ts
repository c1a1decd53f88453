import * as tf from '@tensorflow/tfjs-core';
import { assertNoLeaks, describeWithBackends, expectTensorsClose } from '@tformer/test-utils';
import { expect, it } from 'vitest';
import {
  DecoderLM,
  EncoderClassifier,
  EncoderDecoder,
  type Hooks,
  ModelArgumentError,
  VisionTransformer,
} from './index.js';

const lmConfig = { vocabSize: 11, maxLength: 8, numLayers: 2, numHeads: 2, dModel: 8 } as const;
const ids = () => tf.tensor2d([[1, 4, 2, 7, 3]], [1, 5], 'int32');

/** Hooks that keep a copy of each named activation into `into` (the test disposes them). */
function caching(names: readonly string[], into: Map<string, tf.Tensor>): Hooks {
  return Object.fromEntries(
    names.map((name) => [name, (t: tf.Tensor) => void into.set(name, tf.keep(t.clone()))]),
  );
}

describeWithBackends('hook points', () => {
  it('DecoderLM lists its points and reads every one without changing the logits or leaking', async () => {
    const model = new DecoderLM(lmConfig, { rng: 3 });
    const x = ids();
    const points = model.hookPoints();
    expect(points.slice(0, 3)).toEqual([
      'wte.output',
      'blocks.0.residPre',
      'blocks.0.attn.weights',
    ]);
    expect(points).toContain('blocks.1.attn.headOutput');
    expect(points.at(-1)).toBe('lnF.output');
    const plain = model.apply(x);
    const cache = new Map<string, tf.Tensor>();
    await assertNoLeaks(async () => {
      const hooked = model.apply(x, { hooks: caching(points, cache) });
      await expectTensorsClose(hooked, plain, { atol: 0, rtol: 0 });
      hooked.dispose();
      // The caller owns exactly the cached copies.
      expect(tf.memory().numTensors).toBeGreaterThan(0);
      tf.dispose([...cache.values()]);
    });
    expect(cache.size).toBe(points.length);
    tf.dispose([plain, x]);
    model.dispose();
  });

  it('weights are causal probabilities [B, nh, T, T]; headOutput is [B, nh, T, hs]', async () => {
    const model = new DecoderLM(lmConfig, { rng: 3 });
    const x = ids();
    const cache = new Map<string, tf.Tensor>();
    tf.dispose(
      model.apply(x, {
        hooks: caching(['blocks.1.attn.weights', 'blocks.1.attn.headOutput'], cache),
      }),
    );
    const w = cache.get('blocks.1.attn.weights')!;
    expect(w.shape).toEqual([1, 2, 5, 5]);
    await expectTensorsClose(tf.sum(w, -1), tf.ones([1, 2, 5]));
    const rows = (await w.array()) as number[][][][];
    expect(rows[0]![0]![1]![2]).toBe(0); // position 1 cannot see position 2
    expect(cache.get('blocks.1.attn.headOutput')!.shape).toEqual([1, 2, 5, 4]);
    tf.dispose([...cache.values(), x]);
    model.dispose();
  });

  it('patching with the activation itself changes nothing; zeroing a head or replacing the weights does', async () => {
    const model = new DecoderLM(lmConfig, { rng: 3 });
    const x = ids();
    const plain = model.apply(x);
    await assertNoLeaks(async () => {
      const same = model.apply(x, {
        hooks: {
          'blocks.0.attn.headOutput': (t) => t.clone(),
          'blocks.1.residMid': (t) => t.clone(),
          'blocks.0.attn.weights': (t) => t.clone(),
        },
      });
      await expectTensorsClose(same, plain, { atol: 1e-6 });
      const zeroHead = (t: tf.Tensor) => tf.mul(t, tf.reshape(tf.tensor1d([0, 1]), [1, 2, 1, 1]));
      const ablated = model.apply(x, { hooks: { 'blocks.0.attn.headOutput': zeroHead } });
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(ablated, plain))));
      expect(diff.dataSync()[0]).toBeGreaterThan(1e-4);
      diff.dispose();
      tf.dispose([same, ablated]);
    });
    tf.dispose([plain, x]);
    model.dispose();
  });

  it('a replaced final hidden state is what the logits are made from', async () => {
    const model = new DecoderLM(lmConfig, { rng: 3 });
    const x = ids();
    const h = tf.randomNormal([1, 5, 8], 0, 1, 'float32', 1);
    const logits = model.apply(x, { hooks: { 'lnF.output': () => h } });
    await expectTensorsClose(logits, model.logits(h));
    tf.dispose([logits, h, x]);
    model.dispose();
  });

  it('rejects unknown names and replacements of the wrong shape', () => {
    const model = new DecoderLM(lmConfig, { rng: 3 });
    const x = ids();
    const before = tf.memory().numTensors;
    expect(() => model.apply(x, { hooks: { 'blocks.0.attn.weight': () => {} } })).toThrow(
      ModelArgumentError,
    );
    expect(() => model.apply(x, { hooks: { 'blocks.0.attn.weight': () => {} } })).toThrow(
      /blocks\.0\.attn\.weight\b.*|hook point/,
    );
    expect(() =>
      model.apply(x, { hooks: { 'blocks.0.residPost': () => tf.zeros([1, 5, 9]) } }),
    ).toThrow(/hook 'blocks.0.residPost' result: expected float32 \[1, 5, 8\]/);
    expect(() =>
      model.apply(x, { hooks: { 'blocks.0.attn.weights': () => tf.zeros([1, 2, 5, 4]) } }),
    ).toThrow(/hook 'blocks.0.attn.weights' result/);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  it('EncoderDecoder exposes encoder, decoder self- and cross-attention weights', async () => {
    const model = new EncoderDecoder(
      {
        srcVocabSize: 9,
        tgtVocabSize: 9,
        numLayers: 1,
        dModel: 8,
        numHeads: 2,
        dFF: 16,
        dropout: 0,
        maxLength: 8,
      },
      { rng: 1 },
    );
    const src = tf.tensor2d([[1, 2, 3, 4, 5, 6]], [1, 6], 'int32');
    const tgt = tf.tensor2d([[1, 2, 3]], [1, 3], 'int32');
    const names = [
      'srcEmbed.output',
      'encoder.layers.0.attn.weights',
      'decoder.layers.0.selfAttn.weights',
      'decoder.layers.0.crossAttn.weights',
      'decoder.layers.0.crossAttn.headOutput',
      'decoder.layers.0.residPost',
    ];
    for (const n of names) expect(model.hookPoints()).toContain(n);
    const cache = new Map<string, tf.Tensor>();
    const plain = model.apply(src, tgt);
    const hooked = model.apply(src, tgt, { hooks: caching(names, cache) });
    await expectTensorsClose(hooked, plain, { atol: 0, rtol: 0 });
    expect(cache.get('encoder.layers.0.attn.weights')!.shape).toEqual([1, 2, 6, 6]);
    expect(cache.get('decoder.layers.0.selfAttn.weights')!.shape).toEqual([1, 2, 3, 3]);
    const cross = cache.get('decoder.layers.0.crossAttn.weights')!;
    expect(cross.shape).toEqual([1, 2, 3, 6]);
    await expectTensorsClose(tf.sum(cross, -1), tf.ones([1, 2, 3]));
    tf.dispose([...cache.values(), src, tgt, plain, hooked]);
    model.dispose();
  });

  it('EncoderClassifier and VisionTransformer share the block hook points', () => {
    const classifier = new EncoderClassifier(
      { vocabSize: 9, maxLength: 6, dModel: 8, numHeads: 2, dFF: 8, numClasses: 2, dropout: 0 },
      { rng: 1 },
    );
    const vit = new VisionTransformer(
      {
        imageSize: 8,
        patchSize: 4,
        channels: 1,
        dModel: 8,
        numHeads: 2,
        numLayers: 1,
        numClasses: 3,
      },
      { rng: 1 },
    );
    const cache = new Map<string, tf.Tensor>();
    const x = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
    const images = tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 2);
    tf.dispose(
      classifier.apply(x, {
        hooks: caching(['tokenEmbed.output', 'blocks.0.attn.weights'], cache),
      }),
    );
    expect(cache.get('blocks.0.attn.weights')!.shape).toEqual([1, 2, 4, 4]);
    tf.dispose([...cache.values()]);
    cache.clear();
    tf.dispose(
      vit.apply(images, { hooks: caching(['blocks.0.attn.weights', 'norm.output'], cache) }),
    );
    expect(cache.get('blocks.0.attn.weights')!.shape).toEqual([2, 2, 5, 5]); // 4 patches + [class]
    expect(cache.get('norm.output')!.shape).toEqual([2, 8]);
    tf.dispose([...cache.values(), x, images]);
    classifier.dispose();
    vit.dispose();
  });
});
