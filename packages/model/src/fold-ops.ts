import * as tf from '@tensorflow/tfjs-core';

// The element-wise ops that fold a model's weights for `DecodeStep` (decode-weights.ts,
// decode-step-weights.ts), run once per `generate` call. tfjs-cpu indexes every element of a
// broadcasting op, a pad or a mean (2–8 ms each at [512, 128]): for `baby` ~150 ms per call,
// longer than 32 tokens of decoding. On the cpu backend, whose tensors live in host memory, they
// are plain loops over the values; elsewhere the tf ops. Internal to the package.

/** Whether `x` is a float32 tensor in host memory (tfjs-cpu's): the loops below take it. */
const onHost = (x: tf.Tensor): boolean =>
  tf.getBackend() === 'cpu' && x.dtype === 'float32' && x.size > 0;

/** A cpu tensor's values (its own array: read only). */
function values(x: tf.Tensor): Float32Array {
  return x.dataSync() as Float32Array; // sync-read-ok: cpu backend only, host memory, no copy
}

/** `x · factor`, and with `rows` `[R]` each row r of `x` `[R, N]` times `rows[r]` first. */
export function scaleRows(x: tf.Tensor, factor: number, rows?: tf.Tensor): tf.Tensor {
  if (!onHost(x)) {
    return tf.tidy(() => tf.mul(rows ? tf.mul(x, tf.reshape(rows, [-1, 1])) : x, factor)); // [R, N]
  }
  const xs = values(x);
  const gs = rows && values(rows);
  const N = gs ? x.shape[1]! : xs.length; // a row's length (all of x without rows)
  const out = new Float32Array(xs.length);
  for (let row = 0; row < xs.length; row += N) {
    const g = gs ? Math.fround(gs[row / N]! * factor) : factor;
    for (let n = row; n < row + N; n++) out[n] = xs[n]! * g;
  }
  return tf.tensor(out, x.shape);
}

/** Each row of `x` `[…, C]` minus its mean. */
export function centreRows(x: tf.Tensor): tf.Tensor {
  if (!onHost(x)) return tf.tidy(() => tf.sub(x, tf.mean(x, -1, true)));
  const C = x.shape.at(-1)!;
  const xs = values(x);
  const out = new Float32Array(xs.length);
  for (let row = 0; row < xs.length; row += C) {
    let sum = 0; // float64: the mean of C float32 values, rounded once
    for (let c = 0; c < C; c++) sum += xs[row + c]!;
    const mean = Math.fround(sum / C);
    for (let c = 0; c < C; c++) out[row + c] = xs[row + c]! - mean;
  }
  return tf.tensor(out, x.shape);
}

/** `x` with `before` and `after` zeros along each axis (`tf.pad` with zeros). */
export function padZeros(x: tf.Tensor, paddings: readonly [number, number][]): tf.Tensor {
  if (!onHost(x)) return tf.pad(x, paddings as [number, number][]);
  const shape = x.shape.map((n, i) => n + paddings[i]![0] + paddings[i]![1]);
  const out = new Float32Array(shape.reduce((a, n) => a * n, 1));
  const xs = values(x);
  // Copy x's last-axis runs into place: the output offset of x's index (i₀, …, i_k, 0).
  const inner = x.shape.at(-1) ?? 1;
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, n) => a * n, 1));
  const index = x.shape.map(() => 0);
  for (let from = 0; from < xs.length; from += inner) {
    let at = 0;
    for (let i = 0; i < shape.length; i++) at += (index[i]! + paddings[i]![0]) * strides[i]!;
    out.set(xs.subarray(from, from + inner), at);
    // The next run: increment the index over all axes but the last.
    for (let i = shape.length - 2; i >= 0; i--) {
      if (++index[i]! < x.shape[i]!) break;
      index[i] = 0;
    }
  }
  return tf.tensor(out, shape);
}
