import * as tf from '@tensorflow/tfjs-core';
import { addMany, createRng } from '@tformer/nn';
import { type AttentionDims, HeadMasks, type MaskPlan } from './mask-plan.js';

/**
 * The two attention kernels behind `scaledDotProductAttention`, each a `tf.customGrad` op over
 * (q, k, v). Masks are not inputs of the ops: they are constants and get no gradient.
 *
 * Why per-head rank-2 products: on wasm, XNNPACK serves only rank-2 non-transposed matMuls; a
 * rank-3 batchMatMul or a transposed operand falls to a scalar loop 10-20x slower (docs/tfjs-facts.md,
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
  /** Dropout rate on the attention probabilities. */
  dropout: number;
  seed: number;
}

/**
 * The signature of the exact kernels ({@link plainAttention}, `batchedAttention`): one contract, so
 * `scaledDotProductAttention` can run either. `wantWeights` asks for the pre-dropout weights.
 */
export type ExactAttentionKernel = (
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  dims: KernelDims,
  options: KernelOptions,
  wantWeights: boolean,
) => { output: tf.Tensor4D; weights?: tf.Tensor4D };

/** What the batched kernels save for their backward pass: q, k, v (in some layout), P, the dropout mask. */
export type SavedTensors = [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor?];

/**
 * Materialises softmax(q kᵀ·scale + mask) per head, keeps it for the backward pass and optionally
 * hands it out (`weights`, pre-dropout, not differentiable). Returns `[B, H, T, dv]`.
 */
