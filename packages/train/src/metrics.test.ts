import * as tf from '@tensorflow/tfjs-core';
import { assertNoLeaks, describeWithBackends } from '@tformer/test-utils';
import { describe, expect, it } from 'vitest';
import { corpusBleu, tokenize13a } from './bleu.js';
import { countCorrect, macroF1, perplexity } from './classification-metrics.js';

describe('tokenize13a (sacreBLEU 13a)', () => {
  it('splits punctuation but keeps numbers, apostrophes and inner dashes', () => {
    expect(tokenize13a('Hello, world!')).toEqual(['Hello', ',', 'world', '!']);
    // '$' is split; the comma after "3.50" is split because a space follows it; the one inside
    // "1,000" and the period inside "3.50" sit between digits and stay.
    expect(tokenize13a('It costs $3.50, or 1,000 yen.')).toEqual([
      'It',
      'costs',
      '$',
      '3.50',
      ',',
      'or',
      '1,000',
      'yen',
      '.',
    ]);
    expect(tokenize13a("don't state-of-the-art")).toEqual(["don't", 'state-of-the-art']);
    // A dash after a digit is split (ranges), HTML entities are unescaped first.
    expect(tokenize13a('1990-2000')).toEqual(['1990', '-', '2000']);
    expect(tokenize13a('&quot;x&quot; &amp; y')).toEqual(['"', 'x', '"', '&', 'y']);
    expect(tokenize13a('  spaced \n out <skipped> ')).toEqual(['spaced', 'out']);
  });
});

