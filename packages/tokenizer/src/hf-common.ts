import type { SpecialTokenConfig } from './base-tokenizer.js';
import { parseJson, TokenizerError } from './errors.js';
import { checkTokenId } from './ids.js';

type Json = Record<string, unknown>;

/** `value` as an object, or `invalid-format` naming `field`. */
export function expectObject(value: unknown, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenizerError('invalid-format', `tokenizer.json: ${field} must be an object`, {
      field,
    });
  }
  return value as Json;
}

/** Parses `tokenizer.json` text (or accepts the parsed object) and checks it is an object. */
export function readHfRoot(json: string | object): Json {
  const value = typeof json === 'string' ? parseJson(json, 'tokenizer.json') : json;
  return expectObject(value, '(root)');
}

/**
 * The `added_tokens` entries of a Hugging Face `tokenizer.json` for special tokens (content → id,
 * as a tokenizer's `specialTokens`), sorted by id, each matched whole and never normalized or
 * stripped: the flags the `tokenizers` library writes for special tokens. `toJSON()` writes these;
 * use it to build a `tokenizer.json` of your own (a vocabulary with extra special ids in front).
 *
 * @example
 * ```ts
 * hfAddedTokens(new Map([['<pad>', 0], ['</s>', 2]]));
 * // [{ id: 0, content: '<pad>', single_word: false, lstrip: false, rstrip: false,
 * //    normalized: false, special: true }, { id: 2, content: '</s>', … }]
 * ```
 */
export function hfAddedTokens(specialTokens: Iterable<readonly [string, number]>): object[] {
  return [...specialTokens]
    .sort((a, b) => a[1] - b[1])
    .map(([content, id]) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    }));
}

/** `TemplateProcessing` for the `addSpecialTokens` template, or null without one. */
export function templateJson(
  special: SpecialTokenConfig,
  specialTokens: ReadonlyMap<string, number>,
): object | null {
  const prefix = special.prefix ?? [];
  const suffix = special.suffix ?? [];
  if (prefix.length === 0 && suffix.length === 0) return null;
  const item = (id: string) => ({ SpecialToken: { id, type_id: 0 } });
  const seq = (id: string) => ({ Sequence: { id, type_id: 0 } });
  const used = [...new Set([...prefix, ...suffix])];
  return {
    type: 'TemplateProcessing',
    single: [...prefix.map(item), seq('A'), ...suffix.map(item)],
    pair: [...prefix.map(item), seq('A'), ...suffix.map(item), seq('B'), ...suffix.map(item)],
    special_tokens: Object.fromEntries(
      used.map((t) => [t, { id: t, ids: [specialTokens.get(t)], tokens: [t] }]),
    ),
  };
}

/** The `padding` section when the tokenizer has a pad token. */
export function paddingJson(
  special: SpecialTokenConfig,
  specialTokens: ReadonlyMap<string, number>,
): object | null {
  if (special.pad === undefined) return null;
  return {
    strategy: 'BatchLongest',
    direction: 'Right',
    pad_to_multiple_of: null,
    pad_id: specialTokens.get(special.pad),
    pad_type_id: 0,
    pad_token: special.pad,
  };
}

function templateOf(post: unknown): { prefix: string[]; suffix: string[] } {
  if (post === null || post === undefined) return { prefix: [], suffix: [] };
  const p = expectObject(post, 'post_processor');
  if (p.type === 'TemplateProcessing' && Array.isArray(p.single)) {
    const prefix: string[] = [];
    const suffix: string[] = [];
    let seen = false;
    for (const piece of p.single as Json[]) {
      const sp = (piece?.SpecialToken as Json | undefined)?.id;
      if (typeof sp === 'string') (seen ? suffix : prefix).push(sp);
      else if (piece?.Sequence !== undefined) seen = true;
    }
    return { prefix, suffix };
  }
  if (p.type === 'BertProcessing' || p.type === 'RobertaProcessing') {
    const cls = p.cls as [string, number] | undefined;
    const sep = p.sep as [string, number] | undefined;
    return { prefix: cls ? [cls[0]] : [], suffix: sep ? [sep[0]] : [] };
  }
  return { prefix: [], suffix: [] };
}

/** Special tokens (every `added_tokens` entry), template and pad token of a `tokenizer.json`. */
export function specialConfigOf(root: Json): SpecialTokenConfig {
  const added = root.added_tokens ?? [];
  if (!Array.isArray(added)) {
    throw new TokenizerError('invalid-format', 'tokenizer.json: added_tokens must be an array', {
      field: 'added_tokens',
    });
  }
  const tokens = new Map<string, number>();
  added.forEach((entry: unknown, i) => {
    const e = expectObject(entry, `added_tokens[${i}]`);
    if (typeof e.content !== 'string' || e.content === '') {
      throw new TokenizerError(
        'invalid-format',
        `tokenizer.json: added_tokens[${i}].content must be a non-empty string`,
        { field: `added_tokens[${i}].content` },
      );
    }
    checkTokenId(e.id, `tokenizer.json: added_tokens[${i}].id`, {
      field: `added_tokens[${i}].id`,
    });
    tokens.set(e.content, e.id);
  });
  const { prefix, suffix } = templateOf(root.post_processor);
  const padding = root.padding as Json | null | undefined;
  const pad =
    typeof padding?.pad_token === 'string' && tokens.has(padding.pad_token)
      ? padding.pad_token
      : undefined;
  return { tokens, prefix, suffix, pad };
}
