import * as tf from '@tensorflow/tfjs-core';
import type { MultiHeadAttention } from '@tformer/attention';
import { type Dense, LayerNorm, type RMSNorm } from '@tformer/nn';
import { padZeros, scaleRows } from './fold-ops.js';

// The folds behind `DecodeStep`'s weights (laid out by `arrangeWeights`), the products that read
// them, and the tables each step makes on the host. Internal to the one-token decoding path.

export type Norm = LayerNorm | RMSNorm;

/**
 * A product `x·w + bias` whose weights already hold a norm's gain/shift and any fixed scale:
 * `w` `[K, N]`, or per head `[heads, K, N]` (the product of a `[B, 1, 1, K]` row broadcasts over
 * the heads: `[B, heads, 1, N]`, no reshape).
 */
export interface Projection {
  w: tf.Tensor;
  bias: tf.Tensor | undefined;
}

/** k = √(2/π) of GELU's tanh form, whose ½(1 + tanh y) is σ(2y). */
const K = Math.sqrt(2 / Math.PI);
/**
 * The factors folded into the FFN's first product (`input`) and second (`output`): GELU's
 * argument w = x/√2 of erf, whose w(1 + erf w) is √2·gelu(x); or w = 2k·x, so that
 * 2k(x + 0.044715x³) = w + TANH_CUBIC·w³ and w·σ(that) is 2k·gelu_tanh(x).
 */
export const GELU_SCALE = {
  gelu: { input: Math.SQRT1_2, output: Math.SQRT1_2 },
  gelu_tanh: { input: 2 * K, output: 1 / (2 * K) },
  relu: { input: 1, output: 1 },
} as const;
export const TANH_CUBIC = 0.044715 / (2 * K) ** 2;

/**
 * `x·w + bias`. Not `tf.fused.matMul`: its op reshapes both operands and the result to rank 3,
 * four kernels where a plain product is one.
 */
export function project(x: tf.Tensor, p: Projection): tf.Tensor {
  const y = tf.matMul(x as tf.Tensor4D, p.w as tf.Tensor4D);
  return p.bias ? tf.add(y, p.bias) : y;
}

/**
 * The weights `[C, N]` and bias `[N]` of `(norm(x)·w + bias)·scale` applied to the normalised x
 * divided by √C (see `DecodeStep`'s `#normalize`): `diag(γ)·w·√C·scale` and `(β·w + bias)·scale`.
 */
export function foldNorm(
  norm: Norm,
  w: tf.Tensor,
  bias: tf.Tensor | undefined,
  scale = 1,
): Projection {
  const C = w.shape[0]!;
  const weights = scaleRows(w, Math.sqrt(C) * scale, norm.gamma); // [C, N]
  const beta = norm instanceof LayerNorm ? norm.beta : undefined;
  let shift = beta && tf.reshape(tf.matMul(tf.reshape(beta, [1, C]), w), [-1]); // [N]
  if (bias) shift = shift ? tf.add(shift, bias) : bias;
  return { w: weights, bias: shift && tf.mul(shift, scale) };
}

/** `[K, heads·w]` weights and `[heads·w]` bias as per-head `[heads, K, w]` and `[heads, 1, w]`. */
export function toHeads(p: Projection, heads: number): Projection {
  const [rows, columns] = p.w.shape as [number, number];
  const w = tf.transpose(tf.reshape(p.w, [rows, heads, columns / heads]), [1, 0, 2]); // [heads, K, w]
  return { w, bias: p.bias && tf.reshape(p.bias, [heads, 1, -1]) }; // [heads, 1, w]
}

/**
 * The query and key/value products of one attention layer as flat `[C, heads·w]` columns (and
 * biases), per head side by side so that {@link toHeads} cuts them into heads: queries `q·s`
 * (s = 1/√d), or `[q·s | 0]` for a `packed` cache (zero columns meet its values, see
 * `DecodeStep`), and keys/values `[k | v]`; with RoPE `[q·s | q·s·R]` and `[k | k·R | v]`, R
 * being rotate-half per head (x·R = [−x₂, x₁]).
 */
export function attentionWeights(
  attn: MultiHeadAttention,
  packed: boolean,
): { query: Projection; keyValue: Projection } {
  const { headSize: d } = attn.config;
  const s = 1 / Math.sqrt(d);
  const part = (get: (dense: Dense) => tf.Tensor | undefined) => {
    const q = scaleRows(get(attn.query)!, s);
    const [k, v] = [get(attn.key)!, get(attn.value)!];
    return attn.rotary
      ? {
          query: sideBySide([q, rotateHalf(q, d)], d),
          keyValue: sideBySide([k, rotateHalf(k, d), v], d),
        }
      : {
          query: packed ? sideBySide([q, tf.zerosLike(q)], d) : q,
          keyValue: sideBySide([k, v], d),
        };
  };
  const w = part((x) => x.kernel);
  const bias = attn.query.bias ? part((x) => x.bias) : undefined;
  return {
    query: { w: w.query, bias: bias?.query },
    keyValue: { w: w.keyValue, bias: bias?.keyValue },
  };
}

/**
 * The query, key and value products of one attention layer as one flat `[C, (H + 2Hkv)·d]`
 * product `[q·s | k | v]` (s = 1/√d) and its bias, for a step that cuts the heads apart by
 * slices (no RoPE, no packed cache).
 */
export function fusedAttentionWeights(attn: MultiHeadAttention): Projection {
  const s = 1 / Math.sqrt(attn.config.headSize);
  const part = (get: (dense: Dense) => tf.Tensor | undefined) =>
    tf.concat([scaleRows(get(attn.query)!, s), get(attn.key)!, get(attn.value)!], -1);
  return { w: part((x) => x.kernel), bias: attn.query.bias ? part((x) => x.bias) : undefined };
}

