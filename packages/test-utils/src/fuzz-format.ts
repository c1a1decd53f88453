import fc from 'fast-check';

/** What {@link fuzzFormat} ran: cases in all, how many parsed to a valid object, the slowest. */
export interface FuzzReport {
  format: string;
  cases: number;
  valid: number;
  rejected: number;
  slowestMs: number;
}

export interface FuzzOptions<T> {
  /** The format's name, for messages and the report. */
  format: string;
  /** Valid files of the format: JSON values (mutated as JSON and as text) or bytes. */
  seeds: readonly unknown[] | readonly Uint8Array[];
  /** Reads one (mutated) file: a string for JSON seeds, bytes for byte seeds. */
  parse: (input: string | Uint8Array) => T | Promise<T>;
  /** The format's typed errors (e.g. `e instanceof TokenizerError`); anything else fails. */
  isTypedError: (error: unknown) => boolean;
  /** Checks a file that parsed (bounds on what it allocates) and frees it. */
  check?: (value: T, input: string | Uint8Array) => void | Promise<void>;
  /** Cases (default 5,000, as issue 12 asks per format). */
  runs?: number;
  /** A case slower than this fails: a hang detector, far above any honest parse. Default 2 s. */
  maxMsPerCase?: number;
  /** Seed of fast-check's generator, so a failure is reproducible. */
  seed?: number;
}

/** Values that broke parsers before: huge, negative, fractional and non-integer ids, odd keys. */
const HOSTILE = fc.constantFrom<unknown>(
  0,
  -1,
  1.5,
  2 ** 31,
  2 ** 40,
  2 ** 53,
  1e12,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER,
  '',
  ' ',
  '__proto__',
  'constructor',
  'toString',
  'x'.repeat(10_000),
  null,
  true,
  [],
  {},
  [[[[[[[[[[[]]]]]]]]]]],
  { __proto__: null, polluted: 1 },
);

const value = fc.oneof(HOSTILE, fc.jsonValue({ maxDepth: 2 }));

type Path = Array<string | number>;

/** Every path to a value inside `json` (the root included). */
function paths(json: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(json)) {
    for (const [i, v] of json.entries()) paths(v, [...at, i], out);
  } else if (json !== null && typeof json === 'object')
    for (const [k, v] of Object.entries(json)) paths(v, [...at, k], out);
  return out;
}

/** A deep copy of `json` with the value at `path` replaced (or deleted when `replacement` is a symbol). */
function replaceAt(json: unknown, path: Path, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  const copy = (Array.isArray(json) ? [...json] : { ...(json as object) }) as Record<
    string | number,
    unknown
  >;
  const next = replaceAt(copy[head!], rest, replacement);
  if (next === DELETE) delete copy[head!];
  else copy[head!] = next;
  return copy;
}

const DELETE = Symbol('delete');

/** Mutations of a JSON file: values replaced or deleted, keys added (`__proto__` among them), text torn. */
function jsonMutation(seed: unknown): fc.Arbitrary<string> {
  const all = paths(seed);
  const text = JSON.stringify(seed);
  const structural = fc
    .array(
      fc.tuple(fc.nat({ max: all.length - 1 }), fc.oneof(value, fc.constant(DELETE as unknown))),
      { minLength: 1, maxLength: 3 },
    )
    .map((edits) => {
      let json = seed;
      for (const [i, v] of edits) json = replaceAt(json, all[i]!, v);
      return JSON.stringify(json) ?? 'null';
    });
  const injected = fc
    .tuple(
      fc.nat({ max: all.length - 1 }),
      fc.constantFrom('__proto__', 'constructor', 'prototype'),
    )
    .map(([i, key]) => {
      // Only text can hold a literal `__proto__` key (an object literal would set the prototype).
      const at = all[i]!;
      const target = at.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], seed);
      if (target === null || typeof target !== 'object' || Array.isArray(target)) return text;
      const inner = JSON.stringify(replaceAt(seed, at, { ...target, __MARK__: 0 }));
      return inner.replace('"__MARK__":0', `"${key}":{"polluted":1,"toString":1}`);
    });
  const torn = fc
    .tuple(fc.nat({ max: text.length }), fc.nat({ max: text.length }), fc.string({ maxLength: 4 }))
    .chain(([a, b, s]) =>
      fc.constantFrom(
        text.slice(0, a),
        text.slice(0, a) + s + text.slice(a),
        text.slice(0, Math.min(a, b)) + text.slice(Math.max(a, b)),
        text.slice(0, a) + text.slice(b % (text.length + 1)),
      ),
    );
  return fc.oneof({ weight: 5, arbitrary: structural }, injected, { weight: 2, arbitrary: torn });
}

