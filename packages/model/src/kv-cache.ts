import * as tf from '@tensorflow/tfjs-core';

/** The keys and values one attention layer has seen so far, `[B, Hkv, S, hs]` each. */
export interface LayerCache {
  key?: tf.Tensor4D;
  value?: tf.Tensor4D;
}

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
    const B = this.layers[0]?.key?.shape[0];
    if (B === rows.length && rows.every((r, i) => r === i)) return; // already in order
    for (const layer of this.layers) {
      if (!layer.key || !layer.value) continue;
      const { key, value } = layer;
      [layer.key, layer.value] = tf.tidy(() => {
        const index = tf.tensor1d([...rows], 'int32'); // [n]
        return [tf.gather(key, index, 0), tf.gather(value, index, 0)]; // [n, Hkv, S, hs]
      });
      key.dispose();
      value.dispose();
    }
  }

  dispose(): void {
    for (const layer of this.layers) {
      layer.key?.dispose();
      layer.value?.dispose();
      layer.key = undefined;
      layer.value = undefined;
    }
  }
}
