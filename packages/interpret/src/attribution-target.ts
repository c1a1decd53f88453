import * as tf from '@tensorflow/tfjs-core';
import { InterpretError } from './errors.js';

/** The output logit an attribution explains. */
export interface AttributionTarget {
  /** Token (or class) id whose logit is explained. */
  token: number;
  /** Output position (language models, the target side of an encoder-decoder); default the last. */
  position?: number;
}

/** `[B]`: the target logit of each row of `[B, T, V]` or `[B, K]` logits. */
export function targetLogit(
  logits: tf.Tensor,
  { token, position }: AttributionTarget,
): tf.Tensor1D {
  const V = logits.shape[logits.rank - 1]!;
  if (!(Number.isInteger(token) && token >= 0 && token < V)) {
    throw new InterpretError(`target.token: expected an integer in [0, ${V}), got ${token}`);
  }
  return tf.tidy(() => {
    let rows = logits; // [B, V]
    if (logits.rank === 3) {
      const T = logits.shape[1]!;
      const p = position ?? T - 1;
      if (!(Number.isInteger(p) && p >= 0 && p < T)) {
        throw new InterpretError(`target.position: expected an integer in [0, ${T}), got ${p}`);
      }
      rows = tf.squeeze(tf.slice(logits, [0, p, 0], [-1, 1, -1]), [1]);
    }
    return tf.squeeze(tf.slice(rows, [0, token], [-1, 1]), [1]) as tf.Tensor1D;
  });
}
