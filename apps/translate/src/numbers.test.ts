import { createRng } from '@tformer/nn';
import { describe, expect, it } from 'vitest';
import { numberPairs, numberToWords } from './numbers.js';

describe('numberToWords', () => {
  it.each([
    [0, 'zero'],
    [13, 'thirteen'],
    [40, 'forty'],
    [42, 'forty-two'],
    [100, 'one hundred'],
    [342, 'three hundred and forty-two'],
    [1000, 'one thousand'],
    [2005, 'two thousand and five'],
    [4312, 'four thousand three hundred and twelve'],
    [9990, 'nine thousand nine hundred and ninety'],
    [21_017, 'twenty-one thousand and seventeen'],
  ])('%i → %s', (n, words) => {
    expect(numberToWords(n)).toBe(words);
  });

  it('rejects what it cannot spell', () => {
    expect(() => numberToWords(-1)).toThrow('n: expected an integer in [0, 999999], got -1');
    expect(() => numberToWords(1.5)).toThrow(RangeError);
  });
});

describe('numberPairs', () => {
  it('draws distinct numbers for train and test, the same for the same seed', () => {
    const { train, test } = numberPairs(createRng(5), 300, 50);
    expect(train).toHaveLength(300);
    expect(test).toHaveLength(50);
    const seen = new Set(train.map((p) => p.src));
    expect(test.some((p) => seen.has(p.src))).toBe(false);
    expect(test[0]!.tgt).toBe(numberToWords(Number(test[0]!.src)));
    expect(numberPairs(createRng(5), 300, 50)).toEqual({ train, test });
  });
});
