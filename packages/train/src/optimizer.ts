import type * as tf from '@tensorflow/tfjs-core';

/**
 * What the Trainer needs of an optimizer: an update from gradients at a learning rate, and its
 * state (moments and step count) for checkpoints.
 */
export interface Optimizer {
  /** Updates taken so far (the `t` of bias correction). */
  readonly iterations: number;
  /**
   * Applies one update. `grads` is keyed by the engine name of each variable (`variable.name`), as
   * `tf.variableGrads` returns it; parameters without a gradient are left unchanged.
   */
  step(grads: tf.NamedTensorMap, learningRate: number): void;
  /**
   * Optional: the gradients repacked into the optimizer's own layout (fewer, larger tensors),
   * which `step`, `clipByGlobalNorm` and `GradientAccumulator` take instead of `grads`. The
   * caller owns the result (unless it is `grads` itself: nothing to pack); `grads` is not
   * disposed. The Trainer packs each micro-batch's gradients when the optimizer offers this.
   */
  packGradients?(grads: tf.NamedTensorMap): tf.NamedTensorMap;
  /**
   * The optimizer's state tensors by stable name, owned by the optimizer (do not dispose) and
   * valid until its next `step`, `loadStateDict` or `dispose`.
   */
  stateDict(): Map<string, tf.Tensor>;
  /**
   * Frees the tensors the last {@link Optimizer.stateDict} made, where it made any (they are
   * invalid after). The Trainer calls it once a checkpoint has its bytes, so saving leaves the
   * tensor count where it was.
   */
  releaseStateDict?(): void;
  /** Copies state tensors in (the caller keeps ownership of `state`) and sets `iterations`. */
  loadStateDict(
    state: Map<string, tf.Tensor> | Record<string, tf.Tensor>,
    iterations: number,
  ): void;
  /** Hyper-parameters, recorded in `trainer.json` so a checkpoint says how it was trained. */
  getConfig(): Record<string, string | number | boolean | string[]>;
  /** Frees the state tensors. */
  dispose(): void;
}
