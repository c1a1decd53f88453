import * as tf from '@tensorflow/tfjs-core';
import { sinusoidalTable } from '@tformer/embeddings';
import {
  assertNoLeaks,
  describeWithBackends,
  expectTensorsClose,
  maxAbsDiff,
  randomizeParameters,
} from '@tformer/test-utils';
import { crossEntropy } from '@tformer/train';
import { expect, it } from 'vitest';
import { DecoderCache } from './decoder-cache.js';
import { DecoderLM, type DecoderLMConfig, decoderLMParameterCount } from './index.js';

// The attention variants a DecoderLM can be built with (sinusoidal/ALiBi positions, sliding
// window, memory-efficient kernel). The kernels themselves are checked against float64
// references in @tformer/attention and @tformer/embeddings; these tests check the model wires
// them in: each variant against an independent construction or a property it must have.
const base = { vocabSize: 13, maxLength: 12, numLayers: 2, numHeads: 2, dModel: 8 } as const;
const ids = (rows: number[][]) => tf.tensor2d(rows, [rows.length, rows[0]!.length], 'int32');
const seq = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8];

/** Logits of `model` for `tokens` fed one at a time through a KV cache, `[1, T, V]`. */
function incremental(model: DecoderLM, tokens: number[]): tf.Tensor {
  const cache = new DecoderCache(model.config.numLayers);
  const steps = tokens.map((t) => {
    const x = ids([[t]]);
    const logits = model.apply(x, { cache });
    x.dispose();
    return logits;
  });
  const out = tf.concat(steps, 1);
  tf.dispose(steps);
  cache.dispose();
  return out;
}

describeWithBackends('DecoderLM attention variants', () => {
  it("sinusoidal equals a learned-position model holding the paper's table", async () => {
    const sin = new DecoderLM({ ...base, position: 'sinusoidal' }, { rng: 1 });
    const learned = new DecoderLM({ ...base, position: 'learned' }, { rng: 1 });
    randomizeParameters(sin, 2);
    // Same weights, and the sinusoid's fixed table as the learned one's positions.
    const state = { ...sin.stateDict() };
    const table = tf.tensor2d(sinusoidalTable(base.maxLength, base.dModel), [12, 8]);
    learned.loadStateDict({ ...state, 'wpe.embeddings': table });
    table.dispose();
    expect(sin.parameterCount()).toBe(learned.parameterCount() - base.maxLength * base.dModel);
    expect(sin.parameterCount()).toBe(decoderLMParameterCount({ ...base, position: 'sinusoidal' }));
    const x = ids([seq, [...seq].reverse()]);
    const a = sin.apply(x);
    const b = learned.apply(x);
    await expectTensorsClose(a, b, { atol: 1e-5 });
    // Explicit per-row positions (left-padded batched generation) take the gather path.
    const positions = tf.tensor2d([Array.from({ length: 12 }, (_, i) => i)], [1, 12], 'int32');
    const c = sin.apply(x, { positions });
    await expectTensorsClose(c, b, { atol: 1e-5 });
    const cached = incremental(sin, seq);
    await expectTensorsClose(cached, tf.slice(b, [0, 0, 0], [1, 12, 13]), { atol: 1e-4 });
    tf.dispose([x, a, b, c, positions, cached]);
    sin.dispose();
    learned.dispose();
  });

  it.each<DecoderLMConfig['position']>(['alibi', 'rope'])(
    '%s: cached decoding equals the full pass, and the model has no position table',
    async (position) => {
      const model = new DecoderLM({ ...base, position }, { rng: 3 });
      randomizeParameters(model, 4);
      expect(model.wpe).toBeUndefined();
      expect(model.blocks.at(0).attn.config.position).toBe(position);
      const x = ids([seq]);
      const full = model.apply(x);
      const cached = incremental(model, seq);
      await expectTensorsClose(cached, full, { atol: 1e-4 });
      tf.dispose([x, full, cached]);
      model.dispose();
    },
  );

  it('window w: a token outside every receptive field leaves the logits unchanged', async () => {
    // One layer sees keys t−w+1 … t; two layers see t−2(w−1) … t.
    for (const [numLayers, window, firstBlind] of [
      [1, 3, 3],
      [2, 3, 5],
    ] as const) {
      const model = new DecoderLM({ ...base, numLayers, window }, { rng: 5 });
      randomizeParameters(model, 6);
      const changed = [7, ...seq.slice(1)];
      const x = ids([seq, changed]);
      const logits = model.apply(x);
      const [a, b] = tf.split(logits, 2, 0);
      const diff = tf.max(tf.abs(tf.sub(a!, b!)), 2); // [1, T]
      const perPosition = Array.from(await diff.data());
      expect(perPosition[firstBlind - 1]).toBeGreaterThan(1e-4);
      for (const d of perPosition.slice(firstBlind)) expect(d).toBeLessThan(1e-6);
      // The same window holds in cached decoding.
      const cached = incremental(model, seq);
      await expectTensorsClose(cached, a!, { atol: 1e-4 });
      tf.dispose([x, logits, a!, b!, diff, cached]);
      model.dispose();
    }
  });

  it('memoryEfficient gives the same logits and gradients as the plain kernel', async () => {
    // 300 positions: two tiles of the kernel's 256.
    const config = { ...base, numLayers: 1, maxLength: 300 } as const;
    const plain = new DecoderLM(config, { rng: 7 });
    const chunked = new DecoderLM({ ...config, memoryEfficient: true }, { rng: 7 });
    const tokens = Array.from({ length: 300 }, (_, i) => (i * 7) % 13);
    const x = ids([tokens]);
    const y = ids([tokens.map((t) => (t + 1) % 13)]);
    const run = (m: DecoderLM) =>
      tf.variableGrads(() => crossEntropy(m.apply(x), y) as tf.Scalar, m.trainableParameters());
    const a = run(plain);
    const b = run(chunked);
    expect(await maxAbsDiff(a.value, b.value)).toBeLessThan(1e-5);
    const names = plain.namedParameters().map(([n]) => n);
    const ga = Object.values(a.grads);
    const gb = Object.values(b.grads);
    for (let i = 0; i < names.length; i++) {
      await expectTensorsClose(gb[i]!, ga[i]!, { atol: 1e-5 });
    }
    tf.dispose([x, y, a.value, b.value, ...ga, ...gb]);
    plain.dispose();
    chunked.dispose();
  });

  it('leaves no tensors behind with every variant', async () => {
    for (const extra of [
      { position: 'sinusoidal' },
      { position: 'alibi', window: 4 },
      { memoryEfficient: true },
    ] as const) {
      const model = new DecoderLM({ ...base, ...extra }, { rng: 8 });
      const x = ids([seq]);
      await assertNoLeaks(() => tf.dispose(model.apply(x)));
      x.dispose();
      model.dispose();
    }
  });

  it('names the field of a bad variant', () => {
    expect(() => new DecoderLM({ ...base, position: 'relative' as never })).toThrow(
      /position.*learned, sinusoidal, rope, alibi/,
    );
    expect(() => new DecoderLM({ ...base, window: -2 })).toThrow(/window.*positive integer/);
    expect(() => new DecoderLM({ ...base, window: 2.5 })).toThrow(/window/);
    expect(() => new DecoderLM({ ...base, memoryEfficient: 'yes' as never })).toThrow(
      /memoryEfficient.*boolean/,
    );
  });
});
