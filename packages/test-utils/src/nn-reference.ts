/**
 * Float64 references for @tformer/nn and @tformer/embeddings layers, in plain loops, independent
 * of tfjs. Arrays are row-major; shapes are passed explicitly.
 */
import { numericGradient } from './finite-differences.js';

/**
 * Reproducible uniform floats in [-scale, scale) from a small LCG (no tfjs, no nn), each exactly
 * representable in float32, so a float32 tensor made from them holds the very same values.
 */
export function randomFloats(n: number, seed: number, scale = 1): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = Math.fround((s / 2 ** 32) * 2 * scale - scale);
  }
  return out;
}

/** y[r, o] = Σ_i x[r, i]·W[i, o] + b[o], for x `[rows, inDim]`, W `[inDim, outDim]`. */
export function refDense(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  b: ArrayLike<number> | undefined,
  rows: number,
  inDim: number,
  outDim: number,
): Float64Array {
  const out = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let acc = b ? b[o]! : 0;
      for (let i = 0; i < inDim; i++) acc += x[r * inDim + i]! * w[i * outDim + o]!;
      out[r * outDim + o] = acc;
    }
  }
  return out;
}

/** Σ a[i]·b[i]: the scalar loss sum(out · R) used in gradient checks. */
export function refDot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Central finite differences of a scalar `loss` with respect to each of `inputs` in turn (the
 * others held fixed), in float64. `inputs` are mutated during the call and restored.
 */
export function numericGradients(
  loss: (inputs: Float64Array[]) => number,
  inputs: Float64Array[],
  h = 1e-6,
): Float64Array[] {
  return inputs.map((x) => numericGradient(() => loss(inputs), x, h));
}

/** erf to ~1e-15 (series for small |x|, continued fraction for the tails). */
export function refErf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: erf x = 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1)).
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc x = exp(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))), evaluated bottom-up.
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}

/** Elementwise activations in float64: relu, gelu (exact, erf), gelu_tanh, silu. */
export const refActivations = {
  relu: (x: number) => Math.max(0, x),
  gelu: (x: number) => 0.5 * x * (1 + refErf(x / Math.SQRT2)),
  gelu_tanh: (x: number) =>
    0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  silu: (x: number) => x / (1 + Math.exp(-x)),
} as const;

/** RMS normalisation over the last axis of `[rows, cols]`: x / √(mean(x²) + eps) · gamma. */
export function refRmsNorm(
  x: ArrayLike<number>,
  rows: number,
  cols: number,
  eps: number,
  gamma?: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let ms = 0;
    for (let c = 0; c < cols; c++) ms += x[r * cols + c]! ** 2;
    const inv = 1 / Math.sqrt(ms / cols + eps);
    for (let c = 0; c < cols; c++)
      out[r * cols + c] = x[r * cols + c]! * inv * (gamma ? gamma[c]! : 1);
  }
  return out;
}

/**
 * SwiGLU feed-forward on `[rows, d]`: down(silu(x·Wg) ⊙ (x·Wu)), Wg and Wu `[d, h]`, Wd `[h, d]`,
 * no biases.
 */
export function refSwiGlu(
  x: ArrayLike<number>,
  wGate: ArrayLike<number>,
  wUp: ArrayLike<number>,
  wDown: ArrayLike<number>,
  rows: number,
  d: number,
  h: number,
): Float64Array {
  const g = refDense(x, wGate, undefined, rows, d, h);
  const u = refDense(x, wUp, undefined, rows, d, h);
  const hidden = g.map((v, i) => refActivations.silu(v) * u[i]!);
  return refDense(hidden, wDown, undefined, rows, h, d);
}
