/**
 * Float64 references for whole Transformer blocks and a GPT-2 forward pass, built from the plain
 * loop references (refDense, refLayerNorm, refAttention), independent of tfjs and of the model
 * package. Row-major arrays; `x` is `[B, T, C]`.
 */
import { refAttention } from './attention-reference.js';
import { refActivations, refDense } from './nn-reference.js';
import { refLayerNorm } from './reference.js';

type Arr = ArrayLike<number>;

/** One block's weights; kernels are `[in, out]`, biases optional. */
export interface RefBlockWeights extends RefAttentionWeights {
  ln1Gamma: Arr;
  ln1Beta?: Arr;
  /** FFN `[C, F]` and `[F, C]`. */
  w1: Arr;
  b1?: Arr;
  w2: Arr;
  b2?: Arr;
  ln2Gamma: Arr;
  ln2Beta?: Arr;
}

export interface RefBlockInput {
  x: Arr;
  B: number;
  T: number;
  C: number;
  H: number;
  /** FFN inner width. */
  F: number;
  weights: RefBlockWeights;
  preNorm: boolean;
  causal: boolean;
  activation: 'relu' | 'gelu' | 'gelu_tanh';
  eps: number;
}

/** The projections of one attention layer; kernels `[C, C]`. */
export interface RefAttentionWeights {
  wq: Arr;
  wk: Arr;
  wv: Arr;
  wo: Arr;
  bq?: Arr;
  bk?: Arr;
  bv?: Arr;
  bo?: Arr;
}

/**
 * Multi-head attention with its projections: queries from `xq` `[B, T, C]`, keys and values from
 * `xkv` `[B, S, C]` (the same tensor for self-attention). Returns `[B, T, C]`.
 */
export function refProjectedAttention(
  xq: Arr,
  xkv: Arr,
  dims: { B: number; T: number; S: number; C: number; H: number },
  w: RefAttentionWeights,
  causal: boolean,
): Float64Array {
  const { B, T, S, C, H } = dims;
  const hs = C / H;
  const q = refDense(xq, w.wq, w.bq, B * T, C, C);
  const k = refDense(xkv, w.wk, w.bk, B * S, C, C);
  const v = refDense(xkv, w.wv, w.bv, B * S, C, C);
  // [B, L, H, hs] → [B, H, L, hs]
  const toHeads = (a: Float64Array, L: number) => {
    const out = new Float64Array(a.length);
    for (let b = 0; b < B; b++)
      for (let t = 0; t < L; t++)
        for (let h = 0; h < H; h++)
          for (let d = 0; d < hs; d++)
            out[((b * H + h) * L + t) * hs + d] = a[(b * L + t) * C + h * hs + d]!;
    return out;
  };
  const { output } = refAttention({
    q: toHeads(q, T),
    k: toHeads(k, S),
    v: toHeads(v, S),
    B,
    H,
    Hkv: H,
    T,
    S,
    dk: hs,
    dv: hs,
    causal,
  });
  // [B, H, T, hs] → [B, T, C]
  const merged = new Float64Array(B * T * C);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++)
        for (let d = 0; d < hs; d++)
          merged[(b * T + t) * C + h * hs + d] = output[((b * H + h) * T + t) * hs + d]!;
  return refDense(merged, w.wo, w.bo, B * T, C, C);
}

/** Multi-head self-attention with output projection on `[B, T, C]`. */
function refSelfAttention(x: Arr, { B, T, C, H, weights: w, causal }: RefBlockInput): Float64Array {
  return refProjectedAttention(x, x, { B, T, S: T, C, H }, w, causal);
}

function refFeedForward(
  x: Arr,
  { B, T, C, F, weights: w, activation }: RefBlockInput,
): Float64Array {
  const act = refActivations[activation];
  const hidden = refDense(x, w.w1, w.b1, B * T, C, F).map(act);
  return refDense(hidden, w.w2, w.b2, B * T, F, C);
}

function add(a: Arr, b: Arr): Float64Array {
  return Float64Array.from({ length: a.length }, (_, i) => a[i]! + b[i]!);
}

/**
 * A Transformer block without dropout: post-LN `LN(x + f(x))` as in the paper, or pre-LN
 * `x + f(LN(x))` as GPT-2, for self-attention then the FFN. Returns `[B, T, C]`.
 */
export function refTransformerBlock(input: RefBlockInput): Float64Array {
  const { x, B, T, C, eps, weights: w } = input;
  const rows = B * T;
  const ln1 = (a: Arr) => refLayerNorm(a, rows, C, eps, w.ln1Gamma, w.ln1Beta);
  const ln2 = (a: Arr) => refLayerNorm(a, rows, C, eps, w.ln2Gamma, w.ln2Beta);
  if (input.preNorm) {
    const h = add(x, refSelfAttention(ln1(x), input));
    return add(h, refFeedForward(ln2(h), input));
  }
  const h = ln1(add(x, refSelfAttention(x, input)));
  return ln2(add(h, refFeedForward(h, input)));
}

