import { ArgumentError } from './errors.js';

/**
 * A seeded pseudo-random generator (xoshiro128**, seeded through splitmix32). It runs on the
 * host, so the numbers it gives depend only on the seed: the same seed gives the same initial
 * parameters and dropout masks on every backend.
 */
export interface Rng {
  /** The seed it was created with. */
  readonly seed: number;
  /** A uniform integer in [0, 2³²). */
  nextUint32(): number;
  /** A uniform float in [low, high) (default [0, 1)). */
  uniform(low?: number, high?: number): number;
  /** A normal sample (Box–Muller). */
  normal(mean?: number, stddev?: number): number;
  /** `n` float32 uniform values in [low, high). */
  uniformArray(n: number, low?: number, high?: number): Float32Array;
  /** `n` normal floats. */
  normalArray(n: number, mean?: number, stddev?: number): Float32Array;
  /**
   * A dropout keep mask of `n` entries: `1/(1 − rate)` where the entry's 32-bit draw `u` has
   * `u ≥ rate·2³²` (kept), else 0. It takes the same `n` draws as `n` calls of
   * {@link nextUint32}, in a loop that keeps the generator's words in locals (about twice as fast
   * as calling {@link nextUint32} per entry; a training step draws millions of them).
   */
  keepMask(n: number, rate: number): Float32Array;
  /**
   * An independent generator derived from this one's next draws (so this one advances). Give each
   * layer its own fork of one root generator to make a whole model reproducible from one seed.
   */
  fork(): Rng;
  /**
   * A JSON-serialisable snapshot of the generator (a copy: later draws do not change it). After
   * `restore(snapshot)`, this or any other generator draws exactly what this one draws next.
   *
   * @example
   * ```ts
   * const saved = JSON.stringify(rng.state());
   * const next = rng.uniform();
   * rng.restore(JSON.parse(saved));
   * rng.uniform() === next; // true
   * ```
   */
  state(): RngState;
  /**
   * Puts the generator where `state` was taken (words, pending normal spare and seed). Throws
   * {@link ArgumentError} naming the faulty field when `state` is not a valid {@link RngState},
   * leaving the generator untouched.
   */
  restore(state: RngState): void;
}

/**
 * The saved position of an {@link Rng}: the four 32-bit xoshiro128** words, the second normal of
 * the last Box–Muller pair when one is pending (else `null`) and the seed. Plain JSON: it survives
 * `JSON.stringify`/`JSON.parse` exactly (doubles print round-trip). A type alias, not an interface,
 * so it is assignable to JSON value types with an index signature.
 */
export type RngState = {
  words: [number, number, number, number];
  spare: number | null;
  seed: number;
};

const TWO_POW_32 = 4294967296;

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

