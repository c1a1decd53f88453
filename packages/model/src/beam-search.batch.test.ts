import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@tformer/nn';
import { assertNoLeaks, describeWithBackends } from '@tformer/test-utils';
import { describe, expect, it, vi } from 'vitest';
import {
  beamSearch,
  beamSearchEncoderDecoder,
  beamSearchEncoderDecoderBatch,
  generateSeq2Seq,
  type Hypothesis,
  type NextLogProbs,
} from './generate.js';
import { DecoderCache, type EncoderDecoder, ModelArgumentError } from './index.js';
import { tinySeq2Seq } from './testing/tiny-seq2seq.js';

/**
 * The beam search as first written (every beam × token candidate, one stable sort), the
 * reference the per-beam top-k selection must match exactly.
 */
async function naiveBeamSearch(
  next: NextLogProbs,
  numBeams: number,
  maxNewTokens: number,
  lengthPenalty: number,
  stops: Set<number>,
): Promise<Hypothesis[]> {
  const score = (lp: number, n: number) => lp / n ** lengthPenalty;
  let live = [{ tokens: [] as number[], logProb: 0, parent: -1 }];
  const finished: Hypothesis[] = [];
  for (let step = 0; step < maxNewTokens && live.length > 0; step++) {
    const rows = await next(
      live.map((h) => h.tokens),
      live.map((h) => h.parent),
    );
    const candidates = live.flatMap((h, beam) =>
      Array.from(rows[beam]!, (lp, token) => ({ beam, token, logProb: h.logProb + lp })),
    );
    candidates.sort((a, b) => b.logProb - a.logProb);
    const nextLive: typeof live = [];
    for (const c of candidates.slice(0, 2 * numBeams)) {
      const tokens = [...live[c.beam]!.tokens, c.token];
      if (stops.has(c.token))
        finished.push({ tokens, logProb: c.logProb, score: score(c.logProb, tokens.length) });
      else if (nextLive.length < numBeams)
        nextLive.push({ tokens, logProb: c.logProb, parent: c.beam });
    }
    live = nextLive;
    const worst =
      finished.length < numBeams
        ? Number.NEGATIVE_INFINITY
        : finished.map((h) => h.score).sort((a, b) => b - a)[numBeams - 1]!;
    if (live[0] && score(live[0].logProb, live[0].tokens.length) < worst) break;
  }
  for (const { tokens, logProb } of live)
    finished.push({ tokens, logProb, score: score(logProb, tokens.length) });
  return finished.sort((a, b) => b.score - a.score);
}

describe('beamSearch candidate selection', () => {
  it('matches the full sort of every candidate, ties included', async () => {
    const rng = createRng(5);
    // Probabilities from a few levels, so that equal log-probabilities (ties) are common.
    const table = new Map<string, Float32Array>();
    const next: NextLogProbs = async (prefixes) =>
      prefixes.map((p) => {
        const key = p.join(',');
        if (!table.has(key)) {
          const raw = Array.from({ length: 9 }, () => [1, 2, 2, 4][Math.floor(rng.uniform() * 4)]!);
          const sum = raw.reduce((a, b) => a + b, 0);
          table.set(
            key,
            Float32Array.from(raw, (x) => Math.log(x / sum)),
          );
        }
        return table.get(key)!;
      });
    for (const numBeams of [1, 2, 3, 5]) {
      for (const lengthPenalty of [0, 1, 0.6]) {
        const opts = { numBeams, maxNewTokens: 6, lengthPenalty, stopTokens: [0, 4] };
        const fast = await beamSearch(next, { ...opts, numReturn: numBeams });
        const naive = await naiveBeamSearch(next, numBeams, 6, lengthPenalty, new Set([0, 4]));
        expect(fast).toEqual(naive.slice(0, numBeams));
      }
    }
  });
});

/**
 * Next-token log-probabilities by a plain forward pass over the whole prefix, one hypothesis at a
 * time (no batch, no padding, no reordered cache). It decodes through a throw-away cache so that a
 * target token equal to the pad id is not masked, as in generation.
 */
function plainNext(m: EncoderDecoder, source: readonly number[], startToken: number): NextLogProbs {
  return async (prefixes) =>
    Promise.all(
      prefixes.map(async (p) => {
        const scratch = new DecoderCache(m.decoder.numLayers);
        const out = tf.tidy(() => {
          const src = tf.tensor2d([[...source]], undefined, 'int32'); // [1, S]
          const mask = m.keyMask(src);
          const tgt = tf.tensor2d([[startToken, ...p]], undefined, 'int32'); // [1, T]
          const logits = m.decode(tgt, m.encode(src, mask), mask, scratch); // [1, T, V]
          const T = p.length + 1;
          return tf.logSoftmax(tf.reshape(tf.slice(logits, [0, T - 1, 0], [1, 1, -1]), [-1])); // [V]
        });
        scratch.dispose();
        const data = (await out.data()) as Float32Array;
        out.dispose();
        return data;
      }),
    );
}

