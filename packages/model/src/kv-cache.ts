import type * as tf from '@tensorflow/tfjs-core';

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

  dispose(): void {
    for (const layer of this.layers) {
      layer.key?.dispose();
      layer.value?.dispose();
      layer.key = undefined;
      layer.value = undefined;
    }
  }
}
