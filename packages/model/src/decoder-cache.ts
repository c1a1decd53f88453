import { KVCache as AttentionKVCache } from '@tformer/attention';

/**
 * One layer's caches, each an `@tformer/attention` `KVCache`: `self` holds the self-attention
 * keys/values of the positions decoded so far; `cross` (encoder-decoder only) holds the
 * cross-attention keys/values of the encoder output, projected at the first cached step (the
 * memory does not change while decoding).
 */
export interface LayerCache {
  self: AttentionKVCache;
  cross: AttentionKVCache;
}

/**
 * A decoder's per-layer key/value caches for incremental decoding: each step appends the new
 * positions' keys and values instead of recomputing the whole prefix. It owns its tensors; call
 * {@link DecoderCache.dispose} when done. (Formerly `KVCache`, a name now left to
 * `@tformer/attention`'s single-layer cache.)
 *
 * @example
 * ```ts
 * const cache = new DecoderCache(model.config.numLayers);
 * const logits = model.apply(prompt, { cache }); // then one token at a time
 * cache.dispose();
 * ```
 */
export class DecoderCache {
  readonly layers: LayerCache[];

  constructor(numLayers: number) {
    this.layers = Array.from({ length: numLayers }, () => ({
      self: new AttentionKVCache(),
      cross: new AttentionKVCache(),
    }));
  }

  /** Positions cached so far (the S of the self-attention keys). */
  get length(): number {
    return this.layers[0]?.self.length ?? 0;
  }

  /**
   * Keeps row `rows[i]` of every layer's keys and values as row `i` (beam search: each new
   * hypothesis continues the cached sequence of its parent). Rows may repeat or be dropped.
   */
  reorder(rows: readonly number[]): void {
    for (const layer of this.layers) {
      layer.self.reorder(rows);
      layer.cross.reorder(rows);
    }
  }

  /** Keeps the latest `count` self-attention positions of every layer (a rolling cache). */
  keepLast(count: number): void {
    for (const layer of this.layers) layer.self.keepLast(count);
  }

  dispose(): void {
    for (const layer of this.layers) {
      layer.self.dispose();
      layer.cross.dispose();
    }
  }
}
