/**
 * What @tformer/interpret does not offer yet, computed here from a DecoderLM's public modules:
 * a forward pass that keeps every layer's attention weights (MultiHeadAttention's
 * `returnAttentionWeights`) and residual stream, the logit lens, and gradient×input / integrated
 * gradients saliency over the input token embeddings. Everything runs in `tf.tidy`; callers
 * own the returned tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DecoderLM } from '@tformer/model';

export interface Trace {
  /** One `[1, H, T, T]` per layer, first layer first. */
  attention: tf.Tensor4D[];
  /** The residual stream `[1, T, C]`: after the embeddings, then after each block. */
  residuals: tf.Tensor3D[];
  /** `[1, T, V]`. */
  logits: tf.Tensor3D;
}

function positionsOf(T: number): tf.Tensor2D {
  return tf.reshape(tf.range(0, T, 1, 'int32'), [1, T]) as tf.Tensor2D;
}

/** Token embeddings `[1, T, C]` of `ids` (the input saliency is measured against). */
export function tokenEmbeddings(model: DecoderLM, ids: tf.Tensor2D): tf.Tensor3D {
  return model.wte.apply(ids) as tf.Tensor3D;
}

/** The model's forward pass from token embeddings `[1, T, C]`, keeping what the views need. */
export function traceFromEmbeddings(model: DecoderLM, embeddings: tf.Tensor): Trace {
  const T = embeddings.shape[1]!;
  const attention: tf.Tensor4D[] = [];
  const residuals: tf.Tensor3D[] = [];
  const positions = positionsOf(T);
  let x: tf.Tensor = embeddings;
  if (model.wpe) x = tf.add(x, model.wpe.apply(positions));
  x = model.drop.apply(x);
  residuals.push(x as tf.Tensor3D);
  const rope = model.config.position === 'rope' ? positions : undefined;
  for (const block of model.blocks) {
    const attend = (h: tf.Tensor) => {
      const { output, weights } = block.attn.apply(h, {
        causal: true,
        positions: rope,
        returnAttentionWeights: true,
      });
      attention.push(weights);
      return block.dropout.apply(output);
    };
    const feed = (h: tf.Tensor) => block.dropout.apply(block.ffn.apply(h));
    if (block.config.preNorm) {
      const h = tf.add(x, attend(block.ln1.apply(x)));
      x = tf.add(h, feed(block.ln2.apply(h)));
    } else {
      const h = block.ln1.apply(tf.add(x, attend(x)));
      x = block.ln2.apply(tf.add(h, feed(h)));
    }
    residuals.push(x as tf.Tensor3D);
  }
  const logits = model.logits(model.lnF.apply(x)) as tf.Tensor3D;
  return { attention, residuals, logits };
}

/** The trace of `ids` `[1, T]`, in eval mode. */
export function traceDecoderLM(model: DecoderLM, ids: tf.Tensor2D): Trace {
  const trace = tf.tidy(() => {
    const t = traceFromEmbeddings(model, tokenEmbeddings(model, ids));
    return { attention: t.attention, residuals: t.residuals, logits: t.logits };
  }) as unknown as Trace;
  return trace;
}

/**
 * Logit lens (nostalgebraist, 2020): each residual `[1, T, C]` read out through the final
 * LayerNorm and the (tied) output projection. Returns `[L + 1, T]` top ids and probabilities.
 */
export function logitLens(
  model: DecoderLM,
  residuals: readonly tf.Tensor3D[],
): { ids: tf.Tensor2D; probabilities: tf.Tensor2D } {
  return tf.tidy(() => {
    const probs = residuals.map((r) => tf.softmax(model.logits(model.lnF.apply(r)))); // [1, T, V]
    const stacked = tf.concat(probs, 0); // [L + 1, T, V]
    return {
      ids: tf.argMax(stacked, -1) as tf.Tensor2D,
      probabilities: tf.max(stacked, -1) as tf.Tensor2D,
    };
  });
}

/**
 * The logit of `token` at position `target`, as a function of the token embeddings: what
 * saliency differentiates.
 */
function targetLogit(model: DecoderLM, target: number, token: number) {
  return (embeddings: tf.Tensor): tf.Scalar => {
    const { logits } = traceFromEmbeddings(model, embeddings);
    return tf.squeeze(tf.slice(logits, [0, target, token], [1, 1, 1])) as tf.Scalar;
  };
}

/**
 * Gradient × input (Shrikumar et al., 2016) of the logit of `token` at `target`, summed over
 * the embedding width: one signed score per input token `[T]`.
 */
export function gradientTimesInput(
  model: DecoderLM,
  ids: tf.Tensor2D,
  target: number,
  token: number,
): tf.Tensor1D {
  return tf.tidy(() => {
    const e = tokenEmbeddings(model, ids);
    const g = tf.grad(targetLogit(model, target, token))(e);
    return tf.squeeze(tf.sum(tf.mul(g, e), -1), [0]) as tf.Tensor1D;
  });
}

/**
 * Integrated gradients (Sundararajan et al., 2017) from the all-zero embedding to the input, a
 * `steps`-point Riemann sum (midpoints), summed over the embedding width: `[T]`. The scores add
 * up to logit(input) − logit(baseline) up to the discretisation error.
 */
export function integratedGradients(
  model: DecoderLM,
  ids: tf.Tensor2D,
  target: number,
  token: number,
  steps = 16,
): tf.Tensor1D {
  return tf.tidy(() => {
    const e = tokenEmbeddings(model, ids);
    const f = tf.grad(targetLogit(model, target, token));
    let total: tf.Tensor = tf.zerosLike(e);
    for (let k = 0; k < steps; k++) {
      const g = f(tf.mul(e, (k + 0.5) / steps));
      const next = tf.add(total, g);
      total.dispose();
      g.dispose();
      total = next;
    }
    return tf.squeeze(tf.sum(tf.mul(tf.div(total, steps), e), -1), [0]) as tf.Tensor1D;
  });
}
