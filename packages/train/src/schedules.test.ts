import { describe, expect, it } from 'vitest';
import { ConstantSchedule } from './constant-schedule.js';
import { InvalidArgumentError } from './errors.js';
import { NoamSchedule } from './noam-schedule.js';
import { scheduleFromConfig } from './schedule.js';
import { WarmupCosineSchedule } from './warmup-cosine-schedule.js';

describe('learning-rate schedules', () => {
  it('Noam: d^-0.5·min(s^-0.5, s·w^-1.5), peaking at step = warmup', () => {
    const noam = new NoamSchedule({ dModel: 512, warmupSteps: 4000 });
    // Warmup is linear: step 1 gives 512^-0.5 · 4000^-1.5 = 0.0441942 · 3.95285e-6.
    expect(noam.learningRate(1)).toBeCloseTo(1.746928e-7, 12);
    expect(noam.learningRate(2000)).toBeCloseTo(noam.learningRate(1) * 2000, 12);
    // Peak (512·4000)^-0.5 = 1/1431.08 = 6.98771e-4; both branches agree there.
    expect(noam.learningRate(4000)).toBeCloseTo(6.98771e-4, 9);
    // After warmup it decays as 1/√step: four times the steps, half the rate.
    expect(noam.learningRate(16000)).toBeCloseTo(noam.learningRate(4000) / 2, 12);
    expect(
      new NoamSchedule({ dModel: 512, warmupSteps: 4000, factor: 2 }).learningRate(10),
    ).toBeCloseTo(2 * noam.learningRate(10), 15);
  });

  it('warmup + cosine: linear ramp, half-way value, floor after the end', () => {
    const s = new WarmupCosineSchedule({
      peakLearningRate: 1e-3,
      warmupSteps: 10,
      totalSteps: 110,
      minLearningRate: 1e-4,
    });
    expect(s.learningRate(1)).toBeCloseTo(1e-4, 15);
    expect(s.learningRate(10)).toBeCloseTo(1e-3, 15);
    // Half-way through the decay cos(π/2) = 0, so the rate is the midpoint (1e-3 + 1e-4) / 2.
    expect(s.learningRate(60)).toBeCloseTo(5.5e-4, 15);
    expect(s.learningRate(110)).toBe(1e-4);
    expect(s.learningRate(500)).toBe(1e-4);
    for (let step = 11; step < 110; step++)
      expect(s.learningRate(step + 1)).toBeLessThan(s.learningRate(step));
  });

  it('constant is constant; every schedule round-trips through its config', () => {
    expect(new ConstantSchedule(3e-4).learningRate(7)).toBe(3e-4);
    const schedules = [
      new ConstantSchedule(3e-4),
      new NoamSchedule({ dModel: 64, warmupSteps: 20, factor: 1.5 }),
      new WarmupCosineSchedule({ peakLearningRate: 1e-3, warmupSteps: 0, totalSteps: 50 }),
    ];
    for (const s of schedules) {
      const copy = scheduleFromConfig(JSON.parse(JSON.stringify(s.getConfig())));
      for (const step of [1, 5, 20, 49, 100])
        expect(copy.learningRate(step)).toBe(s.learningRate(step));
    }
  });

  it('rejects bad steps and options with typed errors', () => {
    expect(() => new NoamSchedule({ dModel: 512, warmupSteps: 4000 }).learningRate(0)).toThrow(
      /step: expected an integer ≥ 1, got 0/,
    );
    expect(
      () => new WarmupCosineSchedule({ peakLearningRate: 1, warmupSteps: 10, totalSteps: 10 }),
    ).toThrow(InvalidArgumentError);
    expect(() => scheduleFromConfig({ kind: 'linear' } as never)).toThrow(/config.kind/);
  });
});