export interface RefDecoderBlockInput extends Omit<RefBlockInput, 'causal'> {
  /** Encoder output `[B, S, C]`. */
  memory: Arr;
  S: number;
  /** Cross-attention projections. */
  cross: RefAttentionWeights;
  /** The third LayerNorm (after the FFN); `weights.ln2*` is the one after cross-attention. */
  ln3Gamma: Arr;
  ln3Beta?: Arr;
}

/**
 * The paper's decoder layer without dropout: causal self-attention, attention over `memory`,
 * FFN, each with a residual and a LayerNorm (post-LN, or pre-LN). Returns `[B, T, C]`.
 */
export function refDecoderBlock(input: RefDecoderBlockInput): Float64Array {
  const { x, memory, B, T, S, C, H, eps, weights: w } = input;
  const rows = B * T;
  const norms = [
    (a: Arr) => refLayerNorm(a, rows, C, eps, w.ln1Gamma, w.ln1Beta),
    (a: Arr) => refLayerNorm(a, rows, C, eps, w.ln2Gamma, w.ln2Beta),
    (a: Arr) => refLayerNorm(a, rows, C, eps, input.ln3Gamma, input.ln3Beta),
  ];
  const sublayers = [
    (a: Arr) => refProjectedAttention(a, a, { B, T, S: T, C, H }, w, true),
    (a: Arr) => refProjectedAttention(a, memory, { B, T, S, C, H }, input.cross, false),
    (a: Arr) => refFeedForward(a, { ...input, causal: true }),
  ];
  let h: Float64Array = Float64Array.from(x);
  sublayers.forEach((f, i) => {
    const norm = norms[i]!;
    h = input.preNorm ? add(h, f(norm(h))) : norm(add(h, f(h)));
  });
  return h;
}

/** Hugging Face GPT-2 tensors (`Conv1D` weights are `[in, out]`), without any key prefix. */
export type RefGpt2Weights = Record<string, Arr>;

/**
 * GPT-2's forward pass (Radford et al. 2019) straight from Hugging Face's names: `wte`, `wpe`,
 * `h.{i}.ln_1`, `h.{i}.attn.c_attn` (fused q|k|v), `h.{i}.attn.c_proj`, `h.{i}.ln_2`,
 * `h.{i}.mlp.c_fc`, `h.{i}.mlp.c_proj`, `ln_f`; gelu_tanh, LayerNorm eps 1e-5, tied head.
 * Returns logits `[B, T, V]` for `ids` `[B, T]`.
 */
export function refGpt2Forward(
  ids: readonly (readonly number[])[],
  w: RefGpt2Weights,
  dims: { V: number; C: number; H: number; L: number },
): Float64Array {
  const { V, C, H, L } = dims;
  const B = ids.length;
  const T = ids[0]!.length;
  let x: Float64Array<ArrayBufferLike> = new Float64Array(B * T * C);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let c = 0; c < C; c++)
        x[(b * T + t) * C + c] =
          w['wte.weight']![ids[b]![t]! * C + c]! + w['wpe.weight']![t * C + c]!;
  const columns = (m: Arr, rows: number, cols: number, from: number, count: number) => {
    const out = new Float64Array(rows * count);
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < count; c++) out[r * count + c] = m[r * cols + from + c]!;
    return out;
  };
  for (let i = 0; i < L; i++) {
    const p = (name: string) => w[`h.${i}.${name}`]!;
    const attnW = p('attn.c_attn.weight');
    const attnB = p('attn.c_attn.bias');
    const slice = (v: Arr, from: number) => Array.from({ length: C }, (_, j) => v[from + j]!);
    x = refTransformerBlock({
      x,
      B,
      T,
      C,
      H,
      F: 4 * C,
      preNorm: true,
      causal: true,
      activation: 'gelu_tanh',
      eps: 1e-5,
      weights: {
        wq: columns(attnW, C, 3 * C, 0, C),
        wk: columns(attnW, C, 3 * C, C, C),
        wv: columns(attnW, C, 3 * C, 2 * C, C),
        bq: slice(attnB, 0),
        bk: slice(attnB, C),
        bv: slice(attnB, 2 * C),
        wo: p('attn.c_proj.weight'),
        bo: p('attn.c_proj.bias'),
        ln1Gamma: p('ln_1.weight'),
        ln1Beta: p('ln_1.bias'),
        w1: p('mlp.c_fc.weight'),
        b1: p('mlp.c_fc.bias'),
        w2: p('mlp.c_proj.weight'),
        b2: p('mlp.c_proj.bias'),
        ln2Gamma: p('ln_2.weight'),
        ln2Beta: p('ln_2.bias'),
      },
    });
  }
  const h = refLayerNorm(x, B * T, C, 1e-5, w['ln_f.weight'], w['ln_f.bias']);
  // Tied head: logits = h · wteᵀ.
  const logits = new Float64Array(B * T * V);
  for (let r = 0; r < B * T; r++)
    for (let v = 0; v < V; v++) {
      let acc = 0;
      for (let c = 0; c < C; c++) acc += h[r * C + c]! * w['wte.weight']![v * C + c]!;
      logits[r * V + v] = acc;
    }
  return logits;
}