class Xoshiro128 implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | undefined;
  #seed: number;

  constructor(seed: number, stream = 0) {
    this.#seed = seed;
    // Low and high 32 bits of the seed (a safe integer has 53) each drive a splitmix32 stream.
    const low = splitmix32(seed >>> 0);
    const high = splitmix32(
      (Math.floor(seed / TWO_POW_32) ^ Math.imul(stream, 0x632be5ab) ^ 0x5bd1e995) >>> 0,
    );
    this.a = (low() ^ high()) >>> 0;
    this.b = (low() ^ high()) >>> 0;
    this.c = (low() ^ high()) >>> 0;
    this.d = (low() ^ high()) >>> 0;
    if ((this.a | this.b | this.c | this.d) === 0) this.d = 1;
  }

  get seed(): number {
    return this.#seed;
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  uniform(low = 0, high = 1): number {
    return low + (high - low) * (this.nextUint32() / TWO_POW_32);
  }

  normal(mean = 0, stddev = 1): number {
    if (this.spare !== undefined) {
      const z = this.spare;
      this.spare = undefined;
      return mean + stddev * z;
    }
    // u1 in (0, 1] so the log is finite.
    const u1 = (this.nextUint32() + 1) / TWO_POW_32;
    const u2 = this.nextUint32() / TWO_POW_32;
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return mean + stddev * r * Math.cos(2 * Math.PI * u2);
  }

  uniformArray(n: number, low = 0, high = 1): Float32Array {
    const out = new Float32Array(n);
    // 24 random bits: u·2⁻²⁴ is exact in float32 and ≤ 1 − 2⁻²⁴, so rounding to float32 cannot
    // reach `high` (32 bits could: −1 + 2·(1 − 2⁻³²) rounds to 1).
    const scale = (high - low) / 16777216;
    for (let i = 0; i < n; i++) {
      const v = Math.fround(low + scale * (this.nextUint32() >>> 8));
      out[i] = v < high ? v : low;
    }
    return out;
  }

  normalArray(n: number, mean = 0, stddev = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal(mean, stddev);
    return out;
  }

  keepMask(n: number, rate: number): Float32Array {
    const out = new Float32Array(n);
    const scale = 1 / (1 - rate);
    const threshold = rate * TWO_POW_32;
    let { a, b, c, d } = this;
    // nextUint32's step, inlined: the same sequence, without a property write per draw.
    for (let i = 0; i < n; i++) {
      const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
      const t = b << 9;
      c ^= a;
      d ^= b;
      b ^= c;
      a ^= d;
      c ^= t;
      d = rotl(d, 11);
      out[i] = result >= threshold ? scale : 0;
    }
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    return out;
  }

  fork(): Rng {
    return new Xoshiro128(this.nextUint32(), this.nextUint32() | 1);
  }

  state(): RngState {
    return {
      // The xor steps leave signed int32 words: store them as uint32, the form restore checks.
      words: [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0],
      spare: this.spare ?? null,
      seed: this.#seed,
    };
  }

  restore(state: RngState): void {
    assertRngState(state);
    [this.a, this.b, this.c, this.d] = state.words;
    this.spare = state.spare ?? undefined;
    this.#seed = state.seed;
  }
}

/**
 * Throws {@link ArgumentError} unless `state` is a valid {@link RngState}; `argument` names it in
 * the message (e.g. `states['blocks.0.dropout.rng']`). Lets a caller check several states before
 * restoring any.
 */
export function assertRngState(state: unknown, argument = 'state'): asserts state is RngState {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) {
    throw new ArgumentError(argument, state, 'an object { words, spare, seed }');
  }
  const { words, spare, seed } = state as Record<string, unknown>;
  const isWord = (w: unknown) =>
    Number.isInteger(w) && (w as number) >= 0 && (w as number) < TWO_POW_32;
  if (!Array.isArray(words) || words.length !== 4 || !words.every(isWord)) {
    throw new ArgumentError(`${argument}.words`, words, 'four uint32 integers');
  }
  // The all-zero state is xoshiro's fixed point: it would only ever draw zeros.
  if (words.every((w) => w === 0)) {
    throw new ArgumentError(`${argument}.words`, words, 'four uint32 integers, not all zero');
  }
  if (spare !== null && !(typeof spare === 'number' && Number.isFinite(spare))) {
    throw new ArgumentError(`${argument}.spare`, spare, 'a finite number or null');
  }
  if (!Number.isSafeInteger(seed) || (seed as number) < 0) {
    throw new ArgumentError(`${argument}.seed`, seed, 'a non-negative safe integer');
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Creates a seeded {@link Rng}. `seed` is a non-negative safe integer; without one, a random
 * seed is drawn from `Math.random` (read it back from `rng.seed` to reproduce the run).
 *
 * @example
 * ```ts
 * const rng = createRng(42);
 * const dense = new Dense({ inputDim: 4, outputDim: 8, rng: rng.fork() });
 * ```
 */
export function createRng(seed?: number): Rng {
  if (seed === undefined) return new Xoshiro128(Math.floor(Math.random() * TWO_POW_32));
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new ArgumentError('seed', seed, 'a non-negative safe integer');
  }
  return new Xoshiro128(seed);
}

/** An `Rng` option as layers take it: a generator, a seed, or nothing (a random seed). */
export type RngOption = Rng | number | undefined;

/** Turns an {@link RngOption} into a generator. */
export function resolveRng(option: RngOption): Rng {
  return typeof option === 'object' ? option : createRng(option);
}
