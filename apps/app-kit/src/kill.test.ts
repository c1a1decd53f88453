import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { killTest, runFixture } from './fixtures/kill-harness.js';
import { RunDir } from './run-dir.js';

// SIGKILLs a child training process at random points (half of them inside checkpoint writes) and
// checks that every resume continues with exactly the losses of an uninterrupted run. `pnpm soak`
// runs it with 50 points; TFORMER_KILL_POINTS overrides the count.
const points = Number(process.env.TFORMER_KILL_POINTS ?? 4);

describe('kill and resume', () => {
  it(`survives ${points} SIGKILLs (half inside checkpoint writes) with identical losses`, async () => {
    const result = await killTest({ points, steps: 12, seed: 20260 });
    expect(result.kills).toBeGreaterThanOrEqual(points);
    expect(result.losses).toEqual(result.reference);
    expect(result.steps).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    process.stdout.write(`kill test: ${result.kills} kills survived (${result.log.join(', ')})\n`);
  }, 1_800_000);

  it('Ctrl-C saves a checkpoint and exits 130 with one line; a second trainer on the run stops with exit 3', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'kill-int-')), 'run');
    const first = runFixture(['train', out, '5000']);
    const b = await runFixture(['resume', out, '40'], { startAfter: first.started }).done;
    first.send('SIGINT');
    const a = await first.done;
    expect(b.code).toBe(3);
    expect(b.stderr).toMatch(/^error: .*\.lock: the run is in use by process \d+/m);
    expect(
      b.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('error')),
    ).toHaveLength(1);
    expect(a.code).toBe(130);
    expect(a.stderr).toMatch(
      /error: interrupted \(SIGINT\) at step (\d+) of 5000: checkpoint saved; continue with `resume --out /,
    );
    const step = Number(/at step (\d+) of 5000/.exec(a.stderr)![1]);
    const resumed = await runFixture(['resume', out, String(step + 1)]).done;
    expect(resumed.stdout).toContain(`resumed at step ${step} of ${step + 1}`);
    expect(resumed.code).toBe(0);
    const train = (await new RunDir(out).readMetrics()).filter((m) => m.split === 'train');
    expect(train.map((m) => m.step)).toEqual(Array.from({ length: step + 1 }, (_, i) => i + 1));
  }, 600_000);
});