describe('corpusBleu (as sacreBLEU)', () => {
  it('reproduces the sacreBLEU README example: 48.53, 82.4/50.0/45.5/37.5, BP 0.943', () => {
    // Hand derivation, 13a tokens. Segment 1 "The dog bit the man ." (6) equals reference A:
    //   matches 6/6, 5/5, 4/4, 3/3; closest reference length 6.
    // Segment 2 "It wasn't surprising ." (4): only "It" and "." occur in a reference: 2/4,
    //   0/3, 0/2, 0/1; both references have 5 tokens, so r = 5.
    // Segment 3 "The man had just bitten him ." (7): The, man, had, bitten (B), him (A), "." match,
    //   "just" does not: 6/7; bigrams "The man", "man had": 2/6; trigram "The man had": 1/5; 0/4;
    //   closest reference is B (7 tokens).
    // Totals 14/17, 7/14, 5/11, 3/8 → 82.35, 50.00, 45.45, 37.50 %; c = 17, r = 18,
    // BP = e^(1 − 18/17) = 0.9429; BLEU = 0.9429 · (82.35·50·45.45·37.5)^¼ = 48.53.
    const hyps = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];
    const refs = [
      ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
      ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
    ];
    const result = corpusBleu(hyps, refs);
    expect(result.counts).toEqual([14, 7, 5, 3]);
    expect(result.totals).toEqual([17, 14, 11, 8]);
    expect([result.hypothesisLength, result.referenceLength]).toEqual([17, 18]);
    expect(result.brevityPenalty).toBeCloseTo(Math.exp(1 - 18 / 17), 12);
    expect(result.score.toFixed(2)).toBe('48.53');
    expect(result.precisions.map((p) => p.toFixed(1))).toEqual(['82.4', '50.0', '45.5', '37.5']);
  });

  it('sums statistics over the corpus and uses the closest reference length per segment', () => {
    // Segment 1 "the cat sat on the" (5) against refs of 6 and 8 tokens: every n-gram is in the
    // first ref (5/5, 4/4, 3/3, 2/2), closest r = 6. Segment 2 "Hello , world !" (4) equals ref
    // A: 4/4, 3/3, 2/2, 1/1, r = 4 (tie between 4 and 4). All precisions 100 %; c = 9, r = 10:
    // BLEU = 100 · e^(1 − 10/9) = 89.4839.
    const result = corpusBleu(
      ['the cat sat on the', 'Hello, world!'],
      [
        ['the cat sat on the mat', 'Hello, world!'],
        ['a cat sat on the big mat', 'Hi, world!'],
      ],
    );
    expect(result.counts).toEqual([9, 7, 5, 3]);
    expect(result.referenceLength).toBe(10);
    expect(result.score).toBeCloseTo(100 * Math.exp(-1 / 9), 10);
  });

  it('breaks length ties toward the shorter reference', () => {
    // c = 5, references of 4 and 6 tokens are equally close: sacreBLEU takes 4, so no brevity
    // penalty (taking 6 would give 100 · e^(1 − 6/5) = 81.87).
    expect(corpusBleu(['a b c d e'], [['a b c d'], ['a b c d e f']]).score).toBeCloseTo(100, 10);
  });

  it('clips repeated n-grams, and is 0 without smoothing when an order has no match', () => {
    // "the" ×4 against a reference with one "the": 1/4 unigrams, no bigram matches.
    const result = corpusBleu(['the the the the'], [['the cat']]);
    expect(result.counts).toEqual([1, 0, 0, 0]);
    expect(result.totals).toEqual([4, 3, 2, 1]);
    expect(result.score).toBe(0);
  });

  it("with 'exp' smoothing matches mteval's NIST smoothing", () => {
    // "the cat sat on the mat" vs "the cat is on the mat": 5/6, 3/5, 1/4, 0/3. The first order
    // without matches gets 1/(2·3) → precisions 83.33, 60, 25, 16.67 %, BP 1:
    // BLEU = (83.33·60·25·16.67)^¼ = 37.99.
    const hyp = ['the cat sat on the mat'];
    const ref = [['the cat is on the mat']];
    expect(corpusBleu(hyp, ref).score).toBe(0);
    const smoothed = corpusBleu(hyp, ref, { smoothing: 'exp' });
    expect(smoothed.score).toBeCloseTo((((500 / 6) * 60 * 25 * 100) / 6) ** 0.25, 10);
    expect(smoothed.score.toFixed(2)).toBe('37.99');
  });

  it('lowercases on request and rejects misaligned reference streams', () => {
    expect(corpusBleu(['THE CAT SAT ON'], [['the cat sat on']]).score).toBe(0);
    expect(
      corpusBleu(['THE CAT SAT ON'], [['the cat sat on']], { lowercase: true }).score,
    ).toBeCloseTo(100, 10);
    expect(() => corpusBleu(['a', 'b'], [['a']])).toThrow(/references\[0\]: expected 2 segments/);
  });
});

describe('classification metrics', () => {
  it('perplexity is exp of the mean loss', () => {
    expect(perplexity(Math.log(50))).toBeCloseTo(50, 10);
    expect(() => perplexity(Number.NaN)).toThrow(/meanCrossEntropy/);
  });

  it('macro F1 averages per-class F1 over the classes that occur', () => {
    // class 0: TP 1, FN 1 → 2/3; class 1: TP 1, FP 1 → 2/3; class 2: TP 1 → 1. Mean 7/9.
    expect(macroF1([0, 1, 1, 2], [0, 1, 0, 2])).toBeCloseTo(7 / 9, 12);
    // class 2 is predicted but never true: F1 0, so (2/3 + 0) / 2.
    expect(macroF1([0, 2], [0, 0])).toBeCloseTo(1 / 3, 12);
    expect(() => macroF1([0], [0, 1])).toThrow(/predictions: expected length 2/);
  });
});

describeWithBackends('countCorrect', () => {
  it('counts arg-max hits, leaving out ignored labels', async () => {
    const logits = tf.tensor2d([
      [0.1, 2, 0],
      [3, 0, 0],
      [0, 0, 1],
    ]);
    const labels = tf.tensor1d([1, 1, -100], 'int32');
    expect(await assertNoLeaks(() => countCorrect(logits, labels))).toEqual({
      correct: 1,
      total: 2,
    });
    tf.dispose([logits, labels]);
  });
});
