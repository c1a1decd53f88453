import * as tf from '@tensorflow/tfjs-core';
import {
  type Initializer,
  Module,
  matMul2d,
  normal,
  type RngOption,
  resolveRng,
} from '@tformer/nn';
import { ModelArgumentError } from './errors.js';

let lookup: ((table: tf.Tensor2D, ids: tf.Tensor1D) => tf.Tensor2D) | undefined;

/**
 * `table[ids]` with a gradient that wasm can run. tfjs' own gather gradient needs the
 * `UnsortedSegmentSum` kernel, which wasm lacks (FACTS.md); `scatterND` sums rows of repeated ids
 * the same way and exists on every backend.
 */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  lookup ??= tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [t, i, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    save([i]);
    const shape = t.shape;
    return {
      value: tf.gather(t, i),
      gradFunc: (dy, saved) => {
        const [idx] = saved as [tf.Tensor1D];
        const indices = tf.reshape(idx, [-1, 1]); // [N, 1]
        return [tf.scatterND(indices, dy as tf.Tensor2D, shape), tf.zerosLike(idx)];
      },
    };
  }) as unknown as (table: tf.Tensor2D, ids: tf.Tensor1D) => tf.Tensor2D;
  return lookup(table, ids);
}

export interface EmbeddingOptions {
  /** Number of rows (the vocabulary size, or the number of positions). */
  inputDim: number;
  /** Width of each row (d_model). */
  outputDim: number;
  /** Default Normal(0, 0.02) as GPT-2. */
  initializer?: Initializer;
  rng?: RngOption;
}

/**
 * A lookup table `[inputDim, outputDim]` (parameter `table`): ids `[...]` → vectors
 * `[..., outputDim]`. {@link Embedding.project} is the tied output projection `h · tableᵀ`
 * (Press & Wolf 2017, used by the Transformer paper and GPT-2).
 *
 * @example
 * ```ts
 * const wte = new Embedding({ inputDim: 65, outputDim: 32, rng: 0 });
 * const x = wte.apply(tf.tensor2d([[1, 2]], [1, 2], 'int32')); // [1, 2, 32]
 * ```
 */
export class Embedding extends Module {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly table: tf.Variable;

  constructor(options: EmbeddingOptions) {
    super();
    this.inputDim = options.inputDim;
    this.outputDim = options.outputDim;
    const init = options.initializer ?? normal({ stddev: 0.02 });
    this.table = this.addParameter(
      'table',
      init([this.inputDim, this.outputDim], resolveRng(options.rng)),
    );
  }

  /** int32 ids of any shape → `[...ids.shape, outputDim]`. */
  apply(ids: tf.Tensor): tf.Tensor {
    if (ids.dtype !== 'int32') throw new ModelArgumentError('ids.dtype', "'int32'", ids.dtype);
    return tf.tidy(() => {
      const flat = tf.reshape(ids, [-1]) as tf.Tensor1D; // [N]
      const rows = embeddingLookup(this.table as tf.Tensor2D, flat); // [N, C]
      return tf.reshape(rows, [...ids.shape, this.outputDim]); // [..., C]
    });
  }

  /** Tied output projection: `[..., outputDim]` → `[..., inputDim]` scores over the rows. */
  project(h: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const h2 = tf.reshape(h, [-1, this.outputDim]) as tf.Tensor2D; // [N, C]
      // An explicit transpose keeps the product rank-2 and non-transposed (fast on wasm).
      const scores = matMul2d(h2, tf.transpose(this.table) as tf.Tensor2D); // [N, V]
      return tf.reshape(scores, [...h.shape.slice(0, -1), this.inputDim]); // [..., V]
    });
  }
}
