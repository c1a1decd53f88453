import * as tf from '@tensorflow/tfjs-core';

/** The keys and values one attention layer has seen so far, `[B, Hkv, S, hs]` each. */
export interface LayerCache {
  key?: tf.Tensor4D;
  value?: tf.Tensor4D;
  /**
   * Encoder-decoder only: cross-attention keys/values of the encoder output `[B, Hkv, S_src, hs]`,
   * projected at the first cached step (the memory does not change while decoding).
   */
  memoryKey?: tf.Tensor4D;
  memoryValue?: tf.Tensor4D;
}

const FIELDS = ['key', 'value', 'memoryKey', 'memoryValue'] as const;

/**
 * Per-layer key/value cache for incremental decoding: each step appends the new position's keys
 * and values instead of recomputing the whole prefix. It owns its tensors; call
 * {@link KVCache.dispose} when done.
 */
export class KVCache {
  readonly layers: LayerCache[];

  constructor(numLayers: number) {
    this.layers = Array.from({ length: numLayers }, () => ({}));
  }

  /** Positions cached so far (the S of the keys). */
  get length(): number {
    return this.layers[0]?.key?.shape[2] ?? 0;
  }

  /**
   * Keeps row `rows[i]` of every layer's keys and values as row `i` (beam search: each new
   * hypothesis continues the cached sequence of its parent). Rows may repeat or be dropped.
   */
  reorder(rows: readonly number[]): void {
    const first = this.layers[0];
    const B = (first?.key ?? first?.memoryKey)?.shape[0];
    if (B === rows.length && rows.every((r, i) => r === i)) return; // already in order
    const index = tf.tensor1d([...rows], 'int32'); // [n]
    for (const layer of this.layers) {
      for (const field of FIELDS) {
        const old = layer[field];
        if (!old) continue;
        layer[field] = tf.gather(old, index, 0); // [n, Hkv, S, hs]
        old.dispose();
      }
    }
    index.dispose();
  }

  dispose(): void {
    for (const layer of this.layers) {
      for (const field of FIELDS) {
        layer[field]?.dispose();
        layer[field] = undefined;
      }
    }
  }
}
