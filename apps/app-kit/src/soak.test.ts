import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends } from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { soak } from './fixtures/soak-cycles.js';

// Issue 12: training (with checkpoints), evaluation, generation with and without the KV cache
// and save/load leave tensors and RSS flat. `pnpm soak` runs 10 cycles of 30 steps (300 steps);
// `pnpm test` a reduced 3 cycles of 4 steps. TFORMER_SOAK_CYCLES/STEPS override.
const cycles = Number(process.env.TFORMER_SOAK_CYCLES ?? 3);
const stepsPerCycle = Number(process.env.TFORMER_SOAK_STEPS ?? 4);

describeWithBackends('soak', (backend) => {
  it(`${cycles} cycles of ${stepsPerCycle} steps + eval + generate ± cache + save/load: tensors and RSS flat`, async () => {
    const before = tf.memory().numTensors;
    const samples = await soak({ cycles, stepsPerCycle });
    process.stdout.write(
      `soak ${backend}: ${JSON.stringify({ before, samples: [samples[0], samples.at(-1)] })}\n`,
    );
    expect(samples.at(-1)!.step).toBe(cycles * stepsPerCycle);
    // After the first cycle (warm-up: kernels, optimizer moments) nothing may grow.
    for (const s of samples) expect(s.numTensors).toBe(samples[0]!.numTensors);
    for (const s of samples) expect(s.numBytes).toBe(samples[0]!.numBytes);
    expect(tf.memory().numTensors).toBe(before);
    // RSS: the allocator keeps some slack; a leak of this model's activations per cycle would
    // show as tens of MB over the cycles.
    // After a full GC (see soak-cycles.ts).
    expect(samples.at(-1)!.rssMB - samples[0]!.rssMB).toBeLessThan(64);
    expect(samples.at(-1)!.heapMB - samples[0]!.heapMB).toBeLessThan(16);
  }, 1_800_000);
});
