import * as tf from '@tensorflow/tfjs-core';
import {
  ArgumentError,
  assertInt,
  type Initializer,
  Module,
  matMul2d,
  normal,
  type RngOption,
  resolveRng,
  ShapeError,
} from '@tformer/nn';
import { TokenIdError } from './errors.js';

/**
 * Rows `table[ids]`: `table` `[V, C]`, int32 `ids` of any shape → `[...ids.shape, C]`, with a
 * gradient that every backend can run. tfjs's own gradient of `gather` needs the
 * `UnsortedSegmentSum` kernel, which wasm lacks; here the backward pass scatters the output
 * gradient rows into a `[V, C]` zero matrix with `tf.scatterND`, which sums rows of repeated ids
 * (checked on cpu and wasm) and costs O(N·C + V·C) like the dense gather gradient.
 *
 * Ids are not range-checked here (see {@link TokenEmbedding}).
 */
export function embeddingLookup(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  if (table.rank !== 2) throw new ShapeError('table', 'rank 2 [vocabSize, dim]', table.shape);
  if (ids.dtype !== 'int32') throw new ArgumentError('ids.dtype', ids.dtype, "'int32'");
  const [vocab, dim] = table.shape as [number, number];
  const flat = tf.reshape(ids, [-1]);
  const lookup = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [t, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    save([flat]); // kept (cloned) only while a tape records; freed by the backward pass
    return {
      value: tf.gather(t, flat),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        tf.scatterND(tf.reshape(saved[0]!, [-1, 1]), dy as tf.Tensor, [vocab, dim]),
    };
  });
  const rows = lookup(table) as tf.Tensor;
  const out = tf.reshape(rows, [...ids.shape, dim]);
  flat.dispose();
  rows.dispose();
  return out;
}

/**
 * Throws {@link TokenIdError} unless every id is in `[0, vocabSize)`. Costs one min/max
 * reduction and one read-back of two numbers (`dataSync`), i.e. one device sync per call.
 */
export function checkTokenIds(ids: tf.Tensor, vocabSize: number): void {
  if (ids.size === 0) return;
  const [min, max] = tf.tidy(() => tf.stack([tf.min(ids), tf.max(ids)]).dataSync());
  if (min! < 0 || max! >= vocabSize) throw new TokenIdError(min!, max!, vocabSize);
}

export interface TokenEmbeddingOptions {
  vocabSize: number;
  /** Width of each embedding: the model width d_model. */
  dModel: number;
  /** Multiply the embeddings by √dModel, as the paper does (default false). */
  scaleBySqrtDModel?: boolean;
  /** Default Normal(0, 0.02), as GPT-2. */
  initializer?: Initializer;
  /** Generator (or seed) for the initial values; default: a random seed. */
  rng?: RngOption;
  /**
   * Check that ids lie in `[0, vocabSize)` on every `apply` (default true): one min/max
   * reduction and a read-back of two numbers per call. Turn off on a hot path whose ids are
   * known to be valid.
   */
  checkIds?: boolean;
}

/**
 * Token embedding with a tied output projection. Parameter `embeddings` `[vocabSize, dModel]`.
 *
 * @example
 * ```ts
 * const emb = new TokenEmbedding({ vocabSize: 65, dModel: 32, rng: 1 });
 * const h = emb.apply(ids);        // [B, T] int32 → [B, T, 32]
 * const logits = emb.project(h);   // [B, T, 32] → [B, T, 65]
 * ```
 */
export class TokenEmbedding extends Module {
  readonly vocabSize: number;
  readonly dModel: number;
  readonly scaleBySqrtDModel: boolean;
  readonly checkIds: boolean;
  readonly embeddings: tf.Variable;

  constructor(options: TokenEmbeddingOptions) {
    super();
    assertInt(options.vocabSize, 'vocabSize');
    assertInt(options.dModel, 'dModel');
    this.vocabSize = options.vocabSize;
    this.dModel = options.dModel;
    this.scaleBySqrtDModel = options.scaleBySqrtDModel ?? false;
    this.checkIds = options.checkIds ?? true;
    const init = options.initializer ?? normal({ stddev: 0.02 });
    this.embeddings = this.addParameter(
      'embeddings',
      init([this.vocabSize, this.dModel], resolveRng(options.rng)),
    );
  }

  /** int32 ids `[...]` → `[..., dModel]` (× √dModel with `scaleBySqrtDModel`). */
  apply(ids: tf.Tensor): tf.Tensor {
    if (ids.dtype !== 'int32') throw new ArgumentError('ids.dtype', ids.dtype, "'int32'");
    if (this.checkIds) checkTokenIds(ids, this.vocabSize);
    return tf.tidy(() => {
      const rows = embeddingLookup(this.embeddings, ids);
      return this.scaleBySqrtDModel ? tf.mul(rows, Math.sqrt(this.dModel)) : rows;
    });
  }

  /**
   * The tied output projection: `h` `[..., dModel]` → logits `[..., vocabSize]` = h · Eᵀ, as a
   * rank-2 product with an explicit transpose (the fast path on wasm, gradient included).
   */
  project(h: tf.Tensor): tf.Tensor {
    if (h.rank < 1 || h.shape[h.rank - 1] !== this.dModel) {
      throw new ShapeError('h', `last dimension ${this.dModel} (the embedding width)`, h.shape);
    }
    return tf.tidy(() => {
      const h2 = tf.reshape(h, [-1, this.dModel]) as tf.Tensor2D;
      const logits = matMul2d(h2, tf.transpose(this.embeddings) as tf.Tensor2D);
      return tf.reshape(logits, [...h.shape.slice(0, -1), this.vocabSize]);
    });
  }
}
