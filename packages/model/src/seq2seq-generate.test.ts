import * as tf from '@tensorflow/tfjs-core';
import { assertNoLeaks, describeWithBackends } from '@tformer/test-utils';
import { expect, it, vi } from 'vitest';
import { type GenerationStep, generateSeq2Seq, generateSeq2SeqStream } from './generate.js';
import { ModelArgumentError } from './index.js';
import { tinySeq2Seq as model } from './testing/tiny-seq2seq.js';

const sources = [[4], [5, 6, 7, 8, 9], [10, 11]];

describeWithBackends('generateSeq2Seq', () => {
  it('the KV cache gives the same tokens as recomputing, greedy and sampled, without leaks', async () => {
    const m = model(6, 0);
    const samplings = [
      {},
      { doSample: true, temperature: 0.8, topK: 5, seed: 3 },
      { doSample: true, temperature: 1.3, topP: 0.9, repetitionPenalty: 1.5, seed: 4 },
    ];
    for (const sampling of samplings) {
      const opts = { startToken: 1, maxNewTokens: 10, ...sampling };
      const cached = await assertNoLeaks(() => generateSeq2Seq(m, sources, opts));
      const plain = await assertNoLeaks(() =>
        generateSeq2Seq(m, sources, { ...opts, useCache: false }),
      );
      expect(cached.map((r) => r.length)).toEqual([10, 10, 10]);
      expect(new Set(cached.flat()).size).toBeGreaterThan(2); // not a constant output
      expect(cached).toEqual(plain);
    }
    m.dispose();
  });

  it('greedy tokens are the argmax of a teacher-forced forward pass over them', async () => {
    const m = model(3);
    const source = [3, 9, 4, 7];
    const [tokens] = await generateSeq2Seq(m, [source], { startToken: 1, maxNewTokens: 8 });
    const logits = tf.tidy(() =>
      m.apply(
        tf.tensor2d([source], undefined, 'int32'),
        tf.tensor2d([[1, ...tokens!.slice(0, -1)]], undefined, 'int32'),
      ),
    ); // [1, 8, V]
    const argmax = tf.tidy(() => tf.argMax(logits, -1)); // [1, 8]
    expect(Array.from(await argmax.data())).toEqual(tokens);
    tf.dispose([logits, argmax]);
    m.dispose();
  });

  it('samples reproducibly from a seed, and differently from another seed', async () => {
    const m = model(4, 0);
    const opts = { startToken: 1, maxNewTokens: 12, doSample: true, temperature: 2 };
    const a = await generateSeq2Seq(m, sources, { ...opts, seed: 11 });
    const again = await generateSeq2Seq(m, sources, { ...opts, seed: 11 });
    const b = await generateSeq2Seq(m, sources, { ...opts, seed: 12 });
    expect(again).toEqual(a);
    expect(b).not.toEqual(a);
    m.dispose();
  });

  it.each([
    ['pad id in the config', 0],
    ['no pad id in the config', undefined],
  ] as const)('%s: a padded batch gives each row the tokens it gets alone', async (_, pad) => {
    const m = model(1, pad);
    for (const useCache of [true, false]) {
      const opts = { startToken: 1, maxNewTokens: 6, useCache, padTokenId: 0 };
      const batch = await assertNoLeaks(() => generateSeq2Seq(m, sources, opts));
      const alone = await Promise.all(
        sources.map(async (s) => (await generateSeq2Seq(m, [s], opts))[0]),
      );
      expect(batch).toEqual(alone);
    }
    if (pad === undefined) {
      // The masking matters: the same padding, unmasked (as a real source), changes the output.
      const opts = { startToken: 1, maxNewTokens: 6 };
      const [alone] = await generateSeq2Seq(m, [[4]], opts);
      const [unmasked] = await generateSeq2Seq(m, [[4, 0, 0, 0, 0]], opts);
      expect(unmasked).not.toEqual(alone);
    }
    m.dispose();
  });

  it('a stop token ends its row (kept, then -1), and the stream yields one step per token', async () => {
    const m = model(6, 0);
    const two = [sources[1]!, sources[2]!];
    const opts = { startToken: 1, maxNewTokens: 8 };
    const steps: GenerationStep[] = [];
    for await (const s of generateSeq2SeqStream(m, two, opts)) steps.push(s);
    expect(steps.map((s) => s.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const free = [0, 1].map((b) => steps.map((s) => s.tokens[b]!));
    // A token that row 0 first emits at step 1…5, before row 1 (if ever): it ends row 0 while
    // row 1 runs on.
    const stop = free[0]!.find((t, k) => {
      const j = free[1]!.indexOf(t);
      return k >= 1 && k <= 5 && free[0]!.indexOf(t) === k && (j < 0 || j > k);
    });
    expect(stop).toBeDefined();
    const at = free[0]!.indexOf(stop!);
    const stopped: GenerationStep[] = [];
    for await (const s of generateSeq2SeqStream(m, two, { ...opts, stopTokens: [stop!] })) {
      stopped.push(s);
    }
    const row0 = stopped.map((s) => s.tokens[0]!);
    expect(row0.slice(0, at + 1)).toEqual(free[0]!.slice(0, at + 1));
    expect(row0.slice(at + 1).every((t) => t === -1)).toBe(true);
    expect(stopped[at]!.done[0]).toBe(true);
    expect(stopped[at - 1]!.done[0]).toBe(false);
    // Row 1 runs on, unchanged, until it emits the stop token itself (or to maxNewTokens).
    const end = free[1]!.indexOf(stop!);
    const row1 = stopped.map((s) => s.tokens[1]!);
    expect(row1).toEqual(end < 0 ? free[1] : free[1]!.slice(0, end + 1));
    expect(row1.length).toBeGreaterThan(at + 1);
    const collected = await generateSeq2Seq(m, two, { ...opts, stopTokens: [stop!] });
    expect(collected[0]).toEqual(free[0]!.slice(0, at + 1));
    m.dispose();
  });

  it("projects the memory's cross-attention keys and values once per layer with the cache", async () => {
    const m = model(3, 0);
    const crossKey = m.decoder.layers.at(1).crossAttn!.key;
    const spy = vi.spyOn(crossKey, 'apply');
    const opts = { startToken: 1, maxNewTokens: 6 };
    const cached = await generateSeq2Seq(m, sources, opts);
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockClear();
    const plain = await generateSeq2Seq(m, sources, { ...opts, useCache: false });
    expect(spy).toHaveBeenCalledTimes(6); // once per step without the cache
    expect(cached).toEqual(plain);
    spy.mockRestore();
    m.dispose();
  });

  it('frees every tensor when the stream is left early', async () => {
    const m = model(3, 0);
    await assertNoLeaks(async () => {
      for await (const { step } of generateSeq2SeqStream(m, sources, {
        startToken: 1,
        maxNewTokens: 8,
      })) {
        if (step === 2) break;
      }
    });
    m.dispose();
  });

  it('rejects bad arguments by name', async () => {
    const m = model(1, 0);
    const ok = { startToken: 1, maxNewTokens: 3 };
    const bad: [readonly (readonly number[])[], object, string][] = [
      [[], ok, 'sources: expected at least one source, got 0'],
      [[[1], []], ok, 'sources[1]: expected at least one token, got 0'],
      [[[1, 13]], ok, 'sources[0]: expected token ids in [0, 13), got 13'],
      [[Array(17).fill(1)], ok, 'sources[0]: expected at most maxLength 16 tokens, got 17'],
      [[[1]], { ...ok, startToken: 13 }, 'startToken: expected a token id in [0, 13), got 13'],
      [[[1]], { ...ok, maxNewTokens: -1 }, 'maxNewTokens: expected an integer ≥ 0, got -1'],
      [[[1]], { ...ok, maxNewTokens: 1.5 }, 'maxNewTokens: expected an integer ≥ 0, got 1.5'],
      [[[1]], { ...ok, maxNewTokens: 17 }, 'maxNewTokens: expected at most maxLength 16, got 17'],
      [[[1]], { ...ok, stopTokens: [2, 20] }, 'stopTokens: expected token ids in [0, 13), got 20'],
      [
        [[1], [2, 3]],
        { ...ok, padTokenId: 3 },
        "padTokenId: expected the model's config.padTokenId 0, got 3",
      ],
      [[[1]], { ...ok, topP: 0 }, 'topP: expected a number in (0, 1], got 0'],
    ];
    for (const [srcs, opts, message] of bad) {
      const before = tf.memory().numTensors;
      const call = generateSeq2Seq(m, srcs, opts as typeof ok);
      await expect(call).rejects.toThrow(ModelArgumentError);
      await expect(call).rejects.toThrow(message);
      expect(tf.memory().numTensors).toBe(before);
    }
    m.dispose();
  });
});
