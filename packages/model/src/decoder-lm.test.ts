import * as tf from '@tensorflow/tfjs-core';
import {
  assertNoLeaks,
  describeWithBackends,
  expectTensorsClose,
  maxAbsDiff,
  numericGradient,
  randomFloats,
  randomizeParameters,
  refGpt2Forward,
} from '@tformer/test-utils';
import { AdamW, clipByGlobalNorm, crossEntropy } from '@tformer/train';
import { expect, it } from 'vitest';
import { decoderLMStateToGPT2 } from './gpt2-names.js';
import {
  DECODER_LM_PRESETS,
  DecoderLM,
  type DecoderLMConfig,
  decoderLMParameterCount,
  ModelArgumentError,
} from './index.js';

describeWithBackends('DecoderLM.parameterCount', () => {
  it("is nanoGPT's 10.65M for the real shakespeare-char model", () => {
    const model = new DecoderLM(DECODER_LM_PRESETS.shakespeareChar, { rng: 0 });
    const positions = 256 * 384;
    expect(model.parameterCount() - positions).toBe(
      decoderLMParameterCount(DECODER_LM_PRESETS.shakespeareChar, { includePositions: false }),
    );
    expect(((model.parameterCount() - positions) / 1e6).toFixed(2)).toBe('10.65');
    model.dispose();
  });

  const tiny = { vocabSize: 11, maxLength: 8, numLayers: 2, numHeads: 4, dModel: 16 } as const;
  it.each<DecoderLMConfig>([
    DECODER_LM_PRESETS.baby,
    { ...tiny, useBias: true },
    { ...tiny, useBias: false, tieEmbeddings: false },
    { ...tiny, numKeyValueHeads: 2, activation: 'swiglu', dFF: 24 },
    { ...tiny, position: 'rope', activation: 'relu' },
  ])('equals the closed form for %o', (config) => {
    const model = new DecoderLM(config, { rng: 1 });
    expect(model.parameterCount()).toBe(decoderLMParameterCount(config));
    model.dispose();
  });
}, ['cpu']);

const dims = { V: 7, C: 8, H: 2, L: 2, P: 6 };
const gpt2Config: DecoderLMConfig = {
  vocabSize: dims.V,
  maxLength: dims.P,
  numLayers: dims.L,
  numHeads: dims.H,
  dModel: dims.C,
  activation: 'gelu_tanh',
  useBias: true,
};

