/**
 * Where the Trainer keeps its checkpoint: a set of named files (`model.safetensors`,
 * `optimizer.safetensors`, `trainer.json`) saved and loaded as one unit. `save` must be
 * all-or-nothing: after a failed or interrupted save, `load` returns the previous checkpoint.
 * Implementations: {@link MemoryCheckpointStore} (any runtime) and `DirectoryCheckpointStore`
 * from `@tformer/train/node` (a directory on disk).
 */
export interface CheckpointStore {
  /**
   * Stores `files` as the newest checkpoint, atomically. `info` (the step, and the validation
   * loss when an evaluation ran at that step) lets a store name, keep or rank checkpoints; a store
   * may ignore it.
   */
  save(files: Record<string, Uint8Array>, info?: CheckpointInfo): Promise<void>;
  /** The stored checkpoint, or `undefined` when none was saved yet. */
  load(): Promise<Record<string, Uint8Array> | undefined>;
}

/** What the Trainer tells a store about a checkpoint it saves. */
export interface CheckpointInfo {
  /** Optimizer steps completed. */
  step?: number;
  /** The validation loss at that step, when an evaluation ran there (lower is better). */
  validationLoss?: number;
}
