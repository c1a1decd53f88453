import * as tf from '@tensorflow/tfjs-core';
import { columnSum } from './column-sum.js';
import { ShapeError } from './errors.js';
import { saveExceptVariables } from './save-for-backward.js';

type Fn2 = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;
let fastMatMul: Fn2 | undefined;

/**
 * The gradients of `A·B` for `A` `[m, k]`, `B` `[k, n]` and upstream `dY` `[m, n]`.
 * On wasm as plain, non-transposed rank-2 products with explicit transposes: dA = dY·Bᵀ, and
 * dB = Aᵀ·dY or (dYᵀ·A)ᵀ, whichever transposes fewer elements (an explicit transpose is a
 * memory-bound copy, and for a wide A it costs about as much as the product on wasm). Elsewhere
 * as transposed products (`transposeA`/`transposeB`): native and GPU backends read the operand
 * transposed at no cost, and each explicit transpose was one more kernel per gradient.
 */
function productGrads(a: tf.Tensor2D, b: tf.Tensor2D, dy: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
  if (tf.getBackend() !== 'wasm') return [tf.matMul(dy, b, false, true), tf.matMul(a, dy, true)];
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
    const restore = saveExceptVariables(save, [x, w]);
    return {
      value: tf.matMul(x, w),
      gradFunc: (dy, saved) => {
        const [xS, wS] = restore(saved) as [tf.Tensor2D, tf.Tensor2D];
        return productGrads(xS, wS, dy as tf.Tensor2D);
      },
    };
  }) as unknown as Fn2;
  return fastMatMul(a, b);
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
 * optional `bias` `[out]`, giving `[..., out]`.
 *
 * One `tf.customGrad` op: under autodiff each reshape and the product saved an `Identity` copy of
 * its inputs for the backward pass, and the backward pass reshaped again; here only `x` is saved
 * (a variable kernel is read as it is). On tfjs-node (`tensorflow`) the product broadcasts over
 * the leading axes and the gradients need no reshapes either: dX = dY·Wᵀ as one broadcast
 * product, dW as one `einsum` contracting all leading axes, the bias gradient as one `Sum` — each
 * reshape was one more TensorFlow op at ~15–40 µs. Elsewhere the leading axes are folded into one
 * (`[B·T, in]`) so the product is rank-2 and takes {@link matMul2d}'s fast gradient on wasm.
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
  const broadcast = x.rank >= 2 && tf.getBackend() === 'tensorflow';
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, w] = args as [tf.Tensor, tf.Tensor2D];
    const c = bias ? (args[2] as tf.Tensor1D) : undefined;
    const save = args[bias ? 3 : 2] as tf.GradSaveFunc;
    return broadcast ? broadcastLinear(xIn, w, c, save) : foldedLinear(xIn, w, c, save);
  });
  return bias ? op(x, kernel, bias) : op(x, kernel);
}

interface LinearResult {
  value: tf.Tensor;
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];
}

/** {@link linear} on `[..., in]` as broadcast products, without reshapes (tfjs-node). */
function broadcastLinear(
  x: tf.Tensor,
  w: tf.Tensor2D,
  c: tf.Tensor1D | undefined,
  save: tf.GradSaveFunc,
): LinearResult {
  const y = tf.matMul(x, w); // [..., out]
  const restore = saveExceptVariables(save, [x, w]);
  return {
    value: c ? tf.add(y, c) : y,
    gradFunc: (dy, saved) => {
      const [xS, wS] = restore(saved) as [tf.Tensor, tf.Tensor2D];
      const lead = LEADING_AXES.slice(0, x.rank - 1); // e.g. 'ab' for [B, T, in]
      const grads = [
        tf.matMul(dy, wS, false, true), // [..., in]
        x.rank === 2 ? tf.matMul(xS, dy, true) : tf.einsum(`${lead}y,${lead}z->yz`, xS, dy), // [in, out]: Σ over the leading axes
      ];
      if (c) grads.push(columnSum(dy, w.shape[1])); // [out]
      return grads;
    },
  };
}

const LEADING_AXES = 'abcdefghijklmnopqrstuvwx';

/** {@link linear} with the leading axes folded into one (`[m, in]`), rank-2 products. */
function foldedLinear(
  x: tf.Tensor,
  w: tf.Tensor2D,
  c: tf.Tensor1D | undefined,
  save: tf.GradSaveFunc,
): LinearResult {
  const [inDim, outDim] = w.shape;
  // Rank-2 x needs no reshapes (each would still be a kernel).
  const fold = (t: tf.Tensor, cols: number) =>
    (t.rank === 2 ? t : tf.reshape(t, [-1, cols])) as tf.Tensor2D; // [m, cols]
  const unfold = (t: tf.Tensor, shape: number[]) => (x.rank === 2 ? t : tf.reshape(t, shape));
  const x2 = fold(x, inDim);
  const y2 = c ? tf.add(tf.matMul(x2, w), c) : tf.matMul(x2, w); // [m, out]
  const restore = saveExceptVariables(save, [x2, w]);
  return {
    value: unfold(y2, [...x.shape.slice(0, -1), outDim]),
    gradFunc: (dy, saved) => {
      const dy2 = fold(dy, outDim);
      const [xS, wS] = restore(saved) as [tf.Tensor2D, tf.Tensor2D];
      const [dX, dW] = productGrads(xS, wS, dy2);
      const grads = [unfold(dX, x.shape), dW];
      if (c) grads.push(columnSum(dy2, outDim)); // [out]
      return grads;
    },
  };
}
