import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from './errors.js';
import { shapeString } from './validate.js';

/**
 * Sums gradients over several micro-batches so that a large effective batch fits in memory:
 * `add` after each micro-batch, `mean` before the optimizer step, then `reset`. The sums live in
 * variables created on first use and updated in place, so accumulation allocates nothing per
 * step.
 *
 * Averaging k micro-batch gradients of mean losses equals the gradient of the mean loss over
 * the k micro-batches when they are equally sized.
 *
 * @example
 * ```ts
 * const accumulator = new GradientAccumulator();
 * for (const batch of microBatches) {
 *   const { value, grads } = tf.variableGrads(() => loss(model, batch));
 *   accumulator.add(grads);
 *   tf.dispose([value, grads]);
 * }
 * const grads = accumulator.mean();
 * optimizer.step(grads, lr);
 * tf.dispose(grads);
 * accumulator.reset();
 * ```
 */
export class GradientAccumulator {
  private readonly sums = new Map<string, tf.Variable>();
  private added = 0;

  /** Micro-batches added since the last reset. */
  get count(): number {
    return this.added;
  }

  /** Adds one micro-batch's gradients (not disposed); each call must have the same names. */
  add(grads: tf.NamedTensorMap): void {
    const names = Object.keys(grads);
    if (
      this.added > 0 &&
      (names.length !== this.sums.size || names.some((n) => !this.sums.has(n)))
    ) {
      throw new InvalidArgumentError(
        'grads',
        `the names of the first micro-batch (${[...this.sums.keys()].join(', ')})`,
        names.join(', '),
      );
    }
    for (const [name, grad] of Object.entries(grads)) {
      const sum = this.sums.get(name);
      if (!sum) {
        // The variable shares the gradient's (refcounted) buffer until its next assign.
        this.sums.set(name, tf.variable(grad, false));
      } else if (sum.shape.join() !== grad.shape.join()) {
        throw new InvalidArgumentError(
          `grads['${name}']`,
          `shape ${shapeString(sum.shape)}`,
          `shape ${shapeString(grad.shape)}`,
        );
      } else if (this.added === 0) {
        sum.assign(grad);
      } else {
        tf.tidy(() => sum.assign(tf.add(sum, grad)));
      }
    }
    this.added += 1;
  }

  /** The mean gradients over the micro-batches added since the last reset; the caller owns them. */
  mean(): tf.NamedTensorMap {
    if (this.added === 0)
      throw new InvalidArgumentError(
        'GradientAccumulator',
        'at least one add() before mean()',
        'none',
      );
    const out: tf.NamedTensorMap = {};
    for (const [name, sum] of this.sums) out[name] = tf.tidy(() => tf.div(sum, this.added));
    return out;
  }

  /** Starts a new accumulation; the next `add` overwrites the sums instead of adding. */
  reset(): void {
    this.added = 0;
  }

  dispose(): void {
    for (const sum of this.sums.values()) sum.dispose();
    this.sums.clear();
    this.added = 0;
  }
}
