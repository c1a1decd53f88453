import * as tf from '@tensorflow/tfjs-core';
import { assertNoLeaks, describeWithBackends, randomizeParameters } from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { DecodeStep } from './decode-step.js';
import { DecoderCache } from './decoder-cache.js';
import { generate } from './generate.js';
import { DecoderLM, type DecoderLMConfig, ModelArgumentError } from './index.js';

const base: DecoderLMConfig = {
  vocabSize: 11,
  maxLength: 10,
  numLayers: 2,
  numHeads: 4,
  dModel: 16,
  useBias: true,
};

/** Every position kind, and the variants the one-token path treats apart. */
const VARIANTS: Record<string, Partial<DecoderLMConfig>> = {
  learned: {},
  sinusoidal: { position: 'sinusoidal', activation: 'gelu_tanh' },
  rope: { position: 'rope', numKeyValueHeads: 2, useBias: false },
  alibi: { position: 'alibi', norm: 'rms', activation: 'relu', tieEmbeddings: false },
  'rope, window 3, swiglu': { position: 'rope', window: 3, activation: 'swiglu' },
  'learned, window 4, MQA': { window: 4, numKeyValueHeads: 1 },
};

function model(extra: Partial<DecoderLMConfig>, seed: number): DecoderLM {
  const m = new DecoderLM({ ...base, ...extra }, { rng: seed });
  randomizeParameters(m, seed * 31);
  m.eval();
  return m;
}

/** The copy of `m` with a longer context (and `window`): the same weights, no position table. */
function longer(m: DecoderLM, maxLength: number, window: number): DecoderLM {
  const copy = new DecoderLM({ ...m.config, maxLength, window }, { rng: 0 });
  copy.loadStateDict(m.stateDict());
  copy.eval();
  return copy;
}

/** Greedy tokens by recomputing the whole sequence at every step (no cache, no crop). */
async function greedyByRecomputing(m: DecoderLM, prompt: number[], n: number): Promise<number[]> {
  const ids = [...prompt];
  for (let i = 0; i < n; i++) {
    const last = tf.tidy(() => {
      const logits = m.apply(tf.tensor2d(ids, [1, ids.length], 'int32')); // [1, T, V]
      return tf.argMax(tf.reshape(tf.slice(logits, [0, ids.length - 1, 0], [1, 1, -1]), [-1]));
    });
    ids.push((await last.data())[0]!);
    last.dispose();
  }
  return ids.slice(prompt.length);
}

/**
 * Feeds the first `prompt` positions of `ids` through the layer path into a cache, then every
 * later position through `DecodeStep`, one token per row, and expects each step's logits to equal
 * the full forward pass's at that position within 1e-5, without leaks.
 */
async function expectStepsMatchFullPass(m: DecoderLM, ids: number[][], prompt: number) {
  const [B, T] = [ids.length, ids[0]!.length];
  const full = tf.tidy(() => m.apply(tf.tensor2d(ids, [B, T], 'int32'))); // [B, T, V]
  const expected = (await full.array()) as number[][][];
  full.dispose();
  const V = m.config.vocabSize;
  await assertNoLeaks(async () => {
    const cache = new DecoderCache(m.config.numLayers);
    const step = new DecodeStep(m);
    tf.tidy(() => {
      m.hidden(
        tf.tensor2d(
          ids.map((row) => row.slice(0, prompt)),
          [B, prompt],
          'int32',
        ),
        { cache },
      );
    });
    for (let t = prompt; t < T; t++) {
      const window = m.config.window;
      if (window) cache.keepLast(window - 1);
      const logits = step.logits(
        { ids: ids.map((row) => row[t]!), positions: ids.map(() => t) },
        cache,
      );
      expect(logits.shape).toEqual([B, V]);
      const got = await logits.data();
      logits.dispose();
      expected.forEach((row, b) => {
        row[t]!.forEach((x, v) => {
          expect(Math.abs(got[b * V + v]! - x)).toBeLessThan(1e-5);
        });
      });
    }
    step.dispose();
    cache.dispose();
  });
}

