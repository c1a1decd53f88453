/**
 * Where the Trainer keeps its checkpoint: a set of named files (`model.safetensors`,
 * `optimizer.safetensors`, `trainer.json`) saved and loaded as one unit. `save` must be
 * all-or-nothing: after a failed or interrupted save, `load` returns the previous checkpoint.
 * Implementations: {@link MemoryCheckpointStore} (any runtime) and `DirectoryCheckpointStore`
 * from `@tformer/train/node` (a directory on disk).
 */
export interface CheckpointStore {
  /** Replaces the stored checkpoint with `files`, atomically. */
  save(files: Record<string, Uint8Array>): Promise<void>;
  /** The stored checkpoint, or `undefined` when none was saved yet. */
  load(): Promise<Record<string, Uint8Array> | undefined>;
}
