/** A word type of the training corpus as symbol ids, with how often it occurs. */
export interface WordType {
  symbols: number[];
  readonly count: number;
}

/** Options of {@link learnMerges}. */
export interface MergeLearning {
  /** Checked before each merge; true stops learning (e.g. the vocabulary is full). */
  readonly shouldStop: () => boolean;
  /** Stop when the best pair occurs fewer times. */
  readonly minFrequency: number;
  /** Id of the symbol `a` + `b` (a new one, or an existing one with the same text). */
  readonly symbolFor: (a: number, b: number) => number;
}

const SHIFT = 1 << 21;

interface Entry {
  readonly count: number;
  readonly a: number;
  readonly b: number;
}

/** Max-heap order: higher count first, then smaller `a`, then smaller `b`. */
function before(x: Entry, y: Entry): boolean {
  if (x.count !== y.count) return x.count > y.count;
  return x.a !== y.a ? x.a < y.a : x.b < y.b;
}

class PairHeap {
  private readonly items: Entry[] = [];

  get size(): number {
    return this.items.length;
  }

  push(e: Entry): void {
    const h = this.items;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(e, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  pop(): Entry {
    const h = this.items;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= h.length) break;
        if (c + 1 < h.length && before(h[c + 1]!, h[c]!)) c++;
        if (!before(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

/**
 * BPE merge learning with incremental pair counts: a pair → count table, a pair → words index
 * and a lazy max-heap. Each merge rewrites only the words that contain the pair and adjusts the
 * counts of their pairs; nothing is rescanned. Ties go to the smaller `(a, b)`.
 *
 * @returns the merges in order as `[a, b, merged]`.
 */
export function learnMerges(
  words: WordType[],
  options: MergeLearning,
): Array<readonly [number, number, number]> {
  const counts = new Map<number, number>();
  const where = new Map<number, number[]>();
  const heap = new PairHeap();
  const add = (a: number, b: number, n: number, w: number): void => {
    const key = a * SHIFT + b;
    const now = (counts.get(key) ?? 0) + n;
    counts.set(key, now);
    if (n > 0) {
      let list = where.get(key);
      if (list === undefined) where.set(key, (list = []));
      if (list[list.length - 1] !== w) list.push(w);
    }
  };
  words.forEach((word, w) => {
    const s = word.symbols;
    for (let i = 0; i + 1 < s.length; i++) add(s[i]!, s[i + 1]!, word.count, w);
  });
  for (const [key, count] of counts) {
    heap.push({ count, a: Math.floor(key / SHIFT), b: key % SHIFT });
  }
  const merges: Array<readonly [number, number, number]> = [];
  const seen = new Int32Array(words.length).fill(-1);
  while (heap.size > 0 && !options.shouldStop()) {
    const top = heap.pop();
    const key = top.a * SHIFT + top.b;
    const current = counts.get(key) ?? 0;
    if (current !== top.count) {
      if (current < top.count && current > 0) heap.push({ ...top, count: current });
      continue;
    }
    if (current < options.minFrequency || current <= 0) break;
    const merged = options.symbolFor(top.a, top.b);
    const step = merges.length;
    merges.push([top.a, top.b, merged]);
    const touched = new Set<number>();
    for (const w of where.get(key) ?? []) {
      if (seen[w] === step) continue;
      seen[w] = step;
      const word = words[w]!;
      const s = word.symbols;
      const next: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === top.a && s[i + 1] === top.b) {
          next.push(merged);
          i++;
        } else next.push(s[i]!);
      }
      if (next.length === s.length) continue;
      for (let i = 0; i + 1 < s.length; i++) add(s[i]!, s[i + 1]!, -word.count, w);
      for (let i = 0; i + 1 < next.length; i++) {
        add(next[i]!, next[i + 1]!, word.count, w);
        touched.add(next[i]! * SHIFT + next[i + 1]!);
      }
      word.symbols = next;
    }
    where.delete(key);
    for (const k of touched) {
      const c = counts.get(k)!;
      if (c > 0) heap.push({ count: c, a: Math.floor(k / SHIFT), b: k % SHIFT });
    }
  }
  return merges;
}
