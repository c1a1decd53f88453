import { type BackendName, selectBackend } from '@tformer/backend';
import { beforeAll, describe } from 'vitest';

/** The backends every suite runs on here; `TFORMER_TEST_BACKENDS=cpu,wasm,node` overrides. */
export function testBackends(): BackendName[] {
  const fromEnv = process.env.TFORMER_TEST_BACKENDS;
  return (fromEnv ? fromEnv.split(',').map((s) => s.trim()) : ['cpu', 'wasm']) as BackendName[];
}

/**
 * Declares one suite per backend: `name [cpu]`, `name [wasm]`, … Each starts its backend before
 * its tests, so a test written once runs on every backend and the output names each.
 *
 * @example
 * ```ts
 * describeWithBackends('Dense', (backend) => {
 *   it('matches the float64 reference', () => { ... });
 * });
 * ```
 */
export function describeWithBackends(
  name: string,
  suite: (backend: BackendName) => void,
  backends: readonly BackendName[] = testBackends(),
): void {
  for (const backend of backends) {
    describe(`${name} [${backend}]`, () => {
      beforeAll(async () => {
        await selectBackend(backend);
      });
      suite(backend);
    });
  }
}
