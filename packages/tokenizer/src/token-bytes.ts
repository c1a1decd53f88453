import { TokenizerError } from './errors.js';

/**
 * Every token's bytes in one flat `Uint8Array`, addressed by id, for decoding without per-token
 * allocations: one pass sums lengths (and validates ids), one pass copies.
 */
export class TokenBytes {
  private readonly pool: Uint8Array;
  private readonly start: Int32Array;
  private readonly length: Int32Array;
  private scratch = new Uint8Array(0);

  /** @param tokens - id → byte string (one char per byte); holes are ids outside the vocabulary. */
  constructor(tokens: ReadonlyArray<string | undefined>) {
    let total = 0;
    for (const t of tokens) total += t?.length ?? 0;
    this.pool = new Uint8Array(total);
    this.start = new Int32Array(tokens.length);
    this.length = new Int32Array(tokens.length).fill(-1);
    let at = 0;
    tokens.forEach((t, id) => {
      if (t === undefined) return;
      this.start[id] = at;
      this.length[id] = t.length;
      for (let i = 0; i < t.length; i++) this.pool[at++] = t.charCodeAt(i);
    });
  }

  /**
   * Concatenated bytes of `ids`, as a view of a reused buffer (valid until the next call);
   * raises `id-out-of-range` naming the first bad id and its index.
   */
  concat(ids: ArrayLike<number>): Uint8Array {
    const n = ids.length;
    const { pool, start, length } = this;
    let out = this.scratch;
    let at = 0;
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      const len = length[id];
      if (len === undefined || len < 0) this.fail(ids, i);
      if (at + len! > out.length) {
        const grown = new Uint8Array(Math.max(2 * out.length, at + len!, 1024));
        grown.set(out.subarray(0, at));
        this.scratch = out = grown;
      }
      let s = start[id]!;
      const e = s + len!;
      while (s < e) out[at++] = pool[s++]!;
    }
    return out.subarray(0, at);
  }

  private fail(ids: ArrayLike<number>, i: number): never {
    throw new TokenizerError(
      'id-out-of-range',
      `decode: id ${String(ids[i])} at index ${i} is not in the vocabulary (size ${this.length.length})`,
      { index: i, id: String(ids[i]) },
    );
  }
}
