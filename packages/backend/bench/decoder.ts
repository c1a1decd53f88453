// A small decoder-only Transformer in plain tfjs ops, for timing training steps on each backend.
// Every matmul is rank 2 (or batched rank 3 in attention) with explicit transposes in its custom
// gradient: tfjs-backend-wasm runs only rank-2, untransposed products on XNNPACK (docs/tfjs-facts.md).
import * as tf from '@tensorflow/tfjs-core';

export interface DecoderConfig {
  vocab: number;
  layers: number;
  d: number;
  heads: number;
  ctx: number;
  batch: number;
}

/** The configuration: 4 layers, d=128, 4 heads, ctx 128, batch 16; 65 symbols (chars). */
export const BENCH_CONFIG: DecoderConfig = {
  vocab: 65,
  layers: 4,
  d: 128,
  heads: 4,
  ctx: 128,
  batch: 16,
};

/** The last two axes swapped: `[m, k]` → `[k, m]`, `[n, p, k]` → `[n, k, p]`. */
const swapLast = (x: tf.Tensor) => tf.transpose(x, x.rank === 3 ? [0, 2, 1] : [1, 0]);

/**
 * a·b for [m,k]·[k,n] (or batched, [n,p,k]·[n,k,q]), whose gradient uses explicit transposes
 * instead of transposed products.
 */
const matMulExplicit = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, [sa, sb]: tf.Tensor[]) => [
      tf.matMul(dy, swapLast(sb!)),
      tf.matMul(swapLast(sa!), dy),
    ],
  };
});
const mm = matMulExplicit as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;
const bmm = matMulExplicit as (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D;

/** Deterministic weights (tfjs's random ops differ between backends). */
function init(shape: number[], scale: number, seed: number): tf.Variable {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++)
    values[i] = (((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1) * scale;
  const t = tf.tensor(values, shape);
  const v = tf.variable(t);
  t.dispose();
  return v;
}

export interface Decoder {
  params: tf.Variable[];
  /** Mean cross-entropy of next-token prediction for ids [batch, ctx+1] (as flat int32 arrays). */
  loss(inputs: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar;
  count: number;
}

export function makeDecoder(c: DecoderConfig): Decoder {
  const { vocab, layers, d, heads, ctx } = c;
  let seed = 1;
  const p = (shape: number[], scale = 0.02) => init(shape, scale, seed++);
  const ones = (n: number) => tf.variable(tf.ones([n]));
  const zeros = (n: number) => tf.variable(tf.zeros([n]));
  const embed = p([vocab, d]);
  const pos = p([ctx, d]);
  const blocks = Array.from({ length: layers }, () => ({
    ln1g: ones(d),
    ln1b: zeros(d),
    wqkv: p([d, 3 * d]),
    bqkv: zeros(3 * d),
    wo: p([d, d]),
    bo: zeros(d),
    ln2g: ones(d),
    ln2b: zeros(d),
    w1: p([d, 4 * d]),
    b1: zeros(4 * d),
    w2: p([4 * d, d]),
    b2: zeros(d),
  }));
  const lnfg = ones(d);
  const lnfb = zeros(d);
  const params = [embed, pos, lnfg, lnfb, ...blocks.flatMap((b) => Object.values(b))];
  const mask = tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([ctx, ctx]), -1, 0)), -1e9);
  const hs = d / heads;

  const norm = (x: tf.Tensor2D, g: tf.Tensor, b: tf.Tensor) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(
      tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g),
      b,
    ) as tf.Tensor2D;
  };
  // [B*T, d] → [B*heads, T, hs] and back
  const split = (x: tf.Tensor2D, B: number) =>
    tf.reshape(tf.transpose(tf.reshape(x, [B, ctx, heads, hs]), [0, 2, 1, 3]), [
      B * heads,
      ctx,
      hs,
    ]) as tf.Tensor3D;
  const merge = (x: tf.Tensor3D, B: number) =>
    tf.reshape(tf.transpose(tf.reshape(x, [B, heads, ctx, hs]), [0, 2, 1, 3]), [
      B * ctx,
      d,
    ]) as tf.Tensor2D;

  function loss(inputs: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
    const B = inputs.shape[0];
    // Embedding as a one-hot product: the gather gradient has no wasm kernel (docs/tfjs-facts.md).
    const onehot = (ids: tf.Tensor2D) =>
      tf.cast(tf.oneHot(tf.reshape(ids, [-1]), vocab), 'float32') as tf.Tensor2D;
    let x = tf.add(tf.reshape(mm(onehot(inputs), embed as tf.Tensor2D), [B, ctx, d]), pos);
    let h = tf.reshape(x, [B * ctx, d]) as tf.Tensor2D;
    for (const b of blocks) {
      const qkv = tf.add(mm(norm(h, b.ln1g, b.ln1b), b.wqkv as tf.Tensor2D), b.bqkv) as tf.Tensor2D;
      const [q, k, v] = tf.split(qkv, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const scores = tf.add(
        tf.div(bmm(split(q, B), tf.transpose(split(k, B), [0, 2, 1])), Math.sqrt(hs)),
        mask,
      );
      const attended = merge(bmm(tf.softmax(scores) as tf.Tensor3D, split(v, B)), B);
      h = tf.add(h, tf.add(mm(attended, b.wo as tf.Tensor2D), b.bo)) as tf.Tensor2D;
      const ff = tf.relu(
        tf.add(mm(norm(h, b.ln2g, b.ln2b), b.w1 as tf.Tensor2D), b.b1),
      ) as tf.Tensor2D;
      h = tf.add(h, tf.add(mm(ff, b.w2 as tf.Tensor2D), b.b2)) as tf.Tensor2D;
    }
    x = norm(h, lnfg, lnfb);
    const logits = mm(x as tf.Tensor2D, tf.transpose(embed) as tf.Tensor2D); // tied output projection
    const logp = tf.logSoftmax(logits);
    return tf.neg(tf.mean(tf.sum(tf.mul(onehot(targets), logp), -1))) as tf.Scalar;
  }
  return { params, loss, count: params.reduce((n, v) => n + v.size, 0) };
}