/** Mutations of a binary file: bytes flipped or overwritten, the file truncated or extended. */
function bytesMutation(seed: Uint8Array): fc.Arbitrary<Uint8Array> {
  const n = seed.length;
  const edit = fc.oneof(
    fc.tuple(
      fc.constant('set' as const),
      fc.nat({ max: Math.max(0, n - 1) }),
      fc.nat({ max: 255 }),
    ),
    fc.tuple(fc.constant('cut' as const), fc.nat({ max: n }), fc.constant(0)),
    fc.tuple(fc.constant('grow' as const), fc.nat({ max: 64 }), fc.nat({ max: 255 })),
  );
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    let bytes = Uint8Array.from(seed);
    for (const [kind, a, b] of edits) {
      if (kind === 'set' && bytes.length > 0) bytes[a % bytes.length] = b;
      else if (kind === 'cut') bytes = bytes.subarray(0, Math.min(a, bytes.length));
      else if (kind === 'grow') bytes = Uint8Array.from([...bytes, ...new Array(a).fill(b)]);
    }
    return bytes;
  });
}

/**
 * Fuzzes a file format: `runs` mutations of the `seeds` (values replaced by hostile ones, keys
 * deleted, `__proto__` keys injected, text or bytes torn, flipped, extended) are parsed, and each
 * must give a typed error or a valid object (`check` bounds it), within `maxMsPerCase`, without
 * touching `Object.prototype`. Resolves to the counts; rejects with fast-check's shrunk
 * counterexample.
 */
export async function fuzzFormat<T>(options: FuzzOptions<T>): Promise<FuzzReport> {
  const { format, seeds, parse, isTypedError, check, runs = 5_000, maxMsPerCase = 2_000 } = options;
  const binary = seeds[0] instanceof Uint8Array;
  const arbitrary = fc.oneof(
    ...seeds.map((s) =>
      binary
        ? bytesMutation(s as Uint8Array)
        : (jsonMutation(s) as fc.Arbitrary<string | Uint8Array>),
    ),
  );
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).join();
  const report: FuzzReport = { format, cases: 0, valid: 0, rejected: 0, slowestMs: 0 };
  await fc.assert(
    fc.asyncProperty(arbitrary, async (input) => {
      report.cases++;
      const start = performance.now();
      let parsed: { value: T } | undefined;
      try {
        parsed = { value: await parse(input) };
      } catch (error) {
        if (!isTypedError(error)) throw error;
        report.rejected++;
      }
      const ms = performance.now() - start;
      report.slowestMs = Math.max(report.slowestMs, ms);
      if (ms > maxMsPerCase) throw new Error(`${format}: one case took ${ms.toFixed(0)} ms`);
      if (Object.getOwnPropertyNames(Object.prototype).join() !== prototypeKeys)
        throw new Error(`${format}: Object.prototype was polluted`);
      if ('polluted' in {}) throw new Error(`${format}: Object.prototype was polluted`);
      if (parsed) {
        report.valid++;
        await check?.(parsed.value, input);
      }
    }),
    { numRuns: runs, seed: options.seed ?? 12 },
  );
  return report;
}
