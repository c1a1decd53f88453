import type { CheckpointStore } from './checkpoint-store.js';

/**
 * A {@link CheckpointStore} in memory, for browsers, tests and short experiments. It keeps
 * copies, so later changes to the saved arrays do not alter the checkpoint.
 *
 * @example
 * ```ts
 * const store = new MemoryCheckpointStore();
 * const trainer = new Trainer({ ...options, checkpoint: { store, every: 100 } });
 * ```
 */
export class MemoryCheckpointStore implements CheckpointStore {
  private files: Record<string, Uint8Array> | undefined;

  async save(files: Record<string, Uint8Array>): Promise<void> {
    this.files = Object.fromEntries(
      Object.entries(files).map(([name, bytes]) => [name, bytes.slice()]),
    );
  }

  async load(): Promise<Record<string, Uint8Array> | undefined> {
    return (
      this.files &&
      Object.fromEntries(Object.entries(this.files).map(([name, bytes]) => [name, bytes.slice()]))
    );
  }
}