/**
 * The `[H·2d, C + 1]` rows of a product reading packed attention outputs `[k-part | v-part]`
 * per head: the `[H·d, C + 1]` weights `w` below zero rows for each head's key half.
 */
export function valueRows(w: tf.Tensor, heads: number): tf.Tensor {
  const [rows, columns] = w.shape as [number, number];
  const d = rows / heads;
  const perHead = tf.reshape(w, [heads, d, columns]); // [H, d, C + 1]
  return tf.reshape(
    padZeros(perHead, [
      [0, 0],
      [d, 0],
      [0, 0],
    ]),
    [2 * rows, columns],
  ); // [H, 2d, C + 1] → [H·2d, C + 1]
}

/**
 * The `[n·d, w·d]` product summing the first two d-column blocks of each head into its first d
 * columns and carrying a third block (when `n` = 3) into the next d (w = 2: zeros when n = 2):
 * RoPE's x·cos + (x·R)·sin after the elementwise product with `[cos | sin (| 1)]`. Its 0/1
 * entries make it exact.
 */
export function rotationSum(n: 2 | 3, w: 1 | 2, d: number): tf.Tensor2D {
  const eye = tf.eye(d);
  const row = (block: 0 | 1) =>
    w === 1 ? eye : tf.concat(block === 0 ? [eye, tf.zeros([d, d])] : [tf.zeros([d, d]), eye], 1);
  const blocks = [row(0), row(0)];
  if (n === 3) blocks.push(row(1));
  return tf.concat(blocks, 0) as tf.Tensor2D; // [n·d, w·d]
}

/** Columns `[..., heads·d]` of each part, per head side by side: `[..., heads·parts·d]`. */
function sideBySide(parts: tf.Tensor[], d: number): tf.Tensor {
  const lead = parts[0]!.shape.slice(0, -1);
  const heads = parts[0]!.shape.at(-1)! / d;
  const split = parts.map((x) => tf.reshape(x, [...lead, heads, d])); // [..., heads, d]
  return tf.reshape(tf.concat(split, -1), [...lead, heads * parts.length * d]);
}

/** Columns of `x` `[..., heads·d]` per head: [x₁, x₂] → [−x₂, x₁] (halves of d). */
function rotateHalf(x: tf.Tensor, d: number): tf.Tensor {
  const lead = x.shape.slice(0, -1);
  const halves = tf.reshape(x, [...lead, x.shape.at(-1)! / d, 2, d / 2]); // [..., heads, 2, d/2]
  const [x1, x2] = tf.split(halves, 2, -2);
  return tf.reshape(tf.concat([tf.neg(x2!), x1!], -2), x.shape); // [..., heads·d]
}

/** w³ as w²·w: wasm's Pow is ~50× slower than two multiplies at [8, 512]. */
export function cube(w: tf.Tensor): tf.Tensor {
  return tf.mul(tf.square(w), w);
}

/** Added to the scores of hidden keys: finite, and exp(−1e9 − max) is an exact 0 in float32. */
const MASKED = -1e9;

/**
 * A step's additive attention bias (padding and ALiBi) `[B, Hkv, g, S]`, or undefined when there
 * is none: `visible(b, j)` says whether row b may attend to the j-th of the S keys. Made whole on
 * the host: a broadcasting add is several times slower on wasm.
 */
export function attentionBias(
  { ids, visible }: { ids: readonly number[]; visible?: (b: number, j: number) => boolean },
  S: number,
  slopes: readonly number[] | undefined,
  { H, Hkv }: { H: number; Hkv: number },
): tf.Tensor | undefined {
  if (!visible && !slopes) return undefined;
  const B = ids.length;
  const values = new Float32Array(B * H * S);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let j = 0; j < S; j++) {
        const hidden = visible !== undefined && !visible(b, j);
        // ALiBi: −m_h·|query − key|; the query is the newest key, S − 1 − j positions later.
        const alibi = slopes ? -slopes[h]! * (S - 1 - j) : 0;
        values[(b * H + h) * S + j] = hidden ? MASKED + alibi : alibi;
      }
    }
  }
  return tf.tensor4d(values, [B, Hkv, H / Hkv, S]); // head h = kv·g + row
}

/**
 * Each row's `[cos | sin]` `[B, 1, 1, 2d]` (queries) and `[cos | sin | 1]` `[B, 1, 1, 3d]`
 * (keys/values) of its position, for RoPE with head size d and base `base`; both halves of a
 * head share an angle.
 */
export function rotationAngles(
  positions: readonly number[],
  { d, base }: { d: number; base: number },
): { query: tf.Tensor; keyValue: tf.Tensor } {
  const half = d / 2;
  const B = positions.length;
  const query = new Float32Array(B * 2 * d);
  const keyValue = new Float32Array(B * 3 * d).fill(1);
  positions.forEach((p, b) => {
    for (let i = 0; i < d; i++) {
      // The angle in float64, as RotaryEmbedding's table: no float32 drift at large positions.
      const angle = p * base ** ((-2 * (i % half)) / d);
      query[b * 2 * d + i] = keyValue[b * 3 * d + i] = Math.cos(angle);
      query[b * 2 * d + d + i] = keyValue[b * 3 * d + d + i] = Math.sin(angle);
    }
  });
  return {
    query: tf.tensor4d(query, [B, 1, 1, 2 * d]),
    keyValue: tf.tensor4d(keyValue, [B, 1, 1, 3 * d]),
  };
}
