import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from './errors.js';

type Fn2 = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;
type Fn3 = (a: tf.Tensor2D, b: tf.Tensor2D, bias: tf.Tensor1D) => tf.Tensor2D;
let fastMatMul: Fn2 | undefined;
let fastMatMulBias: Fn3 | undefined;

/**
 * The gradients of `A·B` for `A` `[m, k]`, `B` `[k, n]` and upstream `dY` `[m, n]` as plain,
 * non-transposed rank-2 products with explicit transposes: dA = dY·Bᵀ, and dB = Aᵀ·dY or
 * (dYᵀ·A)ᵀ, whichever transposes fewer elements (an explicit transpose is a memory-bound copy,
 * and for a wide A it costs about as much as the product on wasm).
 */
function productGrads(a: tf.Tensor2D, b: tf.Tensor2D, dy: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
  const [m, k] = a.shape;
  const n = b.shape[1];
  const dB =
    m * n + k * n < m * k
      ? tf.transpose(tf.matMul(tf.transpose(dy), a))
      : tf.matMul(tf.transpose(a), dy);
  return [tf.matMul(dy, tf.transpose(b)), dB as tf.Tensor2D];
}

/**
 * `a · b` for rank-2 `a` `[m, k]` and `b` `[k, n]`, with a custom gradient made of explicit
 * `tf.transpose` and plain (non-transposed) rank-2 products: dA = dY·Bᵀ, dB = Aᵀ·dY.
 *
 * Why: on wasm, XNNPACK serves only rank-2, non-transposed matmuls; `tf.matMul`'s own gradient
 * uses `transposeA`/`transposeB` products, which fall to a scalar loop 10–20× slower. The
 * values are those of `tf.matMul(a, b)`.
 */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  checkOperands(a, b);
  fastMatMul ??= tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, w, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([x, w]);
    return {
      value: tf.matMul(x, w),
      gradFunc: (dy, saved) =>
        productGrads(saved[0] as tf.Tensor2D, saved[1] as tf.Tensor2D, dy as tf.Tensor2D),
    };
  }) as unknown as Fn2;
  return fastMatMul(a, b);
}

/**
 * `a · b + bias` (bias `[n]`), with {@link matMul2d}'s gradient and the bias gradient as the
 * rank-2 product ones`[1, m]`·dY: tfjs' own (a sum over axis 0) transposes dY first.
 */
export function matMul2dBias(a: tf.Tensor2D, b: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  checkOperands(a, b);
  if (bias.rank !== 1 || bias.shape[0] !== b.shape[1]) {
    throw new ShapeError('bias', [b.shape[1]], bias.shape, `b is [${b.shape.join(', ')}]`);
  }
  fastMatMulBias ??= tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, w, c, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    save([x, w]);
    return {
      value: tf.add(tf.matMul(x, w), c),
      gradFunc: (dy, saved) => {
        const g = dy as tf.Tensor2D;
        const [dA, dB] = productGrads(saved[0] as tf.Tensor2D, saved[1] as tf.Tensor2D, g);
        const dBias = tf.reshape(tf.matMul(tf.ones([1, g.shape[0]]), g), [g.shape[1]]);
        return [dA, dB, dBias];
      },
    };
  }) as unknown as Fn3;
  return fastMatMulBias(a, b, bias);
}

function checkOperands(a: tf.Tensor, b: tf.Tensor): void {
  if (a.rank !== 2) throw new ShapeError('a', 'rank 2', a.shape);
  if (b.rank !== 2) throw new ShapeError('b', 'rank 2', b.shape);
  if (a.shape[1] !== b.shape[0]) {
    throw new ShapeError(
      'a vs b',
      `a [m, k] and b [k, n] with equal k; b is [${b.shape.join(', ')}]`,
      a.shape,
    );
  }
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
    const x2 = x.rank === 2 ? (x as tf.Tensor2D) : (tf.reshape(x, [-1, inDim]) as tf.Tensor2D);
    const y =
      bias === undefined
        ? matMul2d(x2, kernel as tf.Tensor2D)
        : matMul2dBias(x2, kernel as tf.Tensor2D, bias as tf.Tensor1D);
    return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), outDim]);
  });
}
