import * as tf from '@tensorflow/tfjs-core';
import {
  ArgumentError,
  assertInt,
  type Initializer,
  Module,
  normal,
  type RngOption,
  resolveRng,
  ShapeError,
} from '@tformer/nn';
import { checkPositions } from './errors.js';

/**
 * The paper's table PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(pos / 10000^(2i/d)),
 * computed in float64 and stored as float32 `[maxLength, d]` (row-major).
 */
export function sinusoidalTable(maxLength: number, dModel: number, base = 10000): Float32Array {
  const table = new Float32Array(maxLength * dModel);
  for (let pos = 0; pos < maxLength; pos++) {
    for (let j = 0; j < dModel; j++) {
      const angle = pos / base ** ((2 * Math.floor(j / 2)) / dModel);
      table[pos * dModel + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return table;
}

export interface SinusoidalOptions {
  /** Number of positions (0 … maxLength − 1). */
  maxLength: number;
  /** Model width d. */
  dModel: number;
  /** The 10000 of the formula. */
  base?: number;
}

/**
 * The paper's fixed sinusoidal positional encoding. No parameters: the table lives on the host
 * and each call uploads the `[T, d]` rows it needs.
 */
export class SinusoidalPositionalEncoding extends Module {
  readonly maxLength: number;
  readonly dModel: number;
  readonly #table: Float32Array;

  constructor(options: SinusoidalOptions) {
    super();
    assertInt(options.maxLength, 'maxLength');
    assertInt(options.dModel, 'dModel');
    this.maxLength = options.maxLength;
    this.dModel = options.dModel;
    this.#table = sinusoidalTable(this.maxLength, this.dModel, options.base ?? 10000);
  }

  /** Rows `offset … offset + length − 1` as `[length, d]`. */
  encoding(length: number, offset = 0): tf.Tensor2D {
    checkPositions(offset, length, this.maxLength, 'SinusoidalPositionalEncoding');
    return tf.tensor2d(
      this.#table.subarray(offset * this.dModel, (offset + length) * this.dModel),
      [length, this.dModel],
    );
  }

  /** `x` `[B, T, d]` + PE[offset … offset + T − 1]. */
  apply(x: tf.Tensor, offset = 0): tf.Tensor {
    checkSequence(x, this.dModel);
    return tf.tidy(() => tf.add(x, this.encoding(x.shape[1]!, offset)));
  }
}

export interface LearnedPositionOptions {
  maxLength: number;
  dModel: number;
  /** Default Normal(0, 0.02). */
  initializer?: Initializer;
  rng?: RngOption;
}

/** Learned absolute positions (GPT-2, BERT, ViT): parameter `embeddings` `[maxLength, dModel]`. */
export class LearnedPositionEmbedding extends Module {
  readonly maxLength: number;
  readonly dModel: number;
  readonly embeddings: tf.Variable;

  constructor(options: LearnedPositionOptions) {
    super();
    assertInt(options.maxLength, 'maxLength');
    assertInt(options.dModel, 'dModel');
    this.maxLength = options.maxLength;
    this.dModel = options.dModel;
    const init = options.initializer ?? normal({ stddev: 0.02 });
    this.embeddings = this.addParameter(
      'embeddings',
      init([this.maxLength, this.dModel], resolveRng(options.rng)),
    );
  }

  /** Rows `offset … offset + length − 1` as `[length, dModel]` (differentiable). */
  encoding(length: number, offset = 0): tf.Tensor2D {
    checkPositions(offset, length, this.maxLength, 'LearnedPositionEmbedding');
    return tf.slice(this.embeddings, [offset, 0], [length, this.dModel]) as tf.Tensor2D;
  }

  /** `x` `[B, T, dModel]` + rows `offset … offset + T − 1`. */
  apply(x: tf.Tensor, offset = 0): tf.Tensor {
    checkSequence(x, this.dModel);
    return tf.tidy(() => tf.add(x, this.encoding(x.shape[1]!, offset)));
  }
}

function checkSequence(x: tf.Tensor, dim: number): void {
  if (x.rank !== 3 || x.shape[2] !== dim) throw new ShapeError('x', [null, null, dim], x.shape);
}

export interface RotaryOptions {
  /** Size of each head (hs), even. */
  headSize: number;
  /** Number of positions. */
  maxLength: number;
  /** θ base (default 10000). */
  base?: number;
  /**
   * Which dimensions pair up: `half` rotates (x[i], x[i + hs/2]) as GPT-NeoX and Hugging Face
   * LLaMA; `interleaved` rotates (x[2i], x[2i+1]) as the RoFormer paper and GPT-J. Default `half`.
   */
  style?: 'half' | 'interleaved';
}

/**
 * Rotary position embedding (RoPE, Su et al.): rotates each pair of a head's dimensions by the
 * angle pos·θ_i, θ_i = base^(−2i/hs). Apply it to queries and keys `[B, H, T, hs]`, either at
 * positions `offset … offset + T − 1` (the cache length in incremental decoding) or at positions
 * given per row as an int32 `[B|1, T]` tensor (batched decoding with left padding, where each row
 * starts at its own first real token).
 *
 * @example
 * ```ts
 * const rope = new RotaryEmbedding({ headSize: 8, maxLength: 128 });
 * const a = rope.apply(q, 4); // q [B, H, T, 8] at positions 4 … 4 + T − 1
 * const b = rope.apply(q, tf.tensor2d([[0, 1, 2], [5, 6, 7]], [2, 3], 'int32')); // per row
 * ```
 */
export class RotaryEmbedding extends Module {
  readonly headSize: number;
  readonly maxLength: number;
  readonly style: 'half' | 'interleaved';
  readonly #cos: Float32Array;
  readonly #sin: Float32Array;
  /** θ_i, i < hs/2 (float64 rounded once), for positions given as a tensor. */
  readonly #inverseFrequencies: Float32Array;

  constructor(options: RotaryOptions) {
    super();
    assertInt(options.headSize, 'headSize', 2);
    if (options.headSize % 2 !== 0)
      throw new ArgumentError('headSize', options.headSize, 'an even integer');
    assertInt(options.maxLength, 'maxLength');
    this.headSize = options.headSize;
    this.maxLength = options.maxLength;
    this.style = options.style ?? 'half';
    if (this.style !== 'half' && this.style !== 'interleaved') {
      throw new ArgumentError('style', this.style, "'half' or 'interleaved'");
    }
    const half = this.headSize / 2;
    const base = options.base ?? 10000;
    const frequencies = Array.from({ length: half }, (_, i) => base ** ((-2 * i) / this.headSize));
    this.#inverseFrequencies = Float32Array.from(frequencies);
    this.#cos = new Float32Array(this.maxLength * half);
    this.#sin = new Float32Array(this.maxLength * half);
    for (let pos = 0; pos < this.maxLength; pos++) {
      for (let i = 0; i < half; i++) {
        const angle = pos * frequencies[i]!;
        this.#cos[pos * half + i] = Math.cos(angle);
        this.#sin[pos * half + i] = Math.sin(angle);
      }
    }
  }

  /**
   * `x` `[B, H, T, hs]` rotated by positions `offset … offset + T − 1` (a number), or by
   * `positions` int32 `[B|1, T]` (a tensor: row b's query/key t sits at `positions[b, t]`).
   * Tensor positions are not read back to check them against `maxLength` (that would stall the
   * device); their angles are computed on the device instead of read from the table.
   */
  apply(x: tf.Tensor, offsetOrPositions: number | tf.Tensor = 0): tf.Tensor {
    if (x.rank !== 4 || x.shape[3] !== this.headSize) {
      throw new ShapeError('x', [null, null, null, this.headSize], x.shape);
    }
    const [b, h, t] = x.shape as [number, number, number];
    const half = this.headSize / 2;
    if (offsetOrPositions instanceof tf.Tensor) checkPositionTensor(offsetOrPositions, b, t);
    else checkPositions(offsetOrPositions, t, this.maxLength, 'RotaryEmbedding');
    return tf.tidy(() => {
      // cos/sin of each angle, [P, 1, T, hs/2] (P = 1 for an offset: the same rows for all B).
      let cos: tf.Tensor;
      let sin: tf.Tensor;
      if (offsetOrPositions instanceof tf.Tensor) {
        const p = offsetOrPositions.shape[0]!;
        const pos = tf.reshape(tf.cast(offsetOrPositions, 'float32'), [p, 1, t, 1]); // [P, 1, T, 1]
        const angles = tf.mul(pos, tf.tensor1d(this.#inverseFrequencies)); // [P, 1, T, hs/2]
        cos = tf.cos(angles);
        sin = tf.sin(angles);
      } else {
        const range = [offsetOrPositions * half, (offsetOrPositions + t) * half] as const;
        cos = tf.tensor4d(this.#cos.subarray(...range), [1, 1, t, half]); // [1, 1, T, hs/2]
        sin = tf.tensor4d(this.#sin.subarray(...range), [1, 1, t, half]); // [1, 1, T, hs/2]
      }
      if (this.style === 'half') {
        const [x1, x2] = tf.split(x, 2, 3) as [tf.Tensor, tf.Tensor]; // each [B, H, T, hs/2]
        return tf.concat(
          [tf.sub(tf.mul(x1, cos), tf.mul(x2, sin)), tf.add(tf.mul(x2, cos), tf.mul(x1, sin))],
          3,
        ); // [B, H, T, hs]
      }
      const p = cos.shape[0]!;
      cos = tf.reshape(cos, [p, 1, t, half, 1]); // [P, 1, T, hs/2, 1]
      sin = tf.reshape(sin, [p, 1, t, half, 1]); // [P, 1, T, hs/2, 1]
      const pairs = tf.reshape(x, [b, h, t, half, 2]); // [B, H, T, hs/2, 2]
      const [even, odd] = tf.split(pairs, 2, 4) as [tf.Tensor, tf.Tensor]; // each [B, H, T, hs/2, 1]
      const rotated = tf.concat(
        [tf.sub(tf.mul(even, cos), tf.mul(odd, sin)), tf.add(tf.mul(odd, cos), tf.mul(even, sin))],
        4,
      ); // [B, H, T, hs/2, 2]
      return tf.reshape(rotated, x.shape); // [B, H, T, hs]
    });
  }
}

/** Positions for `x [B, H, T, hs]` must be int32 `[B|1, T]`. */
function checkPositionTensor(positions: tf.Tensor, b: number, t: number): void {
  if (positions.dtype !== 'int32') {
    throw new ArgumentError('positions.dtype', positions.dtype, "'int32'");
  }
  const [p, length] = positions.shape;
  if (positions.rank !== 2 || (p !== 1 && p !== b) || length !== t) {
    throw new ShapeError('positions', `shape [${b} or 1, ${t}]`, positions.shape);
  }
}

/**
 * The ALiBi paper's head slopes: for a power of two n, the geometric sequence starting at
 * 2^(−8/n) with that ratio; otherwise the slopes of the closest lower power of two 2^k, then
 * every other slope of 2^(k+1) for the remaining heads (as the paper's reference code).
 */
export function alibiSlopes(numHeads: number): number[] {
  assertInt(numHeads, 'numHeads');
  const powerOf2 = (n: number) => {
    const start = 2 ** -(2 ** -(Math.log2(n) - 3));
    return Array.from({ length: n }, (_, i) => start * start ** i);
  };
  if (Number.isInteger(Math.log2(numHeads))) return powerOf2(numHeads);
  const closest = 2 ** Math.floor(Math.log2(numHeads));
  return [
    ...powerOf2(closest),
    ...alibiSlopes(2 * closest)
      .filter((_, i) => i % 2 === 0)
      .slice(0, numHeads - closest),
  ];
}

export interface AlibiOptions {
  numHeads: number;
}

/**
 * ALiBi (Press et al.): an additive attention bias −m_h·|i − j| between query position i and key
 * position j, with the paper's head slopes m_h. No parameters, no length limit.
 */
export class AlibiBias extends Module {
  readonly numHeads: number;
  readonly slopes: readonly number[];

  constructor(options: AlibiOptions) {
    super();
    this.numHeads = options.numHeads;
    this.slopes = alibiSlopes(options.numHeads);
  }

  /**
   * The bias `[1, H, T, S]` for `T` queries at positions `offset … offset + T − 1` and `S` keys
   * at positions `0 … S − 1`. The default offset `S − T` puts the queries last, as in cached
   * decoding. Under a causal mask only j ≤ i matter, where this equals the paper's −m·(i − j).
   */
  bias(queryLength: number, keyLength: number, offset = keyLength - queryLength): tf.Tensor4D {
    assertInt(queryLength, 'queryLength');
    assertInt(keyLength, 'keyLength');
    assertInt(offset, 'offset', 0);
    return tf.tidy(() => {
      const q = tf.reshape(tf.range(offset, offset + queryLength, 1, 'float32'), [queryLength, 1]);
      const k = tf.reshape(tf.range(0, keyLength, 1, 'float32'), [1, keyLength]);
      const distance = tf.abs(tf.sub(q, k));
      const slopes = tf.tensor3d(
        this.slopes.map((m) => -m),
        [this.numHeads, 1, 1],
      );
      return tf.reshape(tf.mul(slopes, distance), [
        1,
        this.numHeads,
        queryLength,
        keyLength,
      ]) as tf.Tensor4D;
    });
  }
}
