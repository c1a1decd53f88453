import { base64ToByteString, unicodeToByteString } from './bytes.js';
import { parseJson, TokenizerError } from './errors.js';
import { checkIdDensity, checkTokenId } from './ids.js';

/** A byte-level BPE vocabulary: id → byte string, optional explicit merges `[left, right, result]`. */
export interface BpeTables {
  readonly tokens: Array<string | undefined>;
  readonly merges?: Array<readonly [number, number, number]>;
}

/** The shape of the rank tables the `js-tiktoken` package ships (`js-tiktoken/ranks/gpt2`). */
export interface JsTiktokenRanks {
  readonly pat_str: string;
  readonly special_tokens: Readonly<Record<string, number>>;
  readonly bpe_ranks: string;
}

function addRank(
  tokens: Array<string | undefined>,
  seen: Map<string, number>,
  bytes: string,
  rank: number,
  where: Record<string, string | number>,
): void {
  checkTokenId(rank, `${where.source}: rank`, where);
  if (tokens[rank] !== undefined) {
    throw new TokenizerError('duplicate-rank', `${where.source}: rank ${rank} appears twice`, {
      ...where,
      rank,
    });
  }
  const before = seen.get(bytes);
  if (before !== undefined) {
    throw new TokenizerError(
      'duplicate-rank',
      `${where.source}: the same bytes have ranks ${before} and ${rank}`,
      { ...where, rank },
    );
  }
  seen.set(bytes, rank);
  tokens[rank] = bytes;
}

/**
 * Parses a `.tiktoken` rank file: one `base64-bytes rank` pair per line.
 *
 * @param text - the file's contents.
 * @param source - a name for error messages.
 */
export function parseTiktokenRanks(text: string, source = 'tiktoken ranks'): BpeTables {
  if (typeof text !== 'string') {
    throw new TokenizerError('invalid-input', `${source} must be a string`, { source });
  }
  const tokens: Array<string | undefined> = [];
  const seen = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const where = { source, line: i + 1 };
    const parts = line.split(' ');
    const bytes = parts.length === 2 ? base64ToByteString(parts[0]!) : undefined;
    if (bytes === undefined || bytes === '' || !/^\d+$/.test(parts[1]!)) {
      throw new TokenizerError(
        'invalid-format',
        `${source} line ${i + 1}: expected "<base64> <rank>", got "${line.slice(0, 60)}"`,
        where,
      );
    }
    addRank(tokens, seen, bytes, Number(parts[1]), where);
  }
  checkIdDensity(tokens.length, seen.size, source);
  return { tokens };
}

/**
 * Reads the compressed rank tables shipped by `js-tiktoken` (`js-tiktoken/ranks/cl100k_base`):
 * lines of `<tag> <first rank> <base64 token> <base64 token> …`.
 */
export function parseJsTiktokenRanks(
  ranks: JsTiktokenRanks,
  source = 'js-tiktoken ranks',
): BpeTables {
  if (typeof ranks !== 'object' || ranks === null || typeof ranks.bpe_ranks !== 'string') {
    throw new TokenizerError(
      'invalid-format',
      `${source}: expected { pat_str, special_tokens, bpe_ranks }`,
      {
        source,
      },
    );
  }
  const tokens: Array<string | undefined> = [];
  const seen = new Map<string, number>();
  const lines = ranks.bpe_ranks.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === '') continue;
    const fields = lines[i]!.split(' ');
    const where = { source, line: i + 1 };
    const first = Number(fields[1]);
    for (let k = 2; k < fields.length; k++) {
      const bytes = base64ToByteString(fields[k]!);
      if (bytes === undefined || bytes === '') {
        throw new TokenizerError(
          'invalid-format',
          `${source} line ${i + 1}: bad base64 "${fields[k]}"`,
          {
            ...where,
            field: k,
          },
        );
      }
      addRank(tokens, seen, bytes, first + k - 2, where);
    }
  }
  checkIdDensity(tokens.length, seen.size, source);
  return { tokens };
}

/** Reads a `{ "Ġthe": 262, … }` byte-level vocabulary object into an id → byte-string table. */
export function byteLevelVocab(
  vocab: unknown,
  source: string,
): {
  tokens: Array<string | undefined>;
  ids: Map<string, number>;
} {
  if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab)) {
    throw new TokenizerError('invalid-format', `${source}: vocab must be an object`, { source });
  }
  const tokens: Array<string | undefined> = [];
  const ids = new Map<string, number>();
  const seen = new Map<string, number>();
  for (const [token, id] of Object.entries(vocab)) {
    const bytes = unicodeToByteString(token);
    if (bytes === undefined || bytes === '') {
      throw new TokenizerError(
        'invalid-format',
        `${source}: token "${token}" is not in GPT-2 byte-level form`,
        { source, token },
      );
    }
    addRank(tokens, seen, bytes, id as number, { source, token });
    ids.set(token, id as number);
  }
  checkIdDensity(tokens.length, seen.size, source);
  return { tokens, ids };
}

/** Resolves merges (`"a b"` strings or `["a", "b"]` pairs) against a vocabulary. */
export function resolveMerges(
  merges: unknown,
  ids: ReadonlyMap<string, number>,
  source: string,
): Array<readonly [number, number, number]> {
  if (!Array.isArray(merges)) {
    throw new TokenizerError('invalid-format', `${source}: merges must be an array`, { source });
  }
  return merges.map((m: unknown, i) => {
    const pair = typeof m === 'string' ? m.split(' ') : m;
    if (!Array.isArray(pair) || pair.length !== 2 || pair.some((p) => typeof p !== 'string')) {
      throw new TokenizerError(
        'invalid-format',
        `${source}: merge ${i} is not a pair: ${JSON.stringify(m)}`,
        {
          source,
          index: i,
        },
      );
    }
    const [a, b] = pair as [string, string];
    const left = ids.get(a);
    const right = ids.get(b);
    const result = ids.get(a + b);
    const missing =
      left === undefined ? a : right === undefined ? b : result === undefined ? a + b : null;
    if (missing !== null) {
      throw new TokenizerError(
        'unknown-token',
        `${source}: merge ${i} ("${a} ${b}") names "${missing}", which is not in the vocabulary`,
        { source, index: i, token: missing },
      );
    }
    return [left!, right!, result!] as const;
  });
}

/**
 * Reads GPT-2's original `vocab.json` (a.k.a. `encoder.json`) and `merges.txt` (`vocab.bpe`).
 * The `#version` header line of `merges.txt` is skipped; merge `i` is reported as line `i + 1`.
 */
export function parseGpt2Files(vocabJson: string, mergesTxt: string): BpeTables {
  const vocab = parseJson(vocabJson, 'vocab.json');
  const { tokens, ids } = byteLevelVocab(vocab, 'vocab.json');
  if (typeof mergesTxt !== 'string') {
    throw new TokenizerError('invalid-input', 'merges.txt must be a string', {
      source: 'merges.txt',
    });
  }
  const lines = mergesTxt.split('\n').map((l) => l.replace(/\r$/, ''));
  const offset = lines[0]?.startsWith('#version') ? 1 : 0;
  const body = lines.slice(offset).filter((l) => l !== '');
  try {
    return { tokens, merges: resolveMerges(body, ids, 'merges.txt') };
  } catch (e) {
    if (e instanceof TokenizerError && typeof e.where.index === 'number') {
      const line = e.where.index + 1 + offset;
      throw new TokenizerError(e.reason, `${e.message} (line ${line})`, { ...e.where, line });
    }
    throw e;
  }
}
