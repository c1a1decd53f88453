import * as tf from '@tensorflow/tfjs-core';
import { type AttentionDims, HeadMasks, type MaskPlan } from './mask-plan.js';

/**
 * The two attention kernels behind `scaledDotProductAttention`, each a `tf.customGrad` op over
 * (q, k, v). Masks are closed over, not inputs: they are constants and get no gradient.
 *
 * Why per-head rank-2 products: on wasm, XNNPACK serves only rank-2 non-transposed matMuls; a
 * rank-3 batchMatMul or a transposed operand falls to a scalar loop 10-20x slower (FACTS.md,
 * bench/layouts.ts). So every product here is `[m, k] x [k, n]` for one (batch, head), with
 * explicit `tf.transpose` where the maths has a transpose, and the gradients are written out
 * rather than left to autodiff (whose matMul gradient uses transposed products). Splitting
 * q, k, v into heads uses `tf.gather` (wasm's `slice` copies its whole source per call), and the
 * big `[T, S]` tensors are never split: they are made per head.
 *
 * GQA: query head h of batch b reads key/value head `b·Hkv + ⌊h / (H / Hkv)⌋`.
 */
export interface KernelDims extends AttentionDims {
  dk: number;
  dv: number;
}

export interface KernelOptions {
  plan: MaskPlan;
  scale: number;
  /** Dropout rate on the attention probabilities (plain kernel only). */
  dropout: number;
  seed: number;
}

/**
 * Materialises softmax(q kᵀ·scale + mask) per head, keeps it for the backward pass and optionally
 * hands it out (`weights`, pre-dropout, not differentiable). Returns `[B, H, T, dv]`.
 */
export function plainAttention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  dims: KernelDims,
  options: KernelOptions,
  wantWeights: boolean,
): { output: tf.Tensor4D; weights?: tf.Tensor4D } {
  const { B, H, T, S, dv } = dims;
  let weights: tf.Tensor | undefined;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [qIn, kIn, vIn] = args as tf.Tensor4D[];
    const save = args[3] as tf.GradSaveFunc;
    const heads = splitHeads(qIn!, kIn!, vIn!, dims, options.scale);
    const masks = new HeadMasks(options.plan, dims);
    const structural = masks.structural(0, S);
    // One tidy per head frees its scores as soon as its probabilities exist.
    const perHead = forEachHead(dims, (i, b, h, j) =>
      tf.tidy(() => {
        const { bias, keep } = masks.forHead(b, h, 0, S, structural);
        let scores = tf.matMul(heads.q[i]!, heads.kT[j]!); // [T, S]
        if (bias) scores = tf.add(scores, bias);
        let p = tf.softmax(scores);
        if (keep) p = tf.mul(p, keep); // a fully masked row becomes zeros, not a uniform row
        const pd = options.dropout > 0 ? dropout(p, options.dropout, options.seed + i) : p;
        return { p, pd, out: tf.matMul(pd, heads.v[j]!) }; // out [T, dv]
      }),
    );
    masks.dispose();
    const probs = perHead.map((x) => x.p);
    if (wantWeights) weights = tf.keep(tf.reshape(tf.concat(probs, 0), [B, H, T, S])); // [B, H, T, S]
    save([qIn!, kIn!, vIn!, ...probs, ...perHead.map((x) => x.pd)]);
    const value = tf.reshape(
      tf.concat(
        perHead.map((x) => x.out),
        0,
      ),
      [B, H, T, dv],
    ); // [B, H, T, dv]
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [qS, kS, vS] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const n = B * H;
      const p = saved.slice(3, 3 + n);
      const pd = saved.slice(3 + n, 3 + 2 * n);
      const g = splitHeads(qS, kS, vS, dims, options.scale);
      const dOut = splitBlocks(dy, n, T, dv);
      const dK: tf.Tensor[][] = g.k.map(() => []);
      const dV: tf.Tensor[][] = g.v.map(() => []);
      const dQ = forEachHead(dims, (i, _b, _h, j) => {
        const grads = tf.tidy(() => {
          let dP = tf.matMul(dOut[i]!, g.vT[j]!); // [T, S]
          if (options.dropout > 0) dP = tf.mul(dP, tf.divNoNan(pd[i]!, p[i]!)); // the dropout factor
          // softmax backward: dS = P ⊙ (dP − rowsum(dP ⊙ P))
          const dS = tf.mul(p[i]!, tf.sub(dP, tf.sum(tf.mul(dP, p[i]!), 1, true))); // [T, S]
          return {
            dV: tf.matMul(tf.transpose(pd[i]!), dOut[i]!), // [S, dv]
            dK: tf.matMul(tf.transpose(dS), g.q[i]!), // [S, dk]; q is pre-scaled
            dQ: tf.mul(tf.matMul(dS, g.k[j]!), options.scale), // [T, dk]
          };
        });
        dV[j]!.push(grads.dV);
        dK[j]!.push(grads.dK);
        return grads.dQ;
      });
      return mergeGradients(dQ, dK, dV, dims);
    };
    return { value, gradFunc };
  });
  const output = op(q, k, v) as tf.Tensor4D;
  if (!weights) return { output };
  // Re-home the kept weights in the caller's scope so an enclosing tidy can free them.
  const owned = tf.clone(weights) as tf.Tensor4D;
  weights.dispose();
  return { output, weights: owned };
}

