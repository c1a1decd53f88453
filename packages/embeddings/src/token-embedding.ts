import * as tf from '@tensorflow/tfjs-core';
import {
  ArgumentError,
  assertInt,
  type Initializer,
  linear,
  Module,
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
 * tfjs backends whose tensors live in host memory: reading one back is a copy, not a GPU stall,
 * so {@link TokenEmbedding} checks ids there synchronously and exactly.
 */
const HOST_MEMORY_BACKENDS: ReadonlySet<string> = new Set(['cpu', 'wasm', 'tensorflow']);

/** Whether the active tfjs backend keeps tensors in host memory (cpu, wasm, tfjs-node). */
function onHostMemoryBackend(): boolean {
  return HOST_MEMORY_BACKENDS.has(tf.getBackend());
}

/** `[min, max]` of int32 ids as one `[2]` tensor (the caller disposes it). */
function idRange(ids: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => tf.stack([tf.min(ids), tf.max(ids)]) as tf.Tensor1D);
}

function throwIfOutOfRange(range: ArrayLike<number>, vocabSize: number): void {
  const [min, max] = [range[0]!, range[1]!];
  if (min < 0 || max >= vocabSize) throw new TokenIdError(min, max, vocabSize);
}

/**
 * Throws {@link TokenIdError} unless every id is in `[0, vocabSize)`: one min/max reduction and
 * one asynchronous read-back of two numbers (`await data()`), which never blocks a GPU backend.
 *
 * `TokenEmbedding.apply` checks ids itself: exactly and synchronously on cpu, wasm and tfjs-node;
 * on GPU backends (webgl, webgpu), where a synchronous read stalls or breaks the device, it turns
 * the rows of out-of-range ids into NaN instead (so a loss over them is NaN and a trainer's
 * non-finite guard stops before any update). Call this first where you use `apply` directly on a
 * GPU backend and want the typed error.
 *
 * @example
 * ```ts
 * await checkTokenIds(ids, tokens.vocabSize); // throws TokenIdError for an id of 65 in a vocab of 65
 * const h = tokens.apply(ids);
 * ```
 */
export async function checkTokenIds(ids: tf.Tensor, vocabSize: number): Promise<void> {
  if (ids.dtype !== 'int32') throw new ArgumentError('ids.dtype', ids.dtype, "'int32'");
  if (ids.size === 0) return;
  const range = idRange(ids);
  try {
    throwIfOutOfRange(await range.data(), vocabSize);
  } finally {
    range.dispose();
  }
}

/**
 * The synchronous check, only on host-memory backends (see {@link onHostMemoryBackend}): the ids
 * themselves are read (a copy there) and scanned, so the check launches no kernel; the min/max
 * reduction of {@link checkTokenIds} was three kernels per call on tfjs-node.
 */
function checkTokenIdsOnHost(ids: tf.Tensor, vocabSize: number): void {
  if (ids.size === 0) return;
  // sync-read-ok: host-memory backends only (cpu, wasm, tfjs-node): a copy, not a GPU stall
  const values = ids.dataSync() as Int32Array;
  let [min, max] = [values[0]!, values[0]!];
  for (const id of values) {
    if (id < min) min = id;
    else if (id > max) max = id;
  }
  throwIfOutOfRange([min, max], vocabSize);
}

/**
 * `rows` with every row whose id lies outside `[0, vocabSize)` replaced by NaN: the on-device id
 * check of GPU backends, where `gather` would return zeros (or whatever the out-of-bounds read
 * gives) without an error. The gradient flows to the valid rows only. Internal (not in the
 * package's exports); exported from this module for its tests.
 */
export function nanOutOfRange(rows: tf.Tensor, ids: tf.Tensor, vocabSize: number): tf.Tensor {
  const bad = tf.logicalOr(tf.less(ids, 0), tf.greaterEqual(ids, vocabSize)); // [...ids]
  return tf.where(tf.expandDims(bad, -1), tf.scalar(Number.NaN), rows); // [...ids, C]
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
   * Check that ids lie in `[0, vocabSize)` on every `apply` (default true). On cpu, wasm and
   * tfjs-node: one min/max reduction and a synchronous read of two numbers, throwing
   * {@link TokenIdError}. On GPU backends (webgl, webgpu), nothing is read back: the rows of
   * out-of-range ids come out NaN (never silent zeros); use {@link checkTokenIds} for the typed
   * error there. Turn off on a hot path whose ids are known to be valid.
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

  /**
   * int32 ids `[...]` → `[..., dModel]` (× √dModel with `scaleBySqrtDModel`). With `checkIds`,
   * out-of-range ids throw {@link TokenIdError} on cpu, wasm and tfjs-node, and give NaN rows on
   * GPU backends (no synchronous read there; see {@link checkTokenIds}).
   */
  apply(ids: tf.Tensor): tf.Tensor {
    if (ids.dtype !== 'int32') throw new ArgumentError('ids.dtype', ids.dtype, "'int32'");
    const onDevice = this.checkIds && !onHostMemoryBackend();
    if (this.checkIds && !onDevice) checkTokenIdsOnHost(ids, this.vocabSize);
    return tf.tidy(() => {
      let rows = embeddingLookup(this.embeddings, ids);
      if (onDevice) rows = nanOutOfRange(rows, ids, this.vocabSize);
      return this.scaleBySqrtDModel ? tf.mul(rows, Math.sqrt(this.dModel)) : rows;
    });
  }

  /**
   * The tied output projection: `h` `[..., dModel]` → logits `[..., vocabSize]` = h · Eᵀ. Rows
   * `[m, dModel]` off wasm take one transposed product ({@link tiedProduct}); otherwise a rank-2
   * product with an explicit transpose (the fast path on wasm, gradient included).
   */
  project(h: tf.Tensor): tf.Tensor {
    if (h.rank < 1 || h.shape[h.rank - 1] !== this.dModel) {
      throw new ShapeError('h', `last dimension ${this.dModel} (the embedding width)`, h.shape);
    }
    if (h.rank === 2 && tf.getBackend() !== 'wasm')
      return tiedProduct(h as tf.Tensor2D, this.embeddings);
    // [..., dModel] · [dModel, vocabSize] → [..., vocabSize]
    return tf.tidy(() => linear(h, tf.transpose(this.embeddings)));
  }
}

/**
 * h · Eᵀ for rows `h` `[m, C]` and a table `E` `[V, C]` → `[m, V]`, as one `transposeB` product
 * with the closed-form gradient dh = dY·E, dE = dYᵀ·h: no explicit transpose of the table forward
 * and back (two kernels per training step on tfjs-node). Not for wasm, whose fast matmul is plain
 * rank-2 products only.
 */
function tiedProduct(h: tf.Tensor2D, table: tf.Variable): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, e, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([x]); // the table is a variable: read as it is in the backward pass, not copied
    return {
      value: tf.matMul(x, e, false, true), // [m, C] · [V, C]ᵀ → [m, V]
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const dY = dy as tf.Tensor2D;
        return [tf.matMul(dY, table as tf.Tensor as tf.Tensor2D), tf.matMul(dY, saved[0]!, true)]; // [m, C], [V, C]
      },
    };
  });
  return op(h, table) as tf.Tensor2D;
}
