/**
 * Float64 multi-head attention in plain loops, independent of tfjs, for checking attention
 * kernels. Row-major arrays: q `[B, H, T, dk]`, k `[B, Hkv, S, dk]`, v `[B, Hkv, S, dv]`; query
 * head h reads key/value head ⌊h / (H / Hkv)⌋ (grouped-query attention).
 */
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