export const plainAttention: ExactAttentionKernel = (q, k, v, dims, options, wantWeights) => {
  const { B, H, T, S, dv } = dims;
  let weights: tf.Tensor | undefined;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [qIn, kIn, vIn] = args as tf.Tensor4D[];
    const save = args[3] as tf.GradSaveFunc;
    const q = queryHeads(qIn!, dims, options.scale);
    const kT = kvHeads(kIn!, dims, true);
    const v = kvHeads(vIn!, dims);
    const masks = new HeadMasks(options.plan, dims);
    const tileMasks = masks.tile({ rowStart: 0, rowCount: T, keyStart: 0, keyCount: S });
    // One draw for the whole [B, H, T, S] tensor, cut per head: drawing per head cost four
    // kernels per (batch, head) and made dropout steps several times slower than plain ones.
    const drops = options.dropout > 0 ? splitBlocks(dropoutMasks(dims, options), B * H, T, S) : [];
    // One tidy per head frees its scores as soon as its probabilities exist.
    const perHead = forEachHead(dims, (i, b, h, j) =>
      tf.tidy(() => {
        const { bias, keep } = tileMasks.forHead(b, h);
        let scores = tf.matMul(q[i]!, kT[j]!); // [T, S]
        if (bias) scores = tf.add(scores, bias);
        let p = tf.softmax(scores);
        if (keep) p = tf.mul(p, keep); // a fully masked row becomes zeros, not a uniform row
        const pd = options.dropout > 0 ? tf.mul(p, drops[i]!) : p;
        return { p, pd, out: tf.matMul(pd, v[j]!) }; // out [T, dv]
      }),
    );
    tileMasks.dispose();
    masks.dispose();
    tf.dispose(drops);
    const probs = perHead.map((x) => x.p);
    if (wantWeights) weights = tf.keep(tf.reshape(tf.concat(probs, 0), [B, H, T, S])); // [B, H, T, S]
    save([qIn!, kIn!, vIn!, ...probs, ...perHead.map((x) => x.pd)]);
    const outs = perHead.map((x) => x.out); // [T, dv] each
    const value = tf.reshape(tf.concat(outs, 0), [B, H, T, dv]); // [B·H·T, dv] → [B, H, T, dv]
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [qS, kS, vS] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const n = B * H;
      const p = saved.slice(3, 3 + n);
      const pd = saved.slice(3 + n, 3 + 2 * n);
      const gq = queryHeads(qS, dims, options.scale);
      const gk = kvHeads(tf.mul(kS, options.scale), dims); // scaled once here, not per query head
      const gvT = kvHeads(vS, dims, true);
      const dOut = splitBlocks(dy, n, T, dv);
      const dK: tf.Tensor[][] = gk.map(() => []);
      const dV: tf.Tensor[][] = gk.map(() => []);
      const dQ = forEachHead(dims, (i, _b, _h, j) => {
        const grads = tf.tidy(() => {
          let dP = tf.matMul(dOut[i]!, gvT[j]!); // [T, S]
          if (options.dropout > 0) dP = tf.mul(dP, tf.divNoNan(pd[i]!, p[i]!)); // the dropout factor
          const dS = softmaxGrad(p[i]!, dP); // [T, S]
          return {
            dV: tf.matMul(tf.transpose(pd[i]!), dOut[i]!), // [S, dv]
            dK: tf.matMul(tf.transpose(dS), gq[i]!), // [S, dk]; q is pre-scaled
            dQ: tf.matMul(dS, gk[j]!), // [T, dk]
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
  return withWeights(op(q, k, v) as tf.Tensor4D, weights);
};

/**
 * The gradient of the scores from that of the probabilities `p = softmax(scores)` over the last
 * axis: dS = P ⊙ (dP − rowsum(dP ⊙ P)). Masked entries of P are exact zeros, so dS is zero there.
 */
export function softmaxGrad(p: tf.Tensor, dP: tf.Tensor): tf.Tensor {
  return tf.mul(p, tf.sub(dP, tf.sum(tf.mul(dP, p), -1, true)));
}

/**
 * `output` with the `weights` a custom op's forward pass kept (if any), re-homed in the caller's
 * scope so an enclosing tidy can free them.
 */
export function withWeights(
  output: tf.Tensor4D,
  weights: tf.Tensor | undefined,
): ReturnType<ExactAttentionKernel> {
  if (!weights) return { output };
  const owned = tf.clone(weights) as tf.Tensor4D;
  weights.dispose();
  return { output, weights: owned };
}

/**
 * FlashAttention's recurrence (Dao et al. 2022, arXiv:2205.14135) on tiles of `chunkSize`
 * queries × `chunkSize` keys: per head and query block a running row max m, normaliser l and
 * unnormalised output o, so no `[T, S]` tensor exists, only `[chunk, chunk]` ones (each tile's are
 * freed before the next). The backward pass keeps only the output and the row log-sum-exp L and
 * recomputes each tile's probabilities as exp(s − L). Tiles that causal / window masking hides
 * entirely are skipped, which halves the work of causal attention.
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
  const keyChunks = ranges(S, chunkSize);
  const rowBlocks = ranges(T, chunkSize);
  const tiles = rowBlocks.flatMap(([rowStart, rowCount], r) =>
    keyChunks.map(([keyStart, keyCount], c) => ({
      r,
      c,
      tile: { rowStart, rowCount, keyStart, keyCount },
    })),
  );
  // Dropout masks are drawn per tile (a [T, S] mask would defeat the point), from a seed per
  // (head, tile), so the backward pass redraws exactly the forward's masks.
  const tileDropout = (i: number, r: number, c: number, rows: number, cols: number) =>
    dropoutMask(
      [rows, cols],
      options.dropout,
      options.seed + (i * rowBlocks.length + r) * keyChunks.length + c,
    );
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [qIn, kIn, vIn] = args as tf.Tensor4D[];
    const save = args[3] as tf.GradSaveFunc;
    const qb = queryHeads(qIn!, dims, options.scale).map((x) => cutRows(x, rowBlocks)); // [head][block] → [R, dk]
    const kv = chunkKeys(kIn!, vIn!, dims, keyChunks);
    const masks = new HeadMasks(options.plan, dims);
    type State = { m: tf.Tensor; l: tf.Tensor; o: tf.Tensor };
    const state: Array<Array<State | undefined>> = qb.map(() => []);
    for (const { r, c, tile } of tiles) {
      if (masks.hides(tile)) continue;
      const tileMasks = masks.tile(tile);
      forEachHead(dims, (i, b, h, j) => {
        const prev = state[i]![r];
        state[i]![r] = tf.tidy(() => {
          const { bias, keep } = tileMasks.forHead(b, h);
          let scores = tf.matMul(qb[i]![r]!, kv.kT[j]![c]!); // [R, C]
          if (bias) scores = tf.add(scores, bias);
          const chunkMax = tf.max(scores, 1, true); // [R, 1]
          const m = prev ? tf.maximum(prev.m, chunkMax) : chunkMax;
          let p = tf.exp(tf.sub(scores, m)); // [R, C]
          if (keep) p = tf.mul(p, keep);
          // l normalises with the undropped probabilities; only the values see the dropout.
          const pd =
            options.dropout > 0 ? tf.mul(p, tileDropout(i, r, c, tile.rowCount, tile.keyCount)) : p;
          const pv = tf.matMul(pd, kv.v[j]![c]!); // [R, dv]
          if (!prev) return { m, l: tf.sum(p, 1, true), o: pv };
          const alpha = tf.exp(tf.sub(prev.m, m)); // rescales what earlier tiles accumulated
          return {
            m,
            l: tf.add(tf.mul(prev.l, alpha), tf.sum(p, 1, true)),
            o: tf.add(tf.mul(prev.o, alpha), pv),
          };
        });
        if (prev) tf.dispose([prev.m, prev.l, prev.o]);
      });
      tileMasks.dispose();
    }
    masks.dispose();
    // A row that saw no key has l = 0 (or no state at all): output 0, and L huge so exp(s − L) = 0.
    const blockOut = (st: State | undefined, rows: number) =>
      st ? tf.divNoNan(st.o, st.l) : tf.zeros([rows, dv]);
    const blockLse = (st: State | undefined, rows: number) =>
      st
        ? tf.where(tf.greater(st.l, 0), tf.add(st.m, tf.log(st.l)), tf.fill([rows, 1], 1e30))
        : tf.fill([rows, 1], 1e30);
    const outs = state.flatMap((blocks) =>
      rowBlocks.map(([, rows], r) => blockOut(blocks[r], rows)),
    );
    const lse = state.flatMap((blocks) =>
      rowBlocks.map(([, rows], r) => blockLse(blocks[r], rows)),
    );
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
      const gq = queryHeads(qS, dims, options.scale).map((x) => cutRows(x, rowBlocks));
      const gkv = chunkKeys(kS, vS, dims, keyChunks, true);
      const gMasks = new HeadMasks({ ...options.plan, mask: maskS }, dims);
      const dOut = splitBlocks(dy, n, T, dv).map((x) => cutRows(x, rowBlocks));
      const outH = splitBlocks(out, n, T, dv).map((x) => cutRows(x, rowBlocks));
      const L = splitBlocks(lseS, n, T, 1).map((x) => cutRows(x, rowBlocks));
      // D = rowsum(dO ⊙ O) `[R, 1]` per head and block: the softmax backward's correction.
      const D = dOut.map((blocks, i) =>
        blocks.map((d, r) => tf.sum(tf.mul(d, outH[i]![r]!), 1, true)),
      );
      const dQ = gq.map((blocks) => blocks.map((x) => tf.zerosLike(x)));
      const dKc = gkv.k.map(() => keyChunks.map(([, count]) => tf.zeros([count, dk])));
      const dVc = gkv.v.map(() => keyChunks.map(([, count]) => tf.zeros([count, dv])));
      for (const { r, c, tile } of tiles) {
        if (gMasks.hides(tile)) continue;
        const tileMasks = gMasks.tile(tile);
        forEachHead(dims, (i, b, h, j) => {
          const next = tf.tidy(() => {
            const { bias, keep } = tileMasks.forHead(b, h);
            let scores = tf.matMul(gq[i]![r]!, gkv.kT[j]![c]!); // [R, C]
            if (bias) scores = tf.add(scores, bias);
            let p = tf.exp(tf.sub(scores, L[i]![r]!)); // [R, C], the forward's probabilities
            if (keep) p = tf.mul(p, keep);
            const dO = dOut[i]![r]!;
            const drop =
              options.dropout > 0 ? tileDropout(i, r, c, tile.rowCount, tile.keyCount) : undefined;
            const pd = drop ? tf.mul(p, drop) : p;
            let dP = tf.matMul(dO, gkv.vT[j]![c]!); // [R, C]
            if (drop) dP = tf.mul(dP, drop);
            // D = rowsum(dO ⊙ O) still holds with dropout: Σ_k P_ik M_ik dO_i·V_k = dO_i·O_i.
            const dS = tf.mul(p, tf.sub(dP, D[i]![r]!)); // [R, C]
            return {
              dV: tf.add(dVc[j]![c]!, tf.matMul(tf.transpose(pd), dO)), // [C, dv]
              dK: tf.add(dKc[j]![c]!, tf.matMul(tf.transpose(dS), gq[i]![r]!)), // [C, dk]; q pre-scaled
              dQ: tf.add(dQ[i]![r]!, tf.mul(tf.matMul(dS, gkv.k[j]![c]!), options.scale)), // [R, dk]
            };
          });
          tf.dispose([dVc[j]![c]!, dKc[j]![c]!, dQ[i]![r]!]);
          [dVc[j]![c], dKc[j]![c], dQ[i]![r]] = [next.dV, next.dK, next.dQ];
        });
        tileMasks.dispose();
      }
      gMasks.dispose();
      const join = (parts: tf.Tensor[]) => (parts.length === 1 ? parts[0]! : tf.concat(parts, 0));
      return mergeGradients(
        dQ.map(join),
        dKc.map((parts) => [join(parts)]),
        dVc.map((parts) => [join(parts)]),
        dims,
      );
    };
    return { value, gradFunc };
  });
  return op(q, k, v) as tf.Tensor4D;
}

/** `[start, count]` pieces of `length` of at most `size`. */
function ranges(length: number, size: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let start = 0; start < length; start += size)
    out.push([start, Math.min(size, length - start)]);
  return out;
}

/** Rows of a rank-2 tensor in the given pieces (the tensor itself when there is one piece). */
function cutRows(x: tf.Tensor, pieces: Array<[number, number]>): tf.Tensor[] {
  if (pieces.length === 1) return [x];
  return pieces.map(([start, count]) => tf.slice(x, [start, 0], [count, x.shape[1]!])); // [count, cols]
}

/** Per query head, pre-multiplied by the scale: `[T, dk]`. */
function queryHeads(q: tf.Tensor, dims: KernelDims, scale: number): tf.Tensor[] {
  return splitBlocks(tf.mul(q, scale), dims.B * dims.H, dims.T, dims.dk);
}

/**
 * Per key/value head: `[S, d]`, or `[d, S]` when `transposed` (one 4-D transpose for all heads,
 * not one per head: per-op overhead matters with many heads). Only what a pass uses is made.
 */
function kvHeads(x: tf.Tensor, dims: KernelDims, transposed = false): tf.Tensor[] {
  const { B, Hkv, S } = dims;
  const d = x.shape[3]!;
  if (!transposed) return splitBlocks(x, B * Hkv, S, d);
  return splitBlocks(tf.transpose(x, [0, 1, 3, 2]), B * Hkv, d, S); // [B, Hkv, d, S]
}

/**
 * Per key/value head and key chunk: k `[C, dk]`, kᵀ `[dk, C]`, v `[C, dv]`, and vᵀ `[dv, C]` when
 * `withVT` (only the backward pass needs it).
 */
function chunkKeys(
  k: tf.Tensor,
  v: tf.Tensor,
  dims: KernelDims,
  chunks: Array<[number, number]>,
  withVT = false,
) {
  const kc = kvHeads(k, dims).map((x) => cutRows(x, chunks)); // [B·Hkv][chunk] → [C, dk]
  const vc = kvHeads(v, dims).map((x) => cutRows(x, chunks)); // [B·Hkv][chunk] → [C, dv]
  const transpose = (parts: tf.Tensor[]) => parts.map((x) => tf.transpose(x)); // [C, d] → [d, C]
  return { k: kc, kT: kc.map(transpose), v: vc, vT: withVT ? vc.map(transpose) : [] };
}

/** `[count, rows, cols]`-shaped data as `count` rank-2 tensors (a view when count is 1). */
function splitBlocks(x: tf.Tensor, count: number, rows: number, cols: number): tf.Tensor[] {
  if (count === 1) return [tf.reshape(x, [rows, cols])]; // [rows, cols]
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
  // addMany, not tf.addN: a KV head shared by many query heads (MQA) sums one part per query
  // head, and WebGPU's addN breaks past the adapter's storage-buffer limit.
  const sum = (parts: tf.Tensor[]) => (parts.length === 1 ? parts[0]! : addMany(parts));
  return [
    tf.reshape(tf.concat(dQ, 0), [B, H, T, dk]), // [B, H, T, dk]
    tf.reshape(tf.concat(dK.map(sum), 0), [B, Hkv, S, dk]), // [B, Hkv, S, dk]
    tf.reshape(tf.concat(dV.map(sum), 0), [B, Hkv, S, dv]), // [B, Hkv, S, dv]
  ];
}

/**
 * 0 or 1/(1 − rate) per entry, drawn on the host from `seed` (one upload; drawing uniforms and
 * comparing, casting and scaling them as tensors was three kernels and a slower generator).
 */
function dropoutMask(shape: number[], rate: number, seed: number): tf.Tensor {
  return tf.tensor(createRng(seed).keepMask(tf.util.sizeFromShape(shape), rate), shape, 'float32');
}

/**
 * The dropout mask of the exact kernels, `[B, H, T, S]`, drawn once from `options.seed` for the
 * whole tensor (both kernels use it, so choosing a kernel never changes a result).
 */
export function dropoutMasks(dims: KernelDims, options: KernelOptions): tf.Tensor {
  const { B, H, T, S } = dims;
  return dropoutMask([B, H, T, S], options.dropout, options.seed);
}
