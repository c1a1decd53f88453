import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from './errors.js';

let fastMatMul: ((a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D) | undefined;

/**
 * `a · b` for rank-2 `a` `[m, k]` and `b` `[k, n]`, with a custom gradient made of explicit
 * `tf.transpose` and plain (non-transposed) rank-2 products: dA = dY·Bᵀ, dB = Aᵀ·dY.
 *
 * Why: on wasm, XNNPACK serves only rank-2, non-transposed matmuls; `tf.matMul`'s own gradient
 * uses `transposeA`/`transposeB` products, which fall to a scalar loop 10–20× slower. The
 * values are those of `tf.matMul(a, b)`.
 */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (a.rank !== 2) throw new ShapeError('a', 'rank 2', a.shape);
  if (b.rank !== 2) throw new ShapeError('b', 'rank 2', b.shape);
  if (a.shape[1] !== b.shape[0]) {
    throw new ShapeError(
      'a vs b',
      `a [m, k] and b [k, n] with equal k; b is [${b.shape.join(', ')}]`,
      a.shape,
    );
  }
  fastMatMul ??= tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, w, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([x, w]);
    return {
      value: tf.matMul(x, w),
      gradFunc: (dy, saved) => {
        const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
        return [
          tf.matMul(dy as tf.Tensor2D, tf.transpose(ws)),
          tf.matMul(tf.transpose(xs), dy as tf.Tensor2D),
        ];
      },
    };
  }) as unknown as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;
  return fastMatMul(a, b);
}

/**
 * `x · kernel (+ bias)` over the last axis of `x` `[..., in]` with `kernel` `[in, out]` and
 * optional `bias` `[out]`, giving `[..., out]`. The leading axes are folded into one
 * (`[B·T, in]`) so the product is rank-2 and goes through {@link matMul2d}'s fast gradient.
 */
export function linear(x: tf.Tensor, kernel: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  if (kernel.rank !== 2) throw new ShapeError('kernel', 'rank 2 [in, out]', kernel.shape);
  const [inDim, outDim] = kernel.shape as [number, number];
  if (x.rank < 1 || x.shape[x.rank - 1] !== inDim) {
    throw new ShapeError(
      'x',
      `last dimension ${inDim} to match kernel [${inDim}, ${outDim}]`,
      x.shape,
    );
  }
  if (bias !== undefined && (bias.rank !== 1 || bias.shape[0] !== outDim)) {
    throw new ShapeError('bias', [outDim], bias.shape, `kernel is [${inDim}, ${outDim}]`);
  }
  return tf.tidy(() => {
    const lead = x.shape.slice(0, -1);
    const x2 = x.rank === 2 ? (x as tf.Tensor2D) : (tf.reshape(x, [-1, inDim]) as tf.Tensor2D);
    let y: tf.Tensor = matMul2d(x2, kernel as tf.Tensor2D);
    if (bias !== undefined) y = tf.add(y, bias);
    return x.rank === 2 ? y : tf.reshape(y, [...lead, outDim]);
  });
}
