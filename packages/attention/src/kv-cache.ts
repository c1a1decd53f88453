import * as tf from '@tensorflow/tfjs-core';
import { rowPicker } from '@tformer/nn';
import { AttentionArgumentError, AttentionShapeError, KVCacheOverflowError } from './errors.js';

export interface KVCacheOptions {
  /** Most positions it may hold; growing past it throws {@link KVCacheOverflowError}. */
  maxLength?: number;
}

export interface KVCacheConfig {
  maxLength: number | null;
}

/**
 * The keys and values of the positions decoded so far, for one attention layer, so that each
 * decoding step projects only its new tokens: `update` appends `[B, Hkv, t, d]` along the
 * position axis and returns everything cached, `[B, Hkv, length, d]`, which the step attends to.
 *
 * Storage: tfjs tensors are immutable, so a preallocated `[B, Hkv, maxLength, d]` buffer would
 * still be copied whole to write one position. Appending with `tf.concat` copies the same bytes
 * and holds only what is used; the previous tensors are disposed at once, so the cache holds
 * exactly two tensors however many steps run. The cached tensors are kept (`tf.keep`), survive
 * enclosing `tf.tidy` scopes, belong to the cache and stay valid until the next `update`,
 * `updatePacked`, `reorder`, `keepLast`, `reset` or `dispose`.
 *
 * A one-token decoding step may keep keys and values packed instead, one `[B, Hkv, length,
 * dk + dv]` tensor of each position's key followed by its value ({@link KVCache.updatePacked}):
 * one concat per step where two tensors need two (tfjs-node pays ~27 µs per kernel launch).
 * The cache converts between the two storages when the other kind is asked for.
 *
 * @example
 * ```ts
 * const cache = new KVCache({ maxLength: 64 });
 * const { keys, values } = cache.update(kStep, vStep); // [B, Hkv, cache.length, d]
 * cache.dispose();
 * ```
 */
export class KVCache {
  readonly maxLength: number | undefined;
  #keys: tf.Tensor4D | undefined;
  #values: tf.Tensor4D | undefined;
  /** Keys and values side by side `[B, Hkv, length, dk + dv]`, the other storage (see above). */
  #packed: { entries: tf.Tensor4D; keySize: number } | undefined;

