import { describe, expect, it } from 'vitest';
import { BatchStream } from './batches.js';

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