describeWithBackends('DecodeStep (one-token decoding path)', () => {
  it.each(Object.keys(VARIANTS))(
    '%s: logits of every step equal the full forward pass (1e-5)',
    async (name) => {
      const m = model(VARIANTS[name]!, 3);
      const ids = [[1, 5, 2, 9, 4, 7, 3, 8, 6, 10]];
      await expectStepsMatchFullPass(m, ids, 3);
      m.dispose();
    },
  );

  it('a step launches at most 17 kernels per layer on node (the 4-layer baby: 73), 28 elsewhere (one q·k·v product)', async () => {
    // Kernels of one step at batch 1 over a 1-position cache (gelu_tanh, no biases: the `baby`
    // preset's layer), counted by tf.profile as launches registered for this backend.
    const perStep = async (numLayers: number) => {
      const m = model({ numLayers, activation: 'gelu_tanh', useBias: false }, 5);
      const cache = new DecoderCache(numLayers);
      const step = new DecodeStep(m);
      tf.dispose(step.logits({ ids: [1], positions: [0] }, cache));
      const info = await tf.profile(() => step.logits({ ids: [2], positions: [1] }, cache));
      tf.dispose(info.result as tf.Tensor);
      step.dispose();
      cache.dispose();
      m.dispose();
      return info.kernels.filter((k) => tf.getKernel(k.name, tf.getBackend())).length;
    };
    const [one, two] = [await perStep(1), await perStep(2)];
    expect(two - one).toBeLessThanOrEqual(tf.getBackend() === 'tensorflow' ? 17 : 28);
    if (tf.getBackend() === 'tensorflow') expect(one).toBeLessThanOrEqual(17 + 5); // embedding, final norm, head
  });

  it('a batch of rows meets each rank-2 weight as one matrix product (the weight not broadcast over B)', async () => {
    // A [3, 1, 1, C + 1] stream against a [C + 1, N] weight is a product of batch 3: wasm runs it
    // in its scalar loop and node as 3 products of one row (a batch-8 FFN 185 µs against 129 as
    // one product). Rows [3, C + 1] (off node) or [1, 1, 3, C + 1] (node) are one product.
    const m = model({ numLayers: 2, activation: 'gelu_tanh', useBias: false }, 4);
    const cache = new DecoderCache(2);
    const step = new DecodeStep(m);
    const input = (p: number) => ({ ids: [1, 4, 2], positions: [p, p, p] });
    tf.dispose(step.logits(input(0), cache));
    const info = await tf.profile(() => step.logits(input(1), cache));
    tf.dispose(info.result as tf.Tensor);
    step.dispose();
    cache.dispose();
    m.dispose();
    // tf.profile records the op's own shapes; a rank-2 operand is a weight.
    const products = info.kernels.filter(
      (k) => k.name === 'BatchMatMul' && k.inputShapes.some((s) => s.length === 2),
    );
    expect(products.length).toBeGreaterThanOrEqual(2 * 3 + 1); // out, up and down per layer, head
    const batch = (shape: number[]) => shape.slice(0, -2).reduce((a, n) => a * n, 1);
    const broadcast = products.filter((k) => k.inputShapes.some((s) => batch(s) > 1));
    expect(broadcast.map((k) => k.inputShapes)).toEqual([]);
  });

  it.each(Object.keys(VARIANTS))(
    '%s: a batch of 3 rows: the logits of each equal its own full forward pass (1e-5)',
    async (name) => {
      // Batch > 1 takes other kernels (Σ of squares off node; node's per-row reshape and columns).
      const m = model(VARIANTS[name]!, 9);
      const ids = [
        [1, 5, 2, 9, 4, 7, 3],
        [10, 2, 2, 6, 1, 0, 8],
        [3, 3, 7, 1, 9, 5, 2],
      ];
      await expectStepsMatchFullPass(m, ids, 2);
      m.dispose();
    },
  );

  it.each(Object.keys(VARIANTS))(
    '%s: cached (one-token path and layer path) and uncached generation agree, without leaks',
    async (name) => {
      const m = model(VARIANTS[name]!, 4);
      const opts = { maxNewTokens: 7, doSample: true, temperature: 0.8, seed: 5 };
      const fused = await assertNoLeaks(() => generate(m, [[1, 2, 3]], opts));
      const layers = await generate(m, [[1, 2, 3]], { ...opts, fusedStep: false });
      const plain = await generate(m, [[1, 2, 3]], { ...opts, useCache: false });
      expect(fused[0]).toHaveLength(7);
      expect(fused).toEqual(plain);
      expect(layers).toEqual(plain);
      m.dispose();
    },
  );

  it.each(Object.keys(VARIANTS))(
    '%s: a left-padded batch gives each row the tokens it gets alone',
    async (name) => {
      const m = model(VARIANTS[name]!, 5);
      const prompts = [[4], [5, 6, 7, 8], [9, 10], [2, 3, 1]];
      const batch = await assertNoLeaks(() => generate(m, prompts, { maxNewTokens: 5 }));
      for (const [b, p] of prompts.entries()) {
        expect(batch[b]).toEqual((await generate(m, [p], { maxNewTokens: 5 }))[0]);
      }
      m.dispose();
    },
  );

  it.each(['learned', 'sinusoidal'])(
    '%s: past the context the cache crops and recomputes as nanoGPT (= uncached)',
    async (name) => {
      const m = model(VARIANTS[name]!, 6);
      const opts = { maxNewTokens: 12 }; // 3 + 12 > maxLength 10
      const cached = await assertNoLeaks(() => generate(m, [[1, 2, 3]], opts));
      expect(cached).toEqual(await generate(m, [[1, 2, 3]], { ...opts, useCache: false }));
      await expect(
        generate(m, [[1]], { maxNewTokens: 1, contextOverflow: 'slide' }),
      ).rejects.toThrow(ModelArgumentError);
      m.dispose();
    },
  );

  it.each(['rope', 'alibi', 'rope, window 3, swiglu'])(
    '%s: past the context, rolling-cache logits equal the whole sequence recomputed (1e-5)',
    async (name) => {
      const m = model(VARIANTS[name]!, 8);
      const L = m.config.maxLength;
      const span = m.config.window || L;
      const reference = longer(m, 40, span);
      const ids = Array.from({ length: 16 }, (_, i) => (i * 7 + 3) % 11);
      const wholeT = tf.tidy(() => reference.apply(tf.tensor2d([ids], [1, 16], 'int32')));
      const whole = (await wholeT.array()) as number[][][];
      wholeT.dispose();
      const cache = new DecoderCache(m.config.numLayers);
      const step = new DecodeStep(m);
      tf.tidy(() => {
        m.hidden(tf.tensor2d([ids.slice(0, L)], [1, L], 'int32'), { cache });
      });
      let cropGap = 0; // how far nanoGPT's cropped recomputation is from it
      for (let t = L; t < 16; t++) {
        cache.keepLast(span - 1);
        const logits = step.logits({ ids: [ids[t]!], positions: [t] }, cache);
        const got = await logits.data();
        const crop = tf.tidy(() =>
          m.apply(tf.tensor2d([ids.slice(t + 1 - L, t + 1)], [1, L], 'int32')),
        );
        const cropped = (await crop.array()) as number[][][];
        tf.dispose([logits, crop]);
        whole[0]![t]!.forEach((x, v) => {
          expect(Math.abs(got[v]! - x)).toBeLessThan(1e-5);
          cropGap = Math.max(cropGap, Math.abs(cropped[0]![L - 1]![v]! - x));
        });
      }
      // Without a window, cropping loses the earliest tokens' past: another computation, which
      // the rolling cache must not be. (Window 3 over 2 layers sees 5 tokens: a crop of 10 is exact.)
      if (m.config.window) expect(cropGap).toBeLessThan(1e-5);
      else expect(cropGap).toBeGreaterThan(1e-3);
      step.dispose();
      cache.dispose();
      reference.dispose();
      m.dispose();
    },
  );

  it.each(['rope', 'alibi', 'rope, window 3, swiglu'])(
    '%s: past the context the rolling cache equals recomputing the whole sequence',
    async (name) => {
      const m = model(VARIANTS[name]!, 7);
      const span = m.config.window || m.config.maxLength;
      const reference = longer(m, 40, span);
      for (const prompt of [
        [1, 2, 3],
        [4, 5, 6, 7, 8, 9, 10, 1, 2, 3, 4, 5, 6], // longer than the context
      ]) {
        const expected = await greedyByRecomputing(reference, prompt, 14);
        for (const fusedStep of [true, false]) {
          const got = await assertNoLeaks(() =>
            generate(m, [prompt], { maxNewTokens: 14, fusedStep }),
          );
          expect(got[0]).toEqual(expected);
        }
      }
      const crop = await generate(m, [[1, 2, 3]], { maxNewTokens: 12, contextOverflow: 'crop' });
      expect(crop).toEqual(await generate(m, [[1, 2, 3]], { maxNewTokens: 12, useCache: false }));
      reference.dispose();
      m.dispose();
    },
  );
});
