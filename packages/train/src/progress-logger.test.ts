import { expect, it } from 'vitest';
import { formatEval, formatStep, progressLogger } from './progress-logger.js';

it('formats steps and evaluations, logging every n-th step', async () => {
  const base = {
    loss: 2.345678,
    perplexity: Math.exp(2.345678),
    learningRate: 3e-4,
    milliseconds: 52.4,
  };
  expect(formatStep({ step: 100, ...base, gradNorm: 0.51234, tokensPerSecond: 611.7 })).toBe(
    'step 100 | loss 2.3457 | ppl 10.44 | lr 3.00e-4 | |g| 0.512 | 612 tok/s | 52 ms',
  );
  expect(formatEval({ step: 100, loss: 2.5, perplexity: Math.exp(2.5), accuracy: 0.4123 })).toBe(
    'eval @ 100 | loss 2.5000 | ppl 12.18 | acc 41.2%',
  );
  const lines: string[] = [];
  const logger = progressLogger({ log: (l) => lines.push(l), every: 2 });
  for (let step = 1; step <= 4; step++) await logger.onStep?.({ step, ...base });
  await logger.onCheckpoint?.({ step: 4 });
  expect(lines.map((l) => l.split(' |')[0])).toEqual(['step 2', 'step 4', 'checkpoint @ 4']);
});
