import type { EvalMetrics, StepMetrics, TrainerCallbacks } from './trainer-types.js';

/** Options of {@link progressLogger}. */
export interface ProgressLoggerOptions {
  /** Where lines go. Default `console.log`. */
  log?: (line: string) => void;
  /** Log every this many steps (evaluations and checkpoints are always logged). Default 10. */
  every?: number;
}

/** One line per logged step: `step 100 | loss 2.3456 | ppl 10.45 | lr 3.00e-4 | 612 tok/s`. */
export function formatStep(m: StepMetrics): string {
  const parts = [
    `step ${m.step}`,
    `loss ${m.loss.toFixed(4)}`,
    `ppl ${m.perplexity.toFixed(2)}`,
    `lr ${m.learningRate.toExponential(2)}`,
  ];
  if (m.gradNorm !== undefined) parts.push(`|g| ${m.gradNorm.toFixed(3)}`);
  if (m.tokensPerSecond !== undefined) parts.push(`${Math.round(m.tokensPerSecond)} tok/s`);
  parts.push(`${Math.round(m.milliseconds)} ms`);
  return parts.join(' | ');
}

/** One line per evaluation: `eval @ 100 | loss 2.5000 | ppl 12.18 | acc 41.2%`. */
export function formatEval(m: EvalMetrics): string {
  const parts = [`eval @ ${m.step}`, `loss ${m.loss.toFixed(4)}`, `ppl ${m.perplexity.toFixed(2)}`];
  if (m.accuracy !== undefined) parts.push(`acc ${(100 * m.accuracy).toFixed(1)}%`);
  return parts.join(' | ');
}

/**
 * Trainer callbacks that print progress lines (training steps, evaluations, checkpoints).
 *
 * @example
 * ```ts
 * const trainer = new Trainer({ ...options, callbacks: [progressLogger({ every: 50 })] });
 * ```
 */
export function progressLogger({
  log = console.log,
  every = 10,
}: ProgressLoggerOptions = {}): TrainerCallbacks {
  return {
    onStep: (m) => {
      if (m.step % every === 0) log(formatStep(m));
    },
    onEval: (m) => log(formatEval(m)),
    onCheckpoint: ({ step }) => log(`checkpoint @ ${step}`),
  };
}
