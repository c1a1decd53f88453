import { utf8ByteString } from './bytes.js';
import { TokenizerError } from './errors.js';

const NONE = 0x7fffffff;
const SMALL_PIECE = 64;
const CACHE_LIMIT = 1 << 17;
const CACHEABLE_LENGTH = 256;
const TWO_32 = 4294967296;

/** How pairs are prioritised: by the rank of the merged token (tiktoken) or by merge order. */
export interface PairSource {
  /** `[left, right, result]` id triples; the array index is the priority (lower merges first). */
  readonly merges?: ReadonlyArray<readonly [number, number, number]>;
}

/**
 * The byte-level BPE engine shared by every {@link BytePairTokenizer}: an id → byte-string
 * table, an open-addressing pair table `(left, right) → (priority, result)` in typed arrays,
 * a bounded piece cache, and two merge loops (a linear scan for short pieces, a heap over a
 * linked list for long ones, O(n log n)). Leftmost pair wins ties, as in tiktoken.
 */
export class BpeCore {
  /** id → byte string (holes for unused ids). */
  readonly tokens: ReadonlyArray<string | undefined>;
  /** byte string → id. */
  readonly byteStringToId: ReadonlyMap<string, number>;
  /** Whether a piece that is itself a token is emitted before any merging (tiktoken does). */
  readonly ignoreMerges: boolean;
  /** The pair table as triples in priority order, for serialisation. */
  readonly mergeList: ReadonlyArray<readonly [number, number, number]>;
  /** Tokens by text (tiktoken mode only), never evicted. */
  private readonly textToId = new Map<string, number>();
  private readonly byteIds = new Int32Array(256).fill(-1);
  /** Open addressing, four ints per slot: left, right (-1: empty), priority, result. */
  private readonly table: Int32Array;
  private readonly mask: number;
  /**
   * piece → one id or several: starts as a copy of `textToId` so one lookup serves both whole-token
   * pieces and cached merges; rebuilt from `textToId` after `CACHE_LIMIT` additions.
   */
  private cache = new Map<string, number | number[]>();
  private cacheAdds = 0;
  /** The current piece as byte-token ids (grown as needed). */
  private ids = new Int32Array(SMALL_PIECE);
  private readonly sRank = new Int32Array(SMALL_PIECE);
  private readonly sRes = new Int32Array(SMALL_PIECE);
  /** Linked list, pair ranks and heap of `mergeLarge`, reused across calls. */
  private next = new Int32Array(0);
  private prev = new Int32Array(0);
  private rank = new Int32Array(0);
  private res = new Int32Array(0);
  private heap = new Float64Array(0);
  private heapSize = 0;

  /**
   * @param tokens - id → byte string; with no `merges`, ids are tiktoken ranks.
   * @param source - explicit merges (HF / GPT-2 files); absent → derived from ranks.
   * @param ignoreMerges - emit a piece that is one token directly.
   * @param texts - id → the token's text when its bytes are valid UTF-8 on their own.
   */
  constructor(
    tokens: ReadonlyArray<string | undefined>,
    source: PairSource,
    ignoreMerges: boolean,
    texts: ReadonlyArray<string | undefined>,
  ) {
    this.tokens = tokens;
    this.ignoreMerges = ignoreMerges;
    const byId = new Map<string, number>();
    for (let id = 0; id < tokens.length; id++) {
      const t = tokens[id];
      if (t === undefined) continue;
      byId.set(t, id);
      if (t.length === 1) this.byteIds[t.charCodeAt(0)] = id;
      const text = texts[id];
      if (text !== undefined && ignoreMerges) this.textToId.set(text, id);
    }
    this.byteStringToId = byId;
    this.cache = new Map(this.textToId);
    const merges = source.merges ?? derivePairs(tokens, byId);
    this.mergeList = merges;
    let cap = 16;
    while (cap < merges.length * 2) cap *= 2;
    this.mask = cap * 4 - 4;
    const table = new Int32Array(cap * 4);
    for (let i = 0; i < table.length; i += 4) table[i] = -1;
    for (let p = 0; p < merges.length; p++) {
      const [a, b, r] = merges[p]!;
      let h = this.hash(a, b);
      while (table[h] !== -1 && !(table[h] === a && table[h + 1] === b)) h = (h + 4) & this.mask;
      if (table[h] !== -1) continue;
      table[h] = a;
      table[h + 1] = b;
      table[h + 2] = source.merges ? p : r;
      table[h + 3] = r;
    }
    this.table = table;
  }

