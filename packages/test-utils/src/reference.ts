/**
 * Float64 reference implementations in plain loops, independent of tfjs, for checking kernels.
 * Arrays are row-major; shapes are passed explicitly.
 */
import { refDense } from './nn-reference.js';

/** C[m,n] = Σ_k A[m,k]·B[k,n]. */
export function refMatMul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
): Float64Array {
  return refDense(a, b, undefined, m, k, n); // the same sums in the same order
}

/** Softmax over the last axis of a [rows, cols] array, max-subtracted for stability. */
export function refSoftmax(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < cols; c++) max = Math.max(max, x[r * cols + c]!);
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += out[r * cols + c] = Math.exp(x[r * cols + c]! - max);
    for (let c = 0; c < cols; c++) out[r * cols + c]! /= sum;
  }
  return out;
}

/** Layer normalisation over the last axis of [rows, cols], with optional gain and bias. */
export function refLayerNorm(
  x: ArrayLike<number>,
  rows: number,
  cols: number,
  eps: number,
  gamma?: ArrayLike<number>,
  beta?: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let c = 0; c < cols; c++) mean += x[r * cols + c]!;
    mean /= cols;
    let variance = 0;
    for (let c = 0; c < cols; c++) variance += (x[r * cols + c]! - mean) ** 2;
    variance /= cols;
    const inv = 1 / Math.sqrt(variance + eps);
    for (let c = 0; c < cols; c++) {
      const norm = (x[r * cols + c]! - mean) * inv;
      out[r * cols + c] = norm * (gamma ? gamma[c]! : 1) + (beta ? beta[c]! : 0);
    }
  }
  return out;
}