/**
 * FlashAttention's recurrence (Dao et al. 2022, arXiv:2205.14135) over key chunks of `chunkSize`:
 * a running row max m, normaliser l and unnormalised output o per head, so no `[T, S]` tensor
 * exists, only `[T, chunkSize]` (each chunk's are freed before the next). The backward pass
 * keeps only the output and the row log-sum-exp L and recomputes each chunk's probabilities as
 * exp(s − L). Chunks that causal / window masking hides from every query are skipped.
 */
export function memoryEfficientAttention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  dims: KernelDims,
  options: KernelOptions,
  chunkSize: number,
): tf.Tensor4D {
  const { B, H, T, S, dk, dv } = dims;
  const chunks: Array<[number, number]> = [];
  for (let start = 0; start < S; start += chunkSize)
    chunks.push([start, Math.min(chunkSize, S - start)]);
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [qIn, kIn, vIn] = args as tf.Tensor4D[];
    const save = args[3] as tf.GradSaveFunc;
    const heads = splitHeads(qIn!, kIn!, vIn!, dims, options.scale);
    const kv = chunkKeys(heads, chunks);
    const masks = new HeadMasks(options.plan, dims);
    const state: Array<{ m: tf.Tensor; l: tf.Tensor; o: tf.Tensor } | undefined> = [];
    chunks.forEach(([start, count], c) => {
      if (masks.hidesChunk(start, count)) return;
      const structural = masks.structural(start, count);
      forEachHead(dims, (i, b, h, j) => {
        const prev = state[i];
        state[i] = tf.tidy(() => {
          const { bias, keep } = masks.forHead(b, h, start, count, structural);
          let scores = tf.matMul(heads.q[i]!, kv.kT[j]![c]!); // [T, C]
          if (bias) scores = tf.add(scores, bias);
          const chunkMax = tf.max(scores, 1, true); // [T, 1]
          const m = prev ? tf.maximum(prev.m, chunkMax) : chunkMax;
          let p = tf.exp(tf.sub(scores, m)); // [T, C]
          if (keep) p = tf.mul(p, keep);
          const pv = tf.matMul(p, kv.v[j]![c]!); // [T, dv]
          if (!prev) return { m, l: tf.sum(p, 1, true), o: pv };
          const alpha = tf.exp(tf.sub(prev.m, m)); // rescales what earlier chunks accumulated
          return {
            m,
            l: tf.add(tf.mul(prev.l, alpha), tf.sum(p, 1, true)),
            o: tf.add(tf.mul(prev.o, alpha), pv),
          };
        });
        if (prev) tf.dispose([prev.m, prev.l, prev.o]);
      });
      structural?.dispose();
    });
    masks.dispose();
    // A row that saw no key has l = 0 (or no state at all): output 0, and L huge so exp(s − L) = 0.
    const outs = forEachHead(dims, (i) =>
      state[i] ? tf.divNoNan(state[i]!.o, state[i]!.l) : tf.zeros([T, dv]),
    );
    const lse = forEachHead(dims, (i) => {
      const st = state[i];
      if (!st) return tf.fill([T, 1], 1e30);
      return tf.where(tf.greater(st.l, 0), tf.add(st.m, tf.log(st.l)), tf.fill([T, 1], 1e30));
    });
    const value = tf.reshape(tf.concat(outs, 0), [B, H, T, dv]); // [B, H, T, dv]
    // The mask is saved too: a mask made inside the differentiated function is gone by backprop.
    const mask = options.plan.mask;
    save([qIn!, kIn!, vIn!, value, tf.concat(lse, 0), ...(mask ? [mask] : [])]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [qS, kS, vS, out, lseS, maskS] = saved as [
        tf.Tensor4D,
        tf.Tensor4D,
        tf.Tensor4D,
        tf.Tensor4D,
        tf.Tensor,
        tf.Tensor4D?,
      ];
      const n = B * H;
      const g = splitHeads(qS, kS, vS, dims, options.scale);
      const gkv = chunkKeys(g, chunks);
      const gMasks = new HeadMasks({ ...options.plan, mask: maskS }, dims);
      const dOut = splitBlocks(dy, n, T, dv);
      const outH = splitBlocks(out, n, T, dv);
      const L = splitBlocks(lseS, n, T, 1);
      const D = dOut.map((d, i) => tf.sum(tf.mul(d, outH[i]!), 1, true)); // [T, 1] rowsum(dO ⊙ O)
      const dQ: tf.Tensor[] = forEachHead(dims, () => tf.zeros([T, dk]));
      const dKc: tf.Tensor[][] = g.k.map(() => chunks.map(([, count]) => tf.zeros([count, dk])));
      const dVc: tf.Tensor[][] = g.v.map(() => chunks.map(([, count]) => tf.zeros([count, dv])));
      chunks.forEach(([start, count], c) => {
        if (gMasks.hidesChunk(start, count)) return;
        const structural = gMasks.structural(start, count);
        forEachHead(dims, (i, b, h, j) => {
          const next = tf.tidy(() => {
            const { bias, keep } = gMasks.forHead(b, h, start, count, structural);
            let scores = tf.matMul(g.q[i]!, gkv.kT[j]![c]!); // [T, C]
            if (bias) scores = tf.add(scores, bias);
            let p = tf.exp(tf.sub(scores, L[i]!)); // [T, C], the forward's probabilities
            if (keep) p = tf.mul(p, keep);
            const dP = tf.matMul(dOut[i]!, tf.transpose(gkv.v[j]![c]!)); // [T, C]
            const dS = tf.mul(p, tf.sub(dP, D[i]!)); // [T, C]
            return {
              dV: tf.add(dVc[j]![c]!, tf.matMul(tf.transpose(p), dOut[i]!)), // [C, dv]
              dK: tf.add(dKc[j]![c]!, tf.matMul(tf.transpose(dS), g.q[i]!)), // [C, dk]
              dQ: tf.add(dQ[i]!, tf.mul(tf.matMul(dS, gkv.k[j]![c]!), options.scale)), // [T, dk]
            };
          });
          tf.dispose([dVc[j]![c]!, dKc[j]![c]!, dQ[i]!]);
          [dVc[j]![c], dKc[j]![c], dQ[i]] = [next.dV, next.dK, next.dQ];
        });
        structural?.dispose();
      });
      gMasks.dispose();
      const dK = dKc.map((parts) => [tf.concat(parts, 0)]);
      const dV = dVc.map((parts) => [tf.concat(parts, 0)]);
      return mergeGradients(dQ, dK, dV, dims);
    };
    return { value, gradFunc };
  });
  return op(q, k, v) as tf.Tensor4D;
}

