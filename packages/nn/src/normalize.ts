import * as tf from '@tensorflow/tfjs-core';
import { columnSum } from './column-sum.js';
import { saveExceptVariables } from './save-for-backward.js';

/**
 * Layer/RMS normalisation over the last axis as one `tf.customGrad` op:
 * x̂ = (x − μ)·r (LayerNorm, `center`) or x·r (RMSNorm) with r = 1/√(mean((x − μ)²) + eps),
 * then y = x̂·gamma + beta (each optional).
 *
 * Why: under tfjs' autodiff every kernel of the forward pass saves its inputs and outputs through
 * an `Identity` copy, and the per-op gradients add `Cast`s, broadcast reductions and reshapes —
 * ~60 kernels per LayerNorm in a training step. Here the forward kernels run off the tape, only
 * x̂, r and gamma are saved, and the backward pass is the closed form
 * dx = r·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) with dx̂ = dy·gamma (without the mean(dx̂) term for
 * RMSNorm), dgamma = Σ dy·x̂ and dbeta = Σ dy over the leading axes.
 */
export function normalize(
  x: tf.Tensor,
  gamma: tf.Tensor | undefined,
  beta: tf.Tensor | undefined,
  eps: number,
  center: boolean,
): tf.Tensor {
  const d = x.shape[x.rank - 1]!;
  const inputs = [x, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[inputs.length] as tf.GradSaveFunc;
    const xIn = args[0] as tf.Tensor;
    const g = gamma ? (args[1] as tf.Tensor) : undefined;
    const b = beta ? (args[gamma ? 2 : 1] as tf.Tensor) : undefined;
    const centered = center ? tf.sub(xIn, tf.mean(xIn, -1, true)) : xIn;
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), eps)); // [..., 1]
    const xHat = tf.mul(centered, rstd);
    let y = g ? tf.mul(xHat, g) : xHat;
    if (b) y = tf.add(y, b);
    const restore = saveExceptVariables(save, [xHat, rstd, ...(g ? [g] : [])]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, r, gs] = restore(saved) as [tf.Tensor, tf.Tensor, tf.Tensor?];
        // dy·x̂ serves both dgamma = Σ dy·x̂ and dx̂·x̂ = (dy·x̂)·gamma.
        const dyXh = tf.mul(dy, xh);
        const dxHat = gs ? tf.mul(dy, gs) : dy;
        const dxHatXh = gs ? tf.mul(dyXh, gs) : dyXh;
        let inner = tf.sub(dxHat, tf.mul(xh, tf.mean(dxHatXh, -1, true)));
        if (center) inner = tf.sub(inner, tf.mean(dxHat, -1, true));
        const grads = [tf.mul(inner, r)];
        if (gs) grads.push(columnSum(dyXh, d));
        if (b) grads.push(columnSum(dy, d));
        return grads;
      },
    };
  });
  return op(...inputs);
}
