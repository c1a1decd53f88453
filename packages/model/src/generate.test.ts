import { createRng } from '@tformer/nn';
import { assertNoLeaks, describeWithBackends, randomizeParameters } from '@tformer/test-utils';
import { describe, expect, it } from 'vitest';
import { beamSearchDecoderLM, generate, generateStream } from './generate.js';
import { DecoderLM, type DecoderLMConfig, ModelArgumentError } from './index.js';
import { applyRepetitionPenalty, sampleIndex, samplingDistribution } from './sampling.js';

describe('sampling', () => {
  const logits = [2, 1, 0, -1, 3];

  it('top-k keeps the k most likely tokens and renormalises', () => {
    const p = samplingDistribution(logits, { topK: 2 });
    expect([...p].map((x) => x > 0)).toEqual([true, false, false, false, true]);
    expect(p[4]! / p[0]!).toBeCloseTo(Math.E, 10);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('top-p keeps the smallest set reaching the mass, at least one token', () => {
    // softmax ≈ [0.233, 0.086, 0.032, 0.012, 0.637]: 0.637 < 0.8 ≤ 0.637 + 0.233.
    expect([...samplingDistribution(logits, { topP: 0.8 })].map((x) => x > 0)).toEqual([
      true,
      false,
      false,
      false,
      true,
    ]);
    expect([...samplingDistribution(logits, { topP: 0.1 })].map((x) => x > 0)).toEqual([
      false,
      false,
      false,
      false,
      true,
    ]);
  });

  it('temperature flattens or sharpens', () => {
    const hot = samplingDistribution(logits, { temperature: 10 });
    const cold = samplingDistribution(logits, { temperature: 0.1 });
    expect(hot[4]!).toBeLessThan(0.3);
    expect(cold[4]!).toBeGreaterThan(0.99);
  });

  it('repetition penalty divides positive and multiplies negative logits of seen tokens', () => {
    const l = Float32Array.from(logits);
    applyRepetitionPenalty(l, [0, 3, 0], 2);
    expect([...l]).toEqual([1, 1, 0, -2, 3]);
  });

  it('draws with the frequencies of the distribution, reproducibly from a seed', () => {
    const probs = [0.1, 0.6, 0.3];
    const draw = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 3000 }, () => sampleIndex(probs, rng));
    };
    const a = draw(7);
    expect(draw(7)).toEqual(a);
    const freq = [0, 1, 2].map((k) => a.filter((x) => x === k).length / a.length);
    freq.forEach((f, k) => {
      expect(Math.abs(f - probs[k]!)).toBeLessThan(0.03);
    });
  });
});

const config: DecoderLMConfig = {
  vocabSize: 13,
  maxLength: 12,
  numLayers: 2,
  numHeads: 2,
  dModel: 8,
  useBias: true,
};

describeWithBackends('generate', () => {
  function model(position: 'learned' | 'rope', seed: number): DecoderLM {
    const m = new DecoderLM({ ...config, position }, { rng: seed });
    randomizeParameters(m, seed * 100);
    return m;
  }

  it.each(['learned', 'rope'] as const)(
    '%s: the KV cache gives the same tokens as recomputing, past the context, without leaks',
    async (position) => {
      const m = model(position, 1);
      const prompts = [[1, 2, 3]];
      for (const sampling of [{}, { doSample: true, temperature: 0.9, topK: 5, seed: 3 }]) {
        // 3 + 14 > maxLength 12; RoPE would slide a rolling cache by default (decode-step.test.ts)
        const opts = { maxNewTokens: 14, contextOverflow: 'crop' as const, ...sampling };
        const cached = await assertNoLeaks(() => generate(m, prompts, opts));
        const plain = await assertNoLeaks(() => generate(m, prompts, { ...opts, useCache: false }));
        expect(cached[0]).toHaveLength(14);
        expect(cached).toEqual(plain);
      }
      m.dispose();
    },
  );

  it.each(['learned', 'rope'] as const)(
    '%s: a left-padded batch gives each row the tokens it gets alone',
    async (position) => {
      const m = model(position, 2);
      const prompts = [[4], [5, 6, 7, 8], [9, 10]];
      for (const useCache of [true, false]) {
        const batch = await generate(m, prompts, { maxNewTokens: 5, useCache });
        const alone = await Promise.all(
          prompts.map(async (p) => (await generate(m, [p], { maxNewTokens: 5, useCache }))[0]),
        );
        expect(batch).toEqual(alone);
      }
      m.dispose();
    },
  );

  it('stops a row at a stop token and streams one step at a time', async () => {
    const m = model('learned', 3);
    const free = (await generate(m, [[1, 2]], { maxNewTokens: 6 }))[0]!;
    const stop = free[2]!;
    const first = free.indexOf(stop);
    const stopped = (await generate(m, [[1, 2]], { maxNewTokens: 6, stopTokens: [stop] }))[0]!;
    expect(stopped).toEqual(free.slice(0, first + 1));
    const steps = [];
    for await (const s of generateStream(m, [[1, 2]], { maxNewTokens: 4 })) steps.push(s);
    expect(steps.map((s) => s.tokens[0])).toEqual(free.slice(0, 4));
    expect(steps.map((s) => s.step)).toEqual([0, 1, 2, 3]);
    m.dispose();
  });

  it('beam search: one beam is greedy; more beams never score lower', async () => {
    const m = model('learned', 5);
    const greedy = (await generate(m, [[1, 2]], { maxNewTokens: 4 }))[0];
    const [one] = await beamSearchDecoderLM(m, [1, 2], { numBeams: 1, maxNewTokens: 4 });
    expect(one!.tokens).toEqual(greedy);
    const [wide] = await assertNoLeaks(() =>
      beamSearchDecoderLM(m, [1, 2], { numBeams: 4, maxNewTokens: 4, lengthPenalty: 0 }),
    );
    expect(wide!.logProb).toBeGreaterThanOrEqual(one!.logProb - 1e-5);
    m.dispose();
  });

  it('rejects bad arguments by name', async () => {
    const m = model('learned', 4);
    await expect(generate(m, [[1, 13]], { maxNewTokens: 1 })).rejects.toThrow(
      'prompts[0]: expected token ids in [0, 13), got 13',
    );
    await expect(generate(m, [[1]], { maxNewTokens: 1, topP: 0 })).rejects.toThrow(
      ModelArgumentError,
    );
    m.dispose();
  });
});