interface Heads {
  /** Per query head, pre-multiplied by the scale: `[T, dk]`. */
  q: tf.Tensor[];
  /** Per key/value head: `[S, dk]`, its transpose `[dk, S]`, `[S, dv]` and its transpose. */
  k: tf.Tensor[];
  kT: tf.Tensor[];
  v: tf.Tensor[];
  vT: tf.Tensor[];
}

function splitHeads(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  dims: KernelDims,
  scale: number,
): Heads {
  const { B, H, Hkv, T, S, dk, dv } = dims;
  const kHeads = splitBlocks(k, B * Hkv, S, dk);
  const vHeads = splitBlocks(v, B * Hkv, S, dv);
  return {
    q: splitBlocks(tf.mul(q, scale), B * H, T, dk),
    k: kHeads,
    kT: kHeads.map((x) => tf.transpose(x)), // [dk, S]
    v: vHeads,
    vT: vHeads.map((x) => tf.transpose(x)), // [dv, S]
  };
}

/** Per key/value head and key chunk: kᵀ `[dk, C]`, k `[C, dk]` and v `[C, dv]`. */
function chunkKeys(heads: Heads, chunks: Array<[number, number]>) {
  const cut = (x: tf.Tensor) =>
    chunks.map(([start, count]) =>
      chunks.length === 1 ? x : tf.slice(x, [start, 0], [count, x.shape[1]!]),
    );
  const k = heads.k.map(cut); // [Hkv·B][chunk] → [C, dk]
  return { k, kT: k.map((parts) => parts.map((x) => tf.transpose(x))), v: heads.v.map(cut) };
}

