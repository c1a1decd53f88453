import { createRng } from '@tformer/nn';
import { describe, expect, it } from 'vitest';
import { SENTIMENT_LABELS, sentimentExamples } from './sentiment.js';

describe('generated sentiment task', () => {
  const examples = sentimentExamples(createRng(7), 3000);

  it('has all three classes, and the same examples for the same seed', () => {
    for (const label of SENTIMENT_LABELS)
      expect(examples.filter((e) => e.label === label).length).toBeGreaterThan(300);
    expect(sentimentExamples(createRng(7), 3000)).toEqual(examples);
  });

  it('labels by meaning, not by words: negation flips, a "but" clause decides', () => {
    const find = (re: RegExp) => examples.find((e) => re.test(e.text));
    expect(find(/^[a-z ]+ was (great|lovely|excellent)$/)?.label).toBe('positive');
    expect(find(/^[a-z ]+ was not (great|lovely|excellent)$/)?.label).toBe('negative');
    expect(find(/^i did not hate [a-z ]+$/)?.label).toBe('positive');
    expect(
      find(/^[a-z ]+ was (awful|terrible|bad) but [a-z ]+ was (great|lovely|fun)$/)?.label,
    ).toBe('positive');
    expect(find(/^[a-z ]+ (arrived on tuesday|lasted two hours)$/)?.label).toBe('neutral');
  });
});
