/**
 * The Annotated Transformer's copy task (vocabulary 11, length 10; Rush 2018): an encoder-decoder
 * trained on random sequences must copy unseen ones exactly with greedy decoding.
 */
import {
  COPY_TASK,
  COPY_TASK_MODEL,
  copyTaskSequences,
  describeWithBackends,
  trainCopyTask,
} from '@tformer/test-utils';
import { AdamW, crossEntropy, WarmupCosineSchedule } from '@tformer/train';
import { expect, it } from 'vitest';
import { beamSearchEncoderDecoder, generateSeq2Seq } from './generate.js';
import { EncoderDecoder } from './index.js';

const { length: L, start: START } = COPY_TASK;

describeWithBackends('copy task', () => {
  it('an EncoderDecoder learns to copy unseen sequences exactly (greedy and beam)', async () => {
    // 400 steps are enough for nearly every initial seed: a sweep of this code over seeds 1–8
    // copied 50 of 50 unseen sequences for all 8 on node and for seeds 1–5 on wasm; seed 7 on
    // wasm copied 49 (one token of one sequence, after the float-level change of moving to
    // @tformer/attention's kernels). Seed 8 is one of the clean ones (docs/results.md).
    const model = new EncoderDecoder(COPY_TASK_MODEL, { rng: 8 });
    const optimizer = new AdamW(model.namedParameters(), COPY_TASK.adamW);
    const steps = 400;
    const schedule = new WarmupCosineSchedule({ ...COPY_TASK.schedule, totalSteps: steps });
    trainCopyTask({
      logits: (src, tgtIn) => model.apply(src, tgtIn),
      loss: crossEntropy,
      params: model.trainableParameters(),
      update: (grads, step) => optimizer.step(grads, schedule.learningRate(step + 1)),
      steps,
    });
    const unseen = copyTaskSequences(20, 99);
    const decoded = await generateSeq2Seq(model, unseen, {
      startToken: START,
      maxNewTokens: L - 1,
    });
    expect(decoded.map((d) => [START, ...d])).toEqual(unseen);
    const [best] = await beamSearchEncoderDecoder(model, unseen[0]!, {
      startToken: START,
      numBeams: 3,
      maxNewTokens: L - 1,
    });
    expect([START, ...best!.tokens]).toEqual(unseen[0]);
    model.dispose();
    optimizer.dispose();
  }, 300_000); // ~30 s on a quiet 2-core machine, up to ~3 min when it is shared
}, ['wasm']);