/** `[count, rows, cols]`-shaped data as `count` rank-2 tensors (a view when count is 1). */
function splitBlocks(x: tf.Tensor, count: number, rows: number, cols: number): tf.Tensor[] {
  if (count === 1) return [tf.reshape(x, [rows, cols])];
  const flat = tf.reshape(x, [count, rows * cols]); // [count, rows·cols]
  return Array.from({ length: count }, (_, i) => tf.reshape(tf.gather(flat, [i], 0), [rows, cols])); // [rows, cols]
}

/** Calls fn(i, b, h, kvIndex) for every query head i = b·H + h, collecting defined results. */
function forEachHead<R>(
  dims: KernelDims,
  fn: (i: number, b: number, h: number, j: number) => R,
): R[] {
  const { B, H, Hkv } = dims;
  const group = H / Hkv;
  const out: R[] = [];
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) out.push(fn(b * H + h, b, h, b * Hkv + Math.floor(h / group)));
  }
  return out;
}

/** Per-head gradient pieces back to `[B, H, T, dk]`, `[B, Hkv, S, dk]`, `[B, Hkv, S, dv]`. */
function mergeGradients(dQ: tf.Tensor[], dK: tf.Tensor[][], dV: tf.Tensor[][], dims: KernelDims) {
  const { B, H, Hkv, T, S, dk, dv } = dims;
  const sum = (parts: tf.Tensor[]) => (parts.length === 1 ? parts[0]! : tf.addN(parts));
  return [
    tf.reshape(tf.concat(dQ, 0), [B, H, T, dk]), // [B, H, T, dk]
    tf.reshape(tf.concat(dK.map(sum), 0), [B, Hkv, S, dk]), // [B, Hkv, S, dk]
    tf.reshape(tf.concat(dV.map(sum), 0), [B, Hkv, S, dv]), // [B, Hkv, S, dv]
  ];
}

/** Inverted dropout with a seeded mask, so the same seed drops the same entries. */
function dropout(p: tf.Tensor, rate: number, seed: number): tf.Tensor {
  const keep = tf.greaterEqual(tf.randomUniform(p.shape, 0, 1, 'float32', seed), rate);
  return tf.mul(p, tf.mul(tf.cast(keep, 'float32'), 1 / (1 - rate)));
}
