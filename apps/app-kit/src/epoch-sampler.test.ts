import { describe, expect, it } from 'vitest';
import { EpochSampler, type UniformSource } from './epoch-sampler.js';

/** A small deterministic generator (an LCG): the sampler only needs uniform numbers. */
const lcg = (seed: number): UniformSource => {
  let s = seed >>> 0;
  return {
    uniform: () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    },
  };
};

describe('EpochSampler', () => {
  it('visits every index once per epoch, continuing a batch into the next epoch', () => {
    const sampler = new EpochSampler(10, 4, 3, lcg);
    const drawn = [sampler.next(), sampler.next(), sampler.next(), sampler.next(), sampler.next()];
    const flat = drawn.flat();
    expect(flat).toHaveLength(20);
    expect([...flat.slice(0, 10)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...flat.slice(10, 20)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(flat.slice(0, 10)).not.toEqual(flat.slice(10, 20)); // a fresh shuffle each epoch
  });

  it('restores its position: the batch after a restore is the batch an uninterrupted run draws', () => {
    const a = new EpochSampler(7, 3, 11, lcg);
    for (let i = 0; i < 4; i++) a.next();
    const saved = a.state();
    const expected = [a.next(), a.next()];
    const b = new EpochSampler(7, 3, 11, lcg);
    b.restore(saved);
    expect([b.next(), b.next()]).toEqual(expected);
    expect(saved).toEqual({ seed: 11, batchesDrawn: 4 });
    expect(() => b.restore({ seed: 12, batchesDrawn: 0 })).toThrow(
      'state.seed: expected 11, got 12',
    );
  });
});
