import { utf8ByteString } from './bytes.js';
import { TokenizerError } from './errors.js';

const NONE = 0x7fffffff;
const SMALL_PIECE = 48;
const CACHE_LIMIT = 1 << 17;
const CACHEABLE_LENGTH = 64;
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
  private readonly pairA: Int32Array;
  private readonly pairB: Int32Array;
  private readonly pairPriority: Int32Array;
  private readonly pairResult: Int32Array;
  private readonly mask: number;
  /**
   * piece → one id or several: starts as a copy of `textToId` so one lookup serves both whole-token
   * pieces and cached merges; rebuilt from `textToId` after `CACHE_LIMIT` additions.
   */
  private cache = new Map<string, number | number[]>();
  private cacheAdds = 0;
  private readonly sIds = new Int32Array(SMALL_PIECE);
  private readonly sRank = new Int32Array(SMALL_PIECE);
  private readonly sRes = new Int32Array(SMALL_PIECE);

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
    this.mask = cap - 1;
    this.pairA = new Int32Array(cap).fill(-1);
    this.pairB = new Int32Array(cap);
    this.pairPriority = new Int32Array(cap);
    this.pairResult = new Int32Array(cap);
    for (let p = 0; p < merges.length; p++) {
      const [a, b, r] = merges[p]!;
      const priority = source.merges ? p : r;
      let h = this.hash(a, b);
      while (this.pairA[h] !== -1 && !(this.pairA[h] === a && this.pairB[h] === b)) {
        h = (h + 1) & this.mask;
      }
      if (this.pairA[h] !== -1) continue;
      this.pairA[h] = a;
      this.pairB[h] = b;
      this.pairPriority[h] = priority;
      this.pairResult[h] = r;
    }
  }

  /** Appends the ids of one pre-tokenized piece to `out`. */
  encodePiece(piece: string, out: number[]): void {
    const cached = this.cache.get(piece);
    if (cached !== undefined) {
      if (typeof cached === 'number') out.push(cached);
      else for (let i = 0; i < cached.length; i++) out.push(cached[i]!);
      return;
    }
    const bytes = utf8ByteString(piece);
    const start = out.length;
    const direct = this.ignoreMerges ? this.byteStringToId.get(bytes) : undefined;
    if (direct !== undefined) out.push(direct);
    else if (bytes.length <= SMALL_PIECE) this.mergeSmall(bytes, out);
    else this.mergeLarge(bytes, out);
    if (piece.length <= CACHEABLE_LENGTH) {
      if (++this.cacheAdds > CACHE_LIMIT) {
        this.cache = new Map(this.textToId);
        this.cacheAdds = 0;
      }
      this.cache.set(piece, out.length - start === 1 ? out[start]! : out.slice(start));
    }
  }

  private hash(a: number, b: number): number {
    return ((Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77)) >>> 7) & this.mask;
  }

  /** Slot of the pair `(a, b)` in the table, or -1. */
  private slot(a: number, b: number): number {
    let h = this.hash(a, b);
    for (;;) {
      const k = this.pairA[h]!;
      if (k === -1) return -1;
      if (k === a && this.pairB[h] === b) return h;
      h = (h + 1) & this.mask;
    }
  }

  private byteId(bytes: string, i: number): number {
    const id = this.byteIds[bytes.charCodeAt(i)]!;
    if (id < 0) {
      const hex = bytes.charCodeAt(i).toString(16).padStart(2, '0');
      throw new TokenizerError('unknown-token', `byte 0x${hex} has no token in the vocabulary`, {
        byte: bytes.charCodeAt(i),
      });
    }
    return id;
  }

  private mergeSmall(bytes: string, out: number[]): void {
    const ids = this.sIds;
    const rank = this.sRank;
    const res = this.sRes;
    let len = bytes.length;
    for (let i = 0; i < len; i++) ids[i] = this.byteId(bytes, i);
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
      rank[i] = this.pairPriority[s]!;
      res[i] = this.pairResult[s]!;
    }
  }

  private mergeLarge(bytes: string, out: number[]): void {
    const n = bytes.length;
    const ids = new Int32Array(n);
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const rank = new Int32Array(n).fill(NONE);
    const res = new Int32Array(n);
    const heap = new Float64Array(3 * n + 1);
    let size = 0;
    const push = (key: number): void => {
      let i = size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (heap[parent]! <= key) break;
        heap[i] = heap[parent]!;
        i = parent;
      }
      heap[i] = key;
    };
    const pop = (): number => {
      const top = heap[0]!;
      const last = heap[--size]!;
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
    };
    const update = (i: number): void => {
      const j = next[i]!;
      const s = j < 0 ? -1 : this.slot(ids[i]!, ids[j]!);
      if (s < 0) rank[i] = NONE;
      else {
        rank[i] = this.pairPriority[s]!;
        res[i] = this.pairResult[s]!;
        push(rank[i]! * TWO_32 + i);
      }
    };
    for (let i = 0; i < n; i++) {
      ids[i] = this.byteId(bytes, i);
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    for (let i = 0; i < n - 1; i++) update(i);
    while (size > 0) {
      const key = pop();
      const r = Math.floor(key / TWO_32);
      const i = key - r * TWO_32;
      if (ids[i]! < 0 || rank[i] !== r) continue;
      const j = next[i]!;
      ids[i] = res[i]!;
      ids[j] = -1;
      next[i] = next[j]!;
      if (next[j]! >= 0) prev[next[j]!] = i;
      update(i);
      if (prev[i]! >= 0) update(prev[i]!);
    }
    for (let i = 0; i >= 0; i = next[i]!) out.push(ids[i]!);
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