  /** Appends the ids of one pre-tokenized piece to `out`. */
  encodePiece(piece: string, out: number[]): void {
    const cached = this.cache.get(piece);
    if (cached !== undefined) {
      if (typeof cached === 'number') out.push(cached);
      else for (let i = 0; i < cached.length; i++) out.push(cached[i]!);
      return;
    }
    const start = out.length;
    const n = this.fillIds(piece);
    const direct = n < 0 ? this.byteStringToId.get(utf8ByteString(piece)) : undefined;
    if (direct !== undefined) out.push(direct);
    else if (Math.abs(n) <= SMALL_PIECE) this.mergeSmall(Math.abs(n), out);
    else this.mergeLarge(Math.abs(n), out);
    if (piece.length <= CACHEABLE_LENGTH) {
      if (++this.cacheAdds > CACHE_LIMIT) {
        this.cache = new Map(this.textToId);
        this.cacheAdds = 0;
      }
      this.cache.set(piece, out.length - start === 1 ? out[start]! : out.slice(start));
    }
  }

  /** Index of the slot for `(a, b)`: a multiple of 4. */
  private hash(a: number, b: number): number {
    return ((Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77)) >>> 5) & this.mask;
  }

  /** Table index of the pair `(a, b)`, or -1. */
  private slot(a: number, b: number): number {
    const table = this.table;
    let h = this.hash(a, b);
    for (;;) {
      const k = table[h]!;
      if (k === -1) return -1;
      if (k === a && table[h + 1] === b) return h;
      h = (h + 4) & this.mask;
    }
  }

  /**
   * Writes the byte-token ids of `piece`'s UTF-8 bytes into `this.ids` and returns their count,
   * negated when the piece holds a lone surrogate (encoded as U+FFFD, like TextEncoder) — then its
   * bytes may be a token that the text lookup could not find.
   */
  private fillIds(piece: string): number {
    const len = piece.length;
    if (this.ids.length < 3 * len) this.ids = new Int32Array(3 * len);
    const ids = this.ids;
    let lone = false;
    let n = 0;
    for (let i = 0; i < len; i++) {
      let c = piece.charCodeAt(i);
      if (c < 0x80) {
        ids[n++] = this.byteId(c);
      } else if (c < 0x800) {
        ids[n++] = this.byteId(0xc0 | (c >> 6));
        ids[n++] = this.byteId(0x80 | (c & 63));
      } else {
        if (c >= 0xd800 && c <= 0xdfff) {
          const d = piece.charCodeAt(i + 1);
          if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
            c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
            i++;
            ids[n++] = this.byteId(0xf0 | (c >> 18));
            ids[n++] = this.byteId(0x80 | ((c >> 12) & 63));
            ids[n++] = this.byteId(0x80 | ((c >> 6) & 63));
            ids[n++] = this.byteId(0x80 | (c & 63));
            continue;
          }
          lone = true;
          c = 0xfffd;
        }
        ids[n++] = this.byteId(0xe0 | (c >> 12));
        ids[n++] = this.byteId(0x80 | ((c >> 6) & 63));
        ids[n++] = this.byteId(0x80 | (c & 63));
      }
    }
    return lone && this.ignoreMerges ? -n : n;
  }

  private byteId(byte: number): number {
    const id = this.byteIds[byte]!;
    if (id < 0) {
      const hex = byte.toString(16).padStart(2, '0');
      throw new TokenizerError('unknown-token', `byte 0x${hex} has no token in the vocabulary`, {
        byte,
      });
    }
    return id;
  }

  /** Merges `this.ids[0..n)` (n ≤ SMALL_PIECE) by linear scans and appends the result. */
  private mergeSmall(n: number, out: number[]): void {
    const ids = this.ids;
    const rank = this.sRank;
    const res = this.sRes;
    let len = n;
    for (let i = 0; i < len - 1; i++) this.setPair(i, ids, rank, res);
    while (len > 1) {
      let best = NONE;
      let at = -1;
      for (let i = 0; i < len - 1; i++) {
        if (rank[i]! < best) {
          best = rank[i]!;
          at = i;
        }
      }
      if (at < 0) break;
      ids[at] = res[at]!;
      for (let j = at + 1; j < len - 1; j++) {
        ids[j] = ids[j + 1]!;
        rank[j] = rank[j + 1]!;
        res[j] = res[j + 1]!;
      }
      len--;
      if (at > 0) this.setPair(at - 1, ids, rank, res);
      if (at < len - 1) this.setPair(at, ids, rank, res);
    }
    for (let i = 0; i < len; i++) out.push(ids[i]!);
  }

  private setPair(i: number, ids: Int32Array, rank: Int32Array, res: Int32Array): void {
    const s = this.slot(ids[i]!, ids[i + 1]!);
    if (s < 0) rank[i] = NONE;
    else {
      rank[i] = this.table[s + 2]!;
      res[i] = this.table[s + 3]!;
    }
  }

  /** Merges `this.ids[0..n)` with a heap over a linked list, O(n log n), and appends the result. */
  private mergeLarge(n: number, out: number[]): void {
    if (this.next.length < n) {
      this.next = new Int32Array(n);
      this.prev = new Int32Array(n);
      this.rank = new Int32Array(n);
      this.res = new Int32Array(n);
      this.heap = new Float64Array(3 * n + 1);
    }
    const { ids, next, prev } = this;
    this.heapSize = 0;
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    for (let i = 0; i < n - 1; i++) this.update(i);
    this.rank[n - 1] = NONE;
    while (this.heapSize > 0) {
      const key = this.pop();
      const r = Math.floor(key / TWO_32);
      const i = key - r * TWO_32;
      if (ids[i]! < 0 || this.rank[i] !== r) continue;
      const j = next[i]!;
      ids[i] = this.res[i]!;
      ids[j] = -1;
      next[i] = next[j]!;
      if (next[j]! >= 0) prev[next[j]!] = i;
      this.update(i);
      if (prev[i]! >= 0) this.update(prev[i]!);
    }
    for (let i = 0; i >= 0; i = next[i]!) out.push(ids[i]!);
  }

  /** Recomputes the pair starting at node `i` and queues it when it can merge. */
  private update(i: number): void {
    const j = this.next[i]!;
    const s = j < 0 ? -1 : this.slot(this.ids[i]!, this.ids[j]!);
    if (s < 0) this.rank[i] = NONE;
    else {
      const r = this.table[s + 2]!;
      this.rank[i] = r;
      this.res[i] = this.table[s + 3]!;
      this.push(r * TWO_32 + i);
    }
  }

  private push(key: number): void {
    const heap = this.heap;
    let i = this.heapSize++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]! <= key) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = key;
  }

  private pop(): number {
    const heap = this.heap;
    const top = heap[0]!;
    const size = --this.heapSize;
    const last = heap[size]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && heap[c + 1]! < heap[c]!) c++;
      if (heap[c]! >= last) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = last;
    return top;
  }
}

/** tiktoken semantics as pairs: every split of a token into two tokens, ranked by the token. */
function derivePairs(
  tokens: ReadonlyArray<string | undefined>,
  byId: ReadonlyMap<string, number>,
): Array<readonly [number, number, number]> {
  const pairs: Array<readonly [number, number, number]> = [];
  for (let id = 0; id < tokens.length; id++) {
    const t = tokens[id];
    if (t === undefined || t.length < 2) continue;
    for (let k = 1; k < t.length; k++) {
      const a = byId.get(t.slice(0, k));
      if (a === undefined) continue;
      const b = byId.get(t.slice(k));
      if (b !== undefined) pairs.push([a, b, id]);
    }
  }
  return pairs;
}
