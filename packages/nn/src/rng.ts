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
   * An independent generator derived from this one's next draws (so this one advances). Give each
   * layer its own fork of one root generator to make a whole model reproducible from one seed.
   */
  fork(): Rng;
}

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

  constructor(
    readonly seed: number,
    stream = 0,
  ) {
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

  fork(): Rng {
    return new Xoshiro128(this.nextUint32(), this.nextUint32() | 1);
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