describeWithBackends('DecoderLM', () => {
  const ids = [
    [1, 4, 6, 0, 2],
    [3, 3, 5, 1, 6],
  ];

  it('matches a float64 GPT-2 forward pass from the same weights, without leaks', async () => {
    const model = new DecoderLM(gpt2Config, { rng: 2 });
    randomizeParameters(model, 40);
    const { state, created } = decoderLMStateToGPT2(model.stateDict(), model.config);
    const weights = Object.fromEntries(
      Object.entries(state).map(([n, t]) => [n, Float64Array.from(t.dataSync())]),
    );
    tf.dispose(created);
    const expected = refGpt2Forward(ids, weights, dims);
    const input = tf.tensor2d(ids, undefined, 'int32');
    await assertNoLeaks(async () => {
      const logits = model.apply(input);
      expect(logits.shape).toEqual([2, 5, dims.V]);
      await expectTensorsClose(logits, expected, { atol: 1e-4, rtol: 1e-4 });
      logits.dispose();
    });
    input.dispose();
    model.dispose();
  });

  it('has the gradients of the float64 reference for the tied embedding and the positions, without leaks', async () => {
    const model = new DecoderLM({ ...gpt2Config, numLayers: 1 }, { rng: 3 });
    randomizeParameters(model, 50);
    const { state, created } = decoderLMStateToGPT2(model.stateDict(), model.config);
    const weights = Object.fromEntries(
      Object.entries(state).map(([n, t]) => [n, Float64Array.from(t.dataSync())]),
    );
    tf.dispose(created);
    const r = randomFloats(2 * 5 * dims.V, 9);
    // 5 of the P = 6 position rows are used: the last one's gradient is zero.
    const numeric = (name: string) =>
      numericGradient(
        (table) => {
          const out = refGpt2Forward(ids, { ...weights, [name]: table }, { ...dims, L: 1 });
          return out.reduce((s, v, i) => s + v * r[i]!, 0);
        },
        weights[name]!,
        1e-6,
      );
    const input = tf.tensor2d(ids, undefined, 'int32');
    const rt = tf.tensor(Float32Array.from(r), [2, 5, dims.V]);
    const tables = [model.wte.embeddings, model.wpe!.embeddings];
    await assertNoLeaks(async () => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.mul(model.apply(input), rt)) as tf.Scalar,
        tables,
      );
      for (const [table, name] of [
        [tables[0]!, 'wte.weight'],
        [tables[1]!, 'wpe.weight'],
      ] as const) {
        await expectTensorsClose(grads[table.name]!, numeric(name), { atol: 2e-3, rtol: 2e-3 });
      }
      tf.dispose([value, ...Object.values(grads)]);
    });
    tf.dispose([input, rt]);
    model.dispose();
  });

  it('gives the same logits with a KV cache, one position at a time', async () => {
    for (const position of ['learned', 'rope'] as const) {
      const model = new DecoderLM({ ...gpt2Config, position }, { rng: 4 });
      model.eval();
      const { DecoderCache } = await import('./index.js');
      const input = tf.tensor2d(ids, undefined, 'int32');
      await assertNoLeaks(async () => {
        const full = model.apply(input);
        const cache = new DecoderCache(dims.L);
        const steps = [0, 1, 2, 3, 4].map((t) =>
          tf.tidy(() => model.apply(tf.slice(input, [0, t], [2, 1]), { cache })),
        );
        const stepped = tf.concat(steps, 1);
        expect(await maxAbsDiff(full, stepped)).toBeLessThan(1e-4);
        tf.dispose([full, stepped, ...steps]);
        cache.dispose();
      });
      input.dispose();
      model.dispose();
    }
  });

  it('trains (dropout on, AdamW, clipping) without leaking a tensor and lowers the loss', async () => {
    const model = new DecoderLM({ ...gpt2Config, dropout: 0.1 }, { rng: 7 });
    const optimizer = new AdamW(model.namedParameters(), { weightDecay: 0.1 });
    const x = tf.tensor2d(ids, undefined, 'int32');
    const y = tf.tensor2d(
      ids.map((r) => [...r.slice(1), 0]),
      undefined,
      'int32',
    );
    const params = model.trainableParameters();
    const losses = await assertNoLeaks(() =>
      Array.from({ length: 8 }, () => {
        const { value, grads } = tf.variableGrads(() => crossEntropy(model.apply(x), y), params);
        const clipped = clipByGlobalNorm(grads, 1);
        optimizer.step(clipped.grads, 1e-2);
        const loss = value.dataSync()[0]!;
        tf.dispose([value, clipped.norm, ...Object.values(grads), ...Object.values(clipped.grads)]);
        return loss;
      }),
    );
    expect(losses.at(-1)!).toBeLessThan(losses[0]! - 0.2);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  });

  it('rejects more positions than maxLength and non-int32 ids, naming the argument', () => {
    const model = new DecoderLM(gpt2Config, { rng: 5 });
    const long = tf.zeros([1, 7], 'int32');
    const float = tf.zeros([1, 2]);
    expect(() => model.apply(long)).toThrow(ModelArgumentError);
    expect(() => model.apply(long)).toThrow('ids: expected at most maxLength 6 positions, got 7');
    expect(() => model.apply(float)).toThrow(/ids: expected an int32 tensor \[B, T\]/);
    tf.dispose([long, float]);
    model.dispose();
  });

  it('saves every dropout generator (attention included), so a copy draws the same masks', async () => {
    const config = { ...gpt2Config, dropout: 0.3 };
    const model = new DecoderLM(config, { rng: 7 });
    const copy = new DecoderLM(config, { rng: 8 });
    const weights = model.stateDict();
    copy.loadStateDict(weights);
    tf.dispose(Object.values(weights));
    expect(Object.keys(model.randomState())).toContain('blocks.0.attn.rng');
    const ids = tf.tensor2d([[1, 2, 3, 4, 5, 6]], [1, 6], 'int32');
    const warmUp = model.apply(ids); // advances model's generators past their initial state
    copy.loadRandomState(model.randomState());
    const [a, b] = [model.apply(ids), copy.apply(ids)];
    expect(await maxAbsDiff(a, b)).toBe(0);
    const c = copy.apply(ids); // the next masks differ from the ones just drawn
    expect(await maxAbsDiff(b, c)).toBeGreaterThan(0);
    tf.dispose([ids, warmUp, a, b, c]);
    model.dispose();
    copy.dispose();
  });

  it('round-trips its config', () => {
    const model = new DecoderLM(gpt2Config, { rng: 6 });
    const copy = DecoderLM.fromConfig(model.getConfig());
    expect(copy.getConfig()).toEqual(model.getConfig());
    expect(copy.parameterCount()).toBe(model.parameterCount());
    model.dispose();
    copy.dispose();
  });
});
