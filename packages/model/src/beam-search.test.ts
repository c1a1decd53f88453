import { describe, expect, it } from 'vitest';
import { beamSearch, ModelArgumentError, type NextLogProbs } from './index.js';

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

  it('rejects bad options by name', async () => {
    await expect(beamSearch(model, { numBeams: 0, maxNewTokens: 2 })).rejects.toThrow(
      ModelArgumentError,
    );
    await expect(beamSearch(model, { numBeams: 2, maxNewTokens: 2, numReturn: 3 })).rejects.toThrow(
      'numReturn: expected an integer in [1, numBeams = 2], got 3',
    );
  });
});
