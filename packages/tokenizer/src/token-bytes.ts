import { byteStringToText } from './bytes.js';
import { TokenizerError } from './errors.js';

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Decoding tables for byte-level tokens: each token's text when its bytes are valid UTF-8 on
 * their own, and every token's bytes in one flat `Uint8Array`. `decode` concatenates texts and
 * UTF-8-decodes only the runs of tokens that hold partial characters.
 */
export class TokenBytes {
  /** id → text, for tokens whose bytes are valid UTF-8 by themselves (a packed array: no holes). */
  readonly texts: ReadonlyArray<string | undefined>;
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
    const texts: Array<string | undefined> = [];
    let at = 0;
    for (let id = 0; id < tokens.length; id++) {
      const t = tokens[id];
      texts.push(t === undefined ? undefined : byteStringToText(t));
      if (t === undefined) continue;
      this.start[id] = at;
      this.length[id] = t.length;
      for (let i = 0; i < t.length; i++) this.pool[at++] = t.charCodeAt(i);
    }
    this.texts = texts;
  }

  /**
   * Ids → text. A token that is valid UTF-8 alone starts and ends on character boundaries, so a
   * run of other tokens decodes on its own exactly as it would inside the whole byte string.
   */
  decode(ids: ArrayLike<number>): string {
    const texts = this.texts;
    const n = ids.length;
    let out = '';
    let i = 0;
    while (i < n) {
      const t = texts[ids[i]!];
      if (t !== undefined) {
        out += t;
        i++;
        continue;
      }
      let j = i + 1;
      while (j < n && texts[ids[j]!] === undefined) j++;
      out += utf8.decode(this.concat(ids, i, j));
      i = j;
    }
    return out;
  }

  /**
   * Bytes of `ids[from..to)`, as a view of a reused buffer (valid until the next call); raises
   * `id-out-of-range` naming the first bad id and its index.
   */
  concat(ids: ArrayLike<number>, from: number, to: number): Uint8Array {
    const { pool, start, length } = this;
    let out = this.scratch;
    let at = 0;
    for (let i = from; i < to; i++) {
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
