/**
 * Float64 multi-head attention in plain loops, independent of tfjs, for checking attention
 * kernels. Row-major arrays: q `[B, H, T, dk]`, k `[B, Hkv, S, dk]`, v `[B, Hkv, S, dv]`; query
 * head h reads key/value head ⌊h / (H / Hkv)⌋ (grouped-query attention).
 */
import { refDense } from './nn-reference.js';

export interface RefAttentionInput {
  q: ArrayLike<number>;
  k: ArrayLike<number>;
  v: ArrayLike<number>;
  B: number;
  H: number;
  Hkv: number;
  T: number;
  S: number;
  dk: number;
  dv: number;
  /** Default 1/√dk. */
  scale?: number;
  /** Query i sits at position queryOffset + i (default S - T); keys at 0 … S-1. */
  queryOffset?: number;
  /** Key j is hidden from query position p when j > p. */
  causal?: boolean;
  /** Key j is hidden when p - j ≥ window (causal) or |p - j| ≥ window (not causal). */
  window?: number;
  /** false hides key j from query i of head h in batch b. */
  allowed?: (b: number, h: number, i: number, j: number) => boolean;
  /** Added to the score; ≤ -1e9 (or -Infinity) hides the key. */
  bias?: (b: number, h: number, i: number, j: number) => number;
}

/**
 * Returns the output `[B, H, T, dv]` and the probabilities `[B, H, T, S]`. A query that sees no
 * key gets an all-zero probability row and output.
 */
export function refAttention(x: RefAttentionInput): {
  output: Float64Array;
  weights: Float64Array;
} {
  const { B, H, Hkv, T, S, dk, dv } = x;
  const scale = x.scale ?? 1 / Math.sqrt(dk);
  const offset = x.queryOffset ?? S - T;
  const group = H / Hkv;
  const output = new Float64Array(B * H * T * dv);
  const weights = new Float64Array(B * H * T * S);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const kvHead = b * Hkv + Math.floor(h / group);
      for (let i = 0; i < T; i++) {
        const p = offset + i;
        const scores: number[] = [];
        const visible: number[] = [];
        for (let j = 0; j < S; j++) {
          let hidden = x.causal === true && j > p;
          if (x.window !== undefined)
            hidden ||= x.causal ? p - j >= x.window : Math.abs(p - j) >= x.window;
          if (x.allowed && !x.allowed(b, h, i, j)) hidden = true;
          const bias = x.bias ? x.bias(b, h, i, j) : 0;
          if (bias <= -1e9) hidden = true;
          if (hidden) continue;
          let dot = 0;
          for (let d = 0; d < dk; d++)
            dot += x.q[((b * H + h) * T + i) * dk + d]! * x.k[(kvHead * S + j) * dk + d]!;
          scores.push(dot * scale + bias);
          visible.push(j);
        }
        if (visible.length === 0) continue;
        const max = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - max));
        const total = exps.reduce((a, e) => a + e, 0);
        const row = ((b * H + h) * T + i) * S;
        visible.forEach((j, n) => {
          const w = exps[n]! / total;
          weights[row + j] = w;
          for (let d = 0; d < dv; d++)
            output[((b * H + h) * T + i) * dv + d]! += w * x.v[(kvHead * S + j) * dv + d]!;
        });
      }
    }
  }
  return { output, weights };
}

/** A projection's parameters: kernel `[in, out]` row-major and optional bias `[out]`. */
export interface RefProjection {
  kernel: ArrayLike<number>;
  bias?: ArrayLike<number>;
}

export interface RefMultiHeadInput extends Omit<RefAttentionInput, 'q' | 'k' | 'v' | 'dk' | 'dv'> {
  /** Inputs `[B, T, dModel]`, `[B, S, memoryDim]`, `[B, S, valueMemoryDim]`. */
  query: ArrayLike<number>;
  key: ArrayLike<number>;
  value: ArrayLike<number>;
  dModel: number;
  memoryDim: number;
  valueMemoryDim: number;
  headSize: number;
  valueHeadSize: number;
  outputDim: number;
  projections: {
    query: RefProjection;
    key: RefProjection;
    value: RefProjection;
    output: RefProjection;
  };
  /**
   * Position encoding applied to the projected heads `[B, heads, L, d]` before attention (e.g.
   * RoPE): queries start at position `queryOffset` (default S - T), keys at 0.
   */
  rotate?: (
    x: Float64Array,
    shape: [number, number, number, number],
    offset: number,
  ) => Float64Array;
}

/**
 * Multi-head attention with its four projections: heads are contiguous slices of the projected
 * features (head h of the query projection is features h·headSize … (h+1)·headSize − 1). Returns the
 * output `[B, T, outputDim]` and the probabilities `[B, H, T, S]`.
 */
export function refMultiHeadAttention(x: RefMultiHeadInput): {
  output: Float64Array;
  weights: Float64Array;
} {
  const { B, T, S, H, Hkv, headSize: dk, valueHeadSize: dv, projections: p } = x;
  let q = toHeads(
    refDense(x.query, p.query.kernel, p.query.bias, B * T, x.dModel, H * dk),
    B,
    T,
    H,
    dk,
  );
  let k = toHeads(
    refDense(x.key, p.key.kernel, p.key.bias, B * S, x.memoryDim, Hkv * dk),
    B,
    S,
    Hkv,
    dk,
  );
  if (x.rotate) {
    q = x.rotate(q, [B, H, T, dk], x.queryOffset ?? S - T);
    k = x.rotate(k, [B, Hkv, S, dk], 0);
  }
  const v = toHeads(
    refDense(x.value, p.value.kernel, p.value.bias, B * S, x.valueMemoryDim, Hkv * dv),
    B,
    S,
    Hkv,
    dv,
  );
  const attended = refAttention({ ...x, q, k, v, dk, dv });
  // [B, H, T, dv] → [B, T, H·dv]
  const merged = new Float64Array(B * T * H * dv);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++)
        for (let d = 0; d < dv; d++)
          merged[((b * T + t) * H + h) * dv + d] = attended.output[((b * H + h) * T + t) * dv + d]!;
  return {
    output: refDense(merged, p.output.kernel, p.output.bias, B * T, H * dv, x.outputDim),
    weights: attended.weights,
  };
}

/** `[B, L, heads·d]` → `[B, heads, L, d]`. */
function toHeads(x: Float64Array, B: number, L: number, heads: number, d: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let b = 0; b < B; b++)
    for (let l = 0; l < L; l++)
      for (let h = 0; h < heads; h++)
        for (let i = 0; i < d; i++)
          out[((b * heads + h) * L + l) * d + i] = x[((b * L + l) * heads + h) * d + i]!;
  return out;
}
