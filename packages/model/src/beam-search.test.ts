import { assertNoLeaks, describeWithBackends, randomizeParameters } from '@tformer/test-utils';
import { describe, expect, it } from 'vitest';
import {
  beamSearch,
  beamSearchDecoderLM,
  beamSearchEncoderDecoder,
  generate,
  generateSeq2Seq,
  type Hypothesis,
  type NextLogProbs,
} from './generate.js';
import { DecoderLM, ModelArgumentError } from './index.js';
import { tinySeq2Seq } from './testing/tiny-seq2seq.js';

/** A next-token model from a table: prefix (joined) → probabilities over tokens 0 (stop), 1, 2. */
function tableModel(table: Record<string, number[]>): NextLogProbs {
  return async (prefixes) =>
    prefixes.map((p) => Float32Array.from(table[p.join(',')] ?? [1, 0, 0], (x) => Math.log(x)));
}

describe('beamSearch', () => {
  // Greedy takes 1 (0.6) and then at best 0.4; 2 (0.4) continues with 0.9: 0.36 > 0.24.
  const model = tableModel({
    '': [0, 0.6, 0.4],
    '1': [0.3, 0.4, 0.3],
    '2': [0.05, 0.9, 0.05],
  });

  it('finds the sequence greedy decoding misses', async () => {
    const [greedy] = await beamSearch(model, { numBeams: 1, maxNewTokens: 2, lengthPenalty: 0 });
    expect(greedy!.tokens).toEqual([1, 1]);
    expect(greedy!.logProb).toBeCloseTo(Math.log(0.24), 5);
    const [best, second] = await beamSearch(model, {
      numBeams: 2,
      maxNewTokens: 2,
      lengthPenalty: 0,
      numReturn: 2,
    });
    expect(best!.tokens).toEqual([2, 1]);
    expect(best!.logProb).toBeCloseTo(Math.log(0.36), 5);
    expect(second!.tokens).toEqual([1, 1]);
  });

  it('ends hypotheses at stop tokens and ranks them with the length penalty', async () => {
    // Stopping at once has p = 0.5; [1, stop] has p = 0.5 · 0.9 = 0.45.
    const short = tableModel({ '': [0.5, 0.5, 0], '1': [0.9, 0.1, 0] });
    const opts = { numBeams: 2, maxNewTokens: 3, stopTokens: [0] };
    const [byTotal] = await beamSearch(short, { ...opts, lengthPenalty: 0 });
    expect(byTotal!.tokens).toEqual([0]);
    // With α = 1 the score is log p / length: −0.693 / 1 < −0.799 / 2.
    const [byMean] = await beamSearch(short, { ...opts, lengthPenalty: 1 });
    expect(byMean!.tokens).toEqual([1, 0]);
    expect(byMean!.score).toBeCloseTo(Math.log(0.45) / 2, 5);
  });

  it('tells the callback which previous prefix each new prefix extends', async () => {
    const calls: { prefixes: number[][]; parents: number[] }[] = [];
    await beamSearch(
      async (prefixes, parents) => {
        calls.push({ prefixes: prefixes.map((p) => [...p]), parents: [...parents] });
        return model(prefixes, parents);
      },
      { numBeams: 2, maxNewTokens: 3, lengthPenalty: 0 },
    );
    expect(calls).toHaveLength(3);
    expect(calls[0]).toEqual({ prefixes: [[]], parents: [-1] });
    // Step 1 keeps [1] (0.6) and [2] (0.4); step 2 keeps [2, 1] (0.36) and then [1, 1] (0.16).
    expect(calls[1]).toEqual({ prefixes: [[1], [2]], parents: [0, 0] });
    expect(calls[2]).toEqual({
      prefixes: [
        [2, 1],
        [1, 1],
      ],
      parents: [1, 0],
    });
    for (let i = 1; i < calls.length; i++) {
      calls[i]!.prefixes.forEach((p, k) => {
        expect(p.slice(0, -1)).toEqual(calls[i - 1]!.prefixes[calls[i]!.parents[k]!]);
      });
    }
  });

  it('rejects bad options by name', async () => {
    await expect(beamSearch(model, { numBeams: 0, maxNewTokens: 2 })).rejects.toThrow(
      ModelArgumentError,
    );
    await expect(beamSearch(model, { numBeams: 2, maxNewTokens: 2, numReturn: 3 })).rejects.toThrow(
      'numReturn: expected an integer in [1, numBeams = 2], got 3',
    );
  });
});

/** Same tokens, and log-probabilities and scores within 1e-4. */
function expectSameHypotheses(a: Hypothesis[], b: Hypothesis[]): void {
  expect(a.map((h) => h.tokens)).toEqual(b.map((h) => h.tokens));
  a.forEach((h, i) => {
    expect(Math.abs(h.logProb - b[i]!.logProb)).toBeLessThan(1e-4);
    expect(Math.abs(h.score - b[i]!.score)).toBeLessThan(1e-4);
  });
}

