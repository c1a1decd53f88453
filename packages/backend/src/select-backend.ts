import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError, UnknownBackendError } from './errors.js';
import { ensureGradients } from './gradients.js';
import { startWasm } from './wasm.js';

/** The backends this package can start. */
export const BACKEND_NAMES = ['cpu', 'wasm'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type BackendChoice = BackendName | 'auto';

/** Which backend runs, why it was chosen, and what was tried before it. */
export interface BackendSelection {
  name: BackendName;
  reason: string;
  tried: { name: BackendName; error: string }[];
}

const starters: Record<BackendName, () => Promise<void>> = {
  cpu: async () => {
    await import('@tensorflow/tfjs-backend-cpu');
    if (!(await tf.setBackend('cpu'))) throw new Error('tf.setBackend("cpu") returned false');
  },
  wasm: startWasm,
};

/** Order that `auto` tries: fastest first, plain JS last because it always starts. */
const AUTO_ORDER: readonly BackendName[] = ['wasm', 'cpu'];

/**
 * Starts a tfjs backend and makes it the active one. An explicit name that cannot start throws
 * {@link BackendUnavailableError}; only `auto` falls back, and it reports every failure it skipped.
 *
 * @example
 * ```ts
 * const { name, reason } = await selectBackend('auto');
 * ```
 */
export async function selectBackend(choice: BackendChoice = 'auto'): Promise<BackendSelection> {
  if (choice !== 'auto' && !(BACKEND_NAMES as readonly string[]).includes(choice)) {
    throw new UnknownBackendError(choice, ['auto', ...BACKEND_NAMES]);
  }
  await ensureGradients();
  if (choice !== 'auto') {
    try {
      await starters[choice]();
    } catch (error) {
      throw new BackendUnavailableError(choice, errorMessage(error));
    }
    await tf.ready();
    return { name: choice, reason: 'requested by name', tried: [] };
  }
  const tried: BackendSelection['tried'] = [];
  for (const name of AUTO_ORDER) {
    try {
      await starters[name]();
      await tf.ready();
      return { name, reason: `auto: first of ${AUTO_ORDER.join(' > ')} that started`, tried };
    } catch (error) {
      tried.push({ name, error: errorMessage(error) });
    }
  }
  throw new BackendUnavailableError('auto', tried.map((t) => `${t.name}: ${t.error}`).join('; '));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