  constructor(options: KVCacheOptions = {}) {
    const { maxLength } = options;
    if (maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength < 1)) {
      throw new AttentionArgumentError('maxLength', 'a positive integer', maxLength);
    }
    this.maxLength = maxLength;
  }

  /** Number of cached positions. */
  get length(): number {
    return (this.#packed?.entries ?? this.#keys)?.shape[2] ?? 0;
  }

  /** The cached keys `[B, Hkv, length, dk]`, or undefined while empty. Owned by the cache. */
  get keys(): tf.Tensor4D | undefined {
    this.#unpack();
    return this.#keys;
  }

  /** The cached values `[B, Hkv, length, dv]`, or undefined while empty. Owned by the cache. */
  get values(): tf.Tensor4D | undefined {
    this.#unpack();
    return this.#values;
  }

  /**
   * Appends `key [B, Hkv, t, dk]` and `value [B, Hkv, t, dv]` and returns all cached keys and
   * values. Does not take ownership of its arguments.
   */
  update(key: tf.Tensor, value: tf.Tensor): { keys: tf.Tensor4D; values: tf.Tensor4D } {
    this.#unpack();
    this.#check(key, value);
    this.#checkRoom(key.shape[2]!);
    const [oldKeys, oldValues] = [this.#keys, this.#values];
    this.#keys = tf.keep(oldKeys ? tf.concat([oldKeys, key], 2) : tf.clone(key)) as tf.Tensor4D; // [B, Hkv, L, dk]
    this.#values = tf.keep(
      oldValues ? tf.concat([oldValues, value], 2) : tf.clone(value),
    ) as tf.Tensor4D; // [B, Hkv, L, dv]
    oldKeys?.dispose();
    oldValues?.dispose();
    return { keys: this.#keys, values: this.#values };
  }

  /**
   * Appends `entries [B, Hkv, t, keySize + dv]`, each position's key (its first `keySize`
   * columns) followed by its value, and returns every cached position in that packed layout
   * `[B, Hkv, length, keySize + dv]`: one concat. Keys and values cached by {@link update} are
   * packed first (once). Does not take ownership of its argument.
   *
   * @example
   * ```ts
   * const all = cache.updatePacked(tf.concat([kStep, vStep], 3), dk); // [B, Hkv, length, dk + dv]
   * ```
   */
  updatePacked(entries: tf.Tensor, keySize: number): tf.Tensor4D {
    const width = entries.shape[3] ?? 0;
    if (!Number.isInteger(keySize) || keySize < 1 || keySize >= width) {
      throw new AttentionArgumentError('keySize', `an integer in [1, ${width})`, keySize);
    }
    // What is cached already fixes B, Hkv, dk and dv.
    const packed = this.#packed;
    const [keys, values] = [this.#keys, this.#values];
    const [b, h] = (packed?.entries ?? keys ?? entries).shape;
    const [dk, dv] = packed
      ? [packed.keySize, packed.entries.shape[3] - packed.keySize]
      : [keys?.shape[3] ?? keySize, values?.shape[3] ?? width - keySize];
    if (
      entries.rank !== 4 ||
      entries.shape[0] !== b ||
      entries.shape[1] !== h ||
      keySize !== dk ||
      width !== dk + dv
    ) {
      throw new AttentionShapeError(
        'entries',
        `[B, Hkv, t, dk + dv] = [${b}, ${h}, t, ${dk} + ${dv}] (keySize ${dk})`,
        entries.shape,
      );
    }
    this.#checkRoom(entries.shape[2]!);
    const old = packed?.entries ?? (keys && values && tf.concat([keys, values], 3)); // [B, Hkv, L, dk + dv]
    const all = tf.keep(old ? tf.concat([old, entries], 2) : tf.clone(entries)) as tf.Tensor4D; // [B, Hkv, L + t, dk + dv]
    tf.dispose([old, keys, values].filter((t) => t !== undefined));
    [this.#keys, this.#values] = [undefined, undefined];
    this.#packed = { entries: all, keySize };
    return all;
  }

  /**
   * Keeps batch row `rows[i]` as row `i` of the keys and values (the old tensors are disposed).
   * Beam search: each surviving hypothesis continues the cached sequence of its parent; rows may
   * repeat or be dropped. Does nothing while empty. On wasm and node it is `tf.gatherND` over
   * whole rows: tfjs-wasm's `GatherV2` indexes every element and took 3–45× as long
   * (`pnpm --filter @tformer/bench decode`, docs/benchmarks.md), node's ~1.1×; on cpu `tf.gather`
   * is 4–5× the faster.
   *
   * @example
   * ```ts
   * cache.reorder([0, 0, 2]); // rows [B = 3, …] → [3, …]: row 0 twice, row 2, row 1 dropped
   * ```
   */
  reorder(rows: readonly number[]): void {
    const B = (this.#packed?.entries ?? this.#keys)?.shape[0];
    if (!Array.isArray(rows) || rows.length === 0) {
      throw new AttentionArgumentError('rows', 'a non-empty array of row indices', rows);
    }
    const bad = rows.find((r) => !Number.isInteger(r) || r < 0 || (B !== undefined && r >= B));
    if (bad !== undefined) {
      throw new AttentionArgumentError('rows', `row indices in [0, ${B ?? 'B'})`, bad);
    }
    if (B === undefined) return;
    if (rows.length === B && rows.every((r, i) => r === i)) return; // already in order
    this.#replace(() => rowPicker(rows)); // [n, Hkv, L, ·]
  }

  /**
   * Keeps only the latest `count` positions (a rolling cache: a sliding-window or relative-position
   * model attends to a bounded past, so the oldest keys/values can go). Two slices when it trims,
   * nothing when the cache holds `count` positions or fewer.
   *
   * @example
   * ```ts
   * cache.keepLast(window - 1); // then update() with the new position: `window` keys in view
   * ```
   */
  keepLast(count: number): void {
    if (!Number.isInteger(count) || count < 0) {
      throw new AttentionArgumentError('count', 'an integer ≥ 0', count);
    }
    if (this.length <= count) return;
    if (count === 0) {
      this.reset();
      return;
    }
    const from = this.length - count;
    this.#replace(() => (x) => tf.slice(x, [0, 0, from, 0], [-1, -1, count, -1])); // [B, Hkv, count, ·]
  }

  /** Forgets every position (disposing the tensors); the cache can be reused. */
  reset(): void {
    tf.dispose([this.#keys, this.#values, this.#packed?.entries].filter((t) => t !== undefined));
    this.#keys = undefined;
    this.#values = undefined;
    this.#packed = undefined;
  }

  /** Same as {@link KVCache.reset}: frees the cached tensors. */
  dispose(): void {
    this.reset();
  }

  getConfig(): KVCacheConfig {
    return { maxLength: this.maxLength ?? null };
  }

  static fromConfig(config: KVCacheConfig): KVCache {
    return new KVCache({ maxLength: config.maxLength ?? undefined });
  }

  /**
   * Replaces each stored tensor by `f` of it, `f` made by `make` (both in a tidy: a row picker
   * holds its indices as a tensor), disposing the old ones.
   */
  #replace(make: () => (x: tf.Tensor4D) => tf.Tensor): void {
    const [keys, values, packed] = [this.#keys, this.#values, this.#packed];
    tf.tidy(() => {
      const f = make();
      if (keys && values) {
        this.#keys = tf.keep(f(keys)) as tf.Tensor4D;
        this.#values = tf.keep(f(values)) as tf.Tensor4D;
      }
      if (packed) this.#packed = { ...packed, entries: tf.keep(f(packed.entries)) as tf.Tensor4D };
    });
    tf.dispose([keys, values, packed?.entries].filter((t) => t !== undefined));
  }

  /** Packed storage → separate keys and values (two slices, once). */
  #unpack(): void {
    const packed = this.#packed;
    if (!packed) return;
    const { entries, keySize } = packed;
    this.#keys = tf.keep(tf.slice(entries, [0, 0, 0, 0], [-1, -1, -1, keySize])); // [B, Hkv, L, dk]
    this.#values = tf.keep(tf.slice(entries, [0, 0, 0, keySize], [-1, -1, -1, -1])); // [B, Hkv, L, dv]
    this.#packed = undefined;
    entries.dispose();
  }

  /** Throws {@link KVCacheOverflowError} when `count` more positions would pass `maxLength`. */
  #checkRoom(count: number): void {
    const requested = this.length + count;
    if (this.maxLength !== undefined && requested > this.maxLength) {
      throw new KVCacheOverflowError(this.maxLength, requested);
    }
  }

  #check(key: tf.Tensor, value: tf.Tensor): void {
    const cached = this.#keys;
    const [b, h, , dk] = cached?.shape ?? key.shape;
    if (
      key.rank !== 4 ||
      (cached && (key.shape[0] !== b || key.shape[1] !== h || key.shape[3] !== dk))
    ) {
      throw new AttentionShapeError(
        'key',
        cached ? `[B, Hkv, t, dk] = [${b}, ${h}, t, ${dk}]` : '[B, Hkv, t, dk]',
        key.shape,
      );
    }
    const dv = this.#values?.shape[3] ?? value.shape[3];
    if (
      value.rank !== 4 ||
      value.shape[0] !== key.shape[0] ||
      value.shape[1] !== key.shape[1] ||
      value.shape[2] !== key.shape[2] ||
      value.shape[3] !== dv
    ) {
      throw new AttentionShapeError(
        'value',
        `[B, Hkv, t, dv] = [${key.shape[0]}, ${key.shape[1]}, ${key.shape[2]}, ${dv}]`,
        value.shape,
      );
    }
  }
}