describeWithBackends('model beam search', () => {
  const seq2seq = (seed: number) => tinySeq2Seq(seed, 0);
  const lm = (position: 'learned' | 'rope', seed: number) => {
    const m = new DecoderLM(
      { vocabSize: 13, maxLength: 12, numLayers: 2, numHeads: 2, dModel: 8, position },
      { rng: seed },
    );
    randomizeParameters(m, seed * 100);
    return m;
  };

  it.each([1, 0])(
    'EncoderDecoder, lengthPenalty %d: the KV cache gives the same hypotheses as recomputing',
    async (lengthPenalty) => {
      const m = seq2seq(3);
      for (const source of [
        [3, 9, 4, 7],
        [5, 6],
      ]) {
        const opts = {
          startToken: 1,
          numBeams: 3,
          numReturn: 3,
          maxNewTokens: 8,
          lengthPenalty,
          stopTokens: [2],
        };
        const cached = await assertNoLeaks(() => beamSearchEncoderDecoder(m, source, opts));
        const plain = await assertNoLeaks(() =>
          beamSearchEncoderDecoder(m, source, { ...opts, useCache: false }),
        );
        expect(cached).toHaveLength(3);
        expectSameHypotheses(cached, plain);
      }
      m.dispose();
    },
  );

  it.each([
    ['learned', 1],
    ['learned', 0],
    ['rope', 1],
    ['rope', 0],
  ] as const)(
    'DecoderLM (%s), lengthPenalty %d: the KV cache gives the same hypotheses as recomputing',
    async (position, lengthPenalty) => {
      const m = lm(position, 5);
      const opts = { numBeams: 3, numReturn: 3, maxNewTokens: 8, lengthPenalty, stopTokens: [4] };
      const cached = await assertNoLeaks(() => beamSearchDecoderLM(m, [1, 2], opts));
      const plain = await assertNoLeaks(() =>
        beamSearchDecoderLM(m, [1, 2], { ...opts, useCache: false }),
      );
      expect(cached).toHaveLength(3);
      expectSameHypotheses(cached, plain);
      m.dispose();
    },
  );

  it('one beam is greedy decoding, with and without the cache', async () => {
    const s2s = seq2seq(6);
    const gpt = lm('learned', 7);
    const [greedy] = await generateSeq2Seq(s2s, [[5, 6, 7, 8, 9]], {
      startToken: 1,
      maxNewTokens: 8,
    });
    const [lmGreedy] = await generate(gpt, [[1, 2]], { maxNewTokens: 8 });
    for (const useCache of [true, false]) {
      const opts = { numBeams: 1, maxNewTokens: 8, useCache };
      const [one] = await beamSearchEncoderDecoder(s2s, [5, 6, 7, 8, 9], {
        ...opts,
        startToken: 1,
      });
      expect(one!.tokens).toEqual(greedy);
      const [lmOne] = await beamSearchDecoderLM(gpt, [1, 2], opts);
      expect(lmOne!.tokens).toEqual(lmGreedy);
    }
    s2s.dispose();
    gpt.dispose();
  });

  it('rejects bad arguments by name, leaving no tensor behind', async () => {
    const s2s = seq2seq(1);
    const gpt = lm('learned', 1);
    const ok = { startToken: 1, numBeams: 2, maxNewTokens: 3 };
    const cases: [() => Promise<unknown>, string][] = [
      [() => beamSearchEncoderDecoder(s2s, [], ok), 'source: expected at least one token, got 0'],
      [
        () => beamSearchEncoderDecoder(s2s, [1, 13], ok),
        'source: expected token ids in [0, 13), got 13',
      ],
      [
        () => beamSearchEncoderDecoder(s2s, [1], { ...ok, startToken: -1 }),
        'startToken: expected a token id in [0, 13), got -1',
      ],
      [
        () => beamSearchEncoderDecoder(s2s, [1], { ...ok, numBeams: 0 }),
        'numBeams: expected an integer ≥ 1, got 0',
      ],
      [() => beamSearchDecoderLM(gpt, [], ok), 'prompt: expected at least one token, got 0'],
      [() => beamSearchDecoderLM(gpt, [13], ok), 'prompt: expected token ids in [0, 13), got 13'],
    ];
    for (const [call, message] of cases) {
      const error = await assertNoLeaks(() =>
        call().then(
          () => undefined,
          (e: unknown) => e,
        ),
      );
      expect(error).toBeInstanceOf(ModelArgumentError);
      expect((error as Error).message).toBe(message);
    }
    s2s.dispose();
    gpt.dispose();
  });
});