/** Rows of each `decode` call while `run` runs. */
async function decodeRows(m: EncoderDecoder, run: () => Promise<unknown>): Promise<number[]> {
  const spy = vi.spyOn(m, 'decode');
  try {
    await run();
    return spy.mock.calls.map(([tgt]) => tgt.shape[0]!);
  } finally {
    spy.mockRestore();
  }
}

const sources = [[4], [5, 6, 7, 8, 9, 10, 11], [10, 11, 3], [7, 7, 9, 12, 3, 5]];

describeWithBackends('batched encoder-decoder decoding', () => {
  it.each([
    ['pad id 0 in the config', 0],
    ['no pad id in the config', undefined],
  ] as const)('%s: each row of a beam batch gets the hypotheses it gets alone', async (_, pad) => {
    const m = tinySeq2Seq(3, pad);
    for (const [numBeams, lengthPenalty, useCache] of [
      [4, 1, true],
      [3, 0, true],
      [1, 1, true],
      [2, 0.6, false],
    ] as const) {
      const opts = {
        startToken: 1,
        numBeams,
        numReturn: numBeams,
        maxNewTokens: 10,
        lengthPenalty,
        stopTokens: [2, 3],
        useCache,
      };
      const batch = await assertNoLeaks(() => beamSearchEncoderDecoderBatch(m, sources, opts));
      expect(batch).toHaveLength(sources.length);
      for (const [b, source] of sources.entries()) {
        const alone = await beamSearchEncoderDecoder(m, source, opts);
        expect(batch[b]!.map((h) => h.tokens)).toEqual(alone.map((h) => h.tokens));
        batch[b]!.forEach((h, i) => {
          expect(Math.abs(h.logProb - alone[i]!.logProb)).toBeLessThan(1e-5);
        });
        // And the plain forward pass (no cache, no batch, no padding) agrees.
        const reference = await beamSearch(plainNext(m, source, 1), opts);
        expect(batch[b]!.map((h) => h.tokens)).toEqual(reference.map((h) => h.tokens));
      }
    }
    m.dispose();
  });

  it('a source whose search has ended leaves the batch', async () => {
    const m = tinySeq2Seq(3, 0);
    const opts = { startToken: 1, numBeams: 3, maxNewTokens: 12, stopTokens: [2, 3] };
    const alone: number[][] = [];
    for (const s of sources)
      alone.push(await decodeRows(m, () => beamSearchEncoderDecoder(m, s, opts)));
    // The sources stop after different numbers of steps (else this test shows nothing).
    expect(new Set(alone.map((rows) => rows.length)).size).toBeGreaterThan(1);
    const batched = await decodeRows(m, () => beamSearchEncoderDecoderBatch(m, sources, opts));
    const steps = Math.max(...alone.map((rows) => rows.length));
    const expected = Array.from({ length: steps }, (_, i) =>
      alone.reduce((sum, rows) => sum + (rows[i] ?? 0), 0),
    );
    expect(batched).toEqual(expected);
    m.dispose();
  });

  it('greedy: finished rows leave the batch, and each row gets its tokens alone', async () => {
    const m = tinySeq2Seq(3, 0);
    for (const useCache of [true, false]) {
      const opts = { startToken: 1, maxNewTokens: 12, stopTokens: [2, 3], useCache };
      const alone: number[][] = [];
      for (const s of sources) alone.push((await generateSeq2Seq(m, [s], opts))[0]!);
      const lengths = alone.map((tokens) => tokens.length);
      expect(new Set(lengths).size).toBeGreaterThan(1);
      let batch: number[][] = [];
      const rows = await decodeRows(m, async () => {
        batch = await assertNoLeaks(() => generateSeq2Seq(m, sources, opts));
      });
      expect(batch).toEqual(alone);
      expect(rows).toEqual(
        Array.from({ length: Math.max(...lengths) }, (_, i) => lengths.filter((n) => n > i).length),
      );
    }
    m.dispose();
  });

  it('rejects a bad source by its index, leaving no tensor behind', async () => {
    const m = tinySeq2Seq(1, 0);
    const error = await assertNoLeaks(() =>
      beamSearchEncoderDecoderBatch(m, [[4], []], {
        startToken: 1,
        numBeams: 2,
        maxNewTokens: 3,
      }).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    expect(error).toBeInstanceOf(ModelArgumentError);
    expect((error as Error).message).toBe('sources[1]: expected at least one token, got 0');
    m.dispose();
  });
});
