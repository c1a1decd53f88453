import { BACKEND_NAMES, type BackendName, selectBackend } from '@tformer/backend';
import { beforeAll, describe, it } from 'vitest';

/** The backends every suite runs on here; `TFORMER_TEST_BACKENDS=cpu,wasm,node` overrides. */
export function testBackends(): BackendName[] {
  return listFromEnv('TFORMER_TEST_BACKENDS') ?? ['cpu', 'wasm'];
}

/**
 * Backends that must start wherever {@link describeOnEveryBackend} runs: those of
 * {@link testBackends} plus `TFORMER_REQUIRE_BACKENDS` (CI sets it to what its setup installed,
 * so a backend that breaks fails the run instead of being skipped).
 */
export function requiredBackends(): BackendName[] {
  return [...new Set([...testBackends(), ...(listFromEnv('TFORMER_REQUIRE_BACKENDS') ?? [])])];
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

/**
 * Like {@link describeWithBackends}, over every backend that starts here: each candidate is tried
 * while the suites are collected; one that cannot start (and is not in {@link requiredBackends})
 * shows as a skipped test whose title gives the reason, e.g.
 * `↓ node skipped: @tensorflow/tfjs-node is installed without its native addon …`.
 * A required backend that cannot start fails its suite with the reason.
 *
 * Tests on `webgpu` must read tensors with `await t.data()`: `dataSync()` throws there in Node.
 *
 * @example
 * ```ts
 * describeOnEveryBackend('parity', (backend) => {
 *   it('matches cpu', async () => { ... });
 * });
 * ```
 */
export function describeOnEveryBackend(
  name: string,
  suite: (backend: BackendName) => void,
  candidates: readonly BackendName[] = ['cpu', 'wasm', 'node', 'node-gpu', 'webgpu', 'webgl'],
): void {
  const required = new Set(requiredBackends());
  for (const backend of candidates) {
    describe(`${name} [${backend}]`, async () => {
      if (!required.has(backend)) {
        try {
          await selectBackend(backend);
        } catch (error) {
          const reason = (error instanceof Error ? error.message : String(error)).replace(
            /\s*\n\s*/g,
            ' ',
          );
          it.skip(`${backend} skipped: ${reason}`, () => {});
          return;
        }
      }
      beforeAll(async () => {
        await selectBackend(backend);
      });
      suite(backend);
    });
  }
}

function listFromEnv(variable: string): BackendName[] | undefined {
  const text = process.env[variable]?.trim();
  if (!text) return undefined;
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names) {
    if (!(BACKEND_NAMES as readonly string[]).includes(n)) {
      throw new Error(
        `${variable}: unknown backend '${n}', expected a comma-separated list of ${BACKEND_NAMES.join(', ')}`,
      );
    }
  }
  return names as BackendName[];
}
