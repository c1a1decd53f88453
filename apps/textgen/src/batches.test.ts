import { describe, expect, it } from 'vitest';
import { BatchStream, coveringBatches } from './batches.js';

const tokens = Int32Array.from({ length: 100 }, (_, i) => i);

describe('BatchStream', () => {
  it('draws windows whose targets are the inputs shifted by one', () => {
    const batch = new BatchStream(tokens, 3, 8, 1).next();
    for (let b = 0; b < 3; b++) {
      const row = batch.inputs.subarray(b * 8, b * 8 + 8);
      const next = batch.targets.subarray(b * 8, b * 8 + 8);
      for (let t = 0; t < 8; t++) expect(next[t]).toBe(row[t]! + 1);
      expect(row[0]! + 8).toBeLessThanOrEqual(99);
    }
  });

  it('restores its position: the batch after a restore is the batch an uninterrupted run draws', () => {
    const a = new BatchStream(tokens, 4, 5, 7);
    for (let i = 0; i < 3; i++) a.next();
    const saved = a.state();
    const expected = a.next();
    const b = new BatchStream(tokens, 4, 5, 7);
    b.restore(saved);
    expect(b.next()).toEqual(expected);
    expect(saved).toEqual({ seed: 7, batchesDrawn: 3 });
  });

  it('rejects a corpus shorter than a window, naming the sizes', () => {
    expect(() => new BatchStream(tokens.subarray(0, 8), 1, 8, 1)).toThrow(
      'need more than blockSize 8 tokens to draw a window, got 8',
    );
  });
});

describe('coveringBatches', () => {
  it('predicts every token after the first exactly once, the short window in a batch of its own', () => {
    const ids = Int32Array.from({ length: 24 }, (_, i) => 100 + i); // 23 predictions
    const batches = coveringBatches(ids, 5, 2); // windows of 5: 4 full (2 batches) and one of 3
    expect(batches.map((b) => [b.batchSize, b.blockSize])).toEqual([
      [2, 5],
      [2, 5],
      [1, 3],
    ]);
    const targets = batches.flatMap((b) => [...b.targets]);
    expect(targets).toEqual([...ids.subarray(1)]);
    for (const b of batches)
      for (let i = 0; i < b.inputs.length; i++) expect(b.targets[i]).toBe(b.inputs[i]! + 1);
    expect(coveringBatches(ids, 23, 4).map((b) => b.blockSize)).toEqual([23]);
    expect(coveringBatches(ids.subarray(0, 2), 8, 4).map((b) => [...b.targets])).toEqual([[101]]);
  });
});
