import { assertString, describeValue, TokenizerError } from './errors.js';
import { checkTokenId } from './ids.js';
import type {
  BatchEncoding,
  BatchOptions,
  EncodeOptions,
  Encoding,
  Offset,
  Tokenizer,
} from './tokenizer.js';

/** Special tokens of a tokenizer plus the template `addSpecialTokens` wraps ids in. */
export interface SpecialTokenConfig {
  /** Special token text → id. */
  readonly tokens?: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
  /** Special tokens placed before the ids when `addSpecialTokens` is set. */
  readonly prefix?: readonly string[];
  /** Special tokens placed after the ids when `addSpecialTokens` is set. */
  readonly suffix?: readonly string[];
  /** Special token used for padding in `encodeBatch`. */
  readonly pad?: string;
}

/**
 * Every special token must be a non-empty string (an empty one would match between every two
 * characters: encoding would never advance) with its own id in `[0, MAX_TOKEN_ID]`.
 */
function checkSpecialTokens(tokens: ReadonlyMap<unknown, unknown>): void {
  const owner = new Map<number, string>();
  for (const [token, id] of tokens) {
    if (typeof token !== 'string' || token === '') {
      throw new TokenizerError(
        'invalid-format',
        `special tokens must be non-empty strings, got ${describeValue(token)}`,
        { field: 'special.tokens' },
      );
    }
    checkTokenId(id, `special token ${JSON.stringify(token)}`, { token });
    const other = owner.get(id);
    if (other !== undefined) {
      throw new TokenizerError(
        'duplicate-rank',
        `special tokens ${JSON.stringify(other)} and ${JSON.stringify(token)} share id ${id}`,
        { token, id },
      );
    }
    owner.set(id, token);
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[\\^$*+?.()|[\]{}]/g, '\\$&');
}

/**
 * Shared machinery for every tokenizer here: special-token matching before splitting (ordinary
 * text never yields a special token unless allowed), the `addSpecialTokens` template, offsets and
 * `encodeBatch` with padding and truncation. Subclasses implement the ordinary-text encoder.
 *
 * @param special - special tokens and template, see {@link SpecialTokenConfig}.
 *
 * @example
 * ```ts
 * class Bytes extends BaseTokenizer {
 *   get vocabSize() { return 256; }
 *   protected encodeOrdinary(text: string, out: number[]) { for (const c of text) out.push(c.charCodeAt(0) & 255); }
 *   decode(ids: ArrayLike<number>) { return String.fromCharCode(...Array.from(ids)); }
 *   idToToken(id: number) { return String.fromCharCode(id); }
 *   tokenToId(t: string) { return t.charCodeAt(0); }
 *   toJSON() { return {}; }
 * }
 * ```
 */
export abstract class BaseTokenizer implements Tokenizer {
  readonly specialTokens: ReadonlyMap<string, number>;
  protected readonly specialById: ReadonlyMap<number, string>;
  protected readonly specialConfig: SpecialTokenConfig;
  private readonly prefixIds: number[];
  private readonly suffixIds: number[];
  private readonly padId: number | undefined;
  private readonly specialRegex: RegExp | null;

  protected constructor(special: SpecialTokenConfig = {}) {
    const tokens =
      special.tokens instanceof Map
        ? new Map(special.tokens)
        : new Map(Object.entries(special.tokens ?? {}));
    checkSpecialTokens(tokens);
    for (const field of ['prefix', 'suffix'] as const) {
      const list = special[field];
      if (
        list !== undefined &&
        !(Array.isArray(list) && list.every((t) => typeof t === 'string'))
      ) {
        throw new TokenizerError('invalid-format', `${field} must be an array of strings`, {
          field,
        });
      }
    }
    if (special.pad !== undefined && typeof special.pad !== 'string') {
      throw new TokenizerError('invalid-format', 'pad must be a string', { field: 'pad' });
    }
    this.specialTokens = tokens;
    this.specialById = new Map([...tokens].map(([t, id]) => [id, t] as const));
    this.specialConfig = special;
    const idOf = (t: string, field: string): number => {
      const id = tokens.get(t);
      if (id === undefined) {
        throw new TokenizerError('unknown-token', `${field}: "${t}" is not a special token`, {
          field,
          token: t,
        });
      }
      return id;
    };
    this.prefixIds = (special.prefix ?? []).map((t) => idOf(t, 'prefix'));
    this.suffixIds = (special.suffix ?? []).map((t) => idOf(t, 'suffix'));
    this.padId = special.pad === undefined ? undefined : idOf(special.pad, 'pad');
    const keys = [...tokens.keys()].sort((a, b) => b.length - a.length);
    this.specialRegex = keys.length ? new RegExp(keys.map(escapeRegex).join('|'), 'g') : null;
  }

  abstract get vocabSize(): number;
  abstract decode(ids: ArrayLike<number>): string;
  abstract idToToken(id: number): string | undefined;
  abstract tokenToId(token: string): number | undefined;
  abstract toJSON(): object;

  /**
   * Appends the ids of `text` (no special tokens in it) to `out`; when `offsets` is given, also
   * appends a `[start, end]` pair per id, shifted by `base`.
   */
  protected abstract encodeOrdinary(
    text: string,
    out: number[],
    offsets: number[] | null,
    base: number,
  ): void;

  /** Text → ids. See {@link EncodeOptions} for special tokens. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    assertString(text, 'text');
    const ids: number[] = [];
    this.run(text, options, ids, null);
    return ids;
  }

  /** Text → ids with the `[start, end)` span of the input behind each id. */
  encodeWithOffsets(text: string, options: EncodeOptions = {}): Encoding {
    assertString(text, 'text');
    const ids: number[] = [];
    const flat: number[] = [];
    this.run(text, options, ids, flat);
    const offsets: Offset[] = new Array(ids.length);
    for (let i = 0; i < ids.length; i++) offsets[i] = [flat[2 * i]!, flat[2 * i + 1]!];
    return { ids, offsets };
  }

  /** Encodes many texts into equally long rows with attention masks and offsets. */
  encodeBatch(texts: readonly string[], options: BatchOptions = {}): BatchEncoding {
    if (!Array.isArray(texts)) {
      throw new TokenizerError('invalid-input', 'encodeBatch expects an array of strings', {});
    }
    const { maxLength, truncation = false } = options;
    const padding = options.padding === true ? 'longest' : (options.padding ?? false);
    if (
      (truncation || padding === 'max_length') &&
      !(Number.isInteger(maxLength) && maxLength! > 0)
    ) {
      throw new TokenizerError('invalid-input', 'maxLength must be a positive integer', {
        field: 'maxLength',
      });
    }
    const wrap = options.addSpecialTokens ? this.prefixIds.length + this.suffixIds.length : 0;
    const rows = texts.map((text, i) => {
      assertString(text, `texts[${i}]`);
      const enc = this.encodeWithOffsets(text, { ...options, addSpecialTokens: false });
      const keep = truncation ? Math.max(0, maxLength! - wrap) : enc.ids.length;
      const ids = enc.ids.slice(0, keep);
      const offsets = enc.offsets.slice(0, keep);
      if (options.addSpecialTokens) {
        const zero = (): Offset => [0, 0];
        ids.unshift(...this.prefixIds);
        ids.push(...this.suffixIds);
        offsets.unshift(...this.prefixIds.map(zero));
        offsets.push(...this.suffixIds.map(zero));
      }
      return { ids, offsets };
    });
    const longest = rows.reduce((m, r) => Math.max(m, r.ids.length), 0);
    const target = padding === 'max_length' ? Math.max(maxLength!, 0) : longest;
    const padId = options.padId ?? this.padId;
    if (padding !== false && padId === undefined && rows.some((r) => r.ids.length < target)) {
      throw new TokenizerError('invalid-input', 'padding needs a pad token or options.padId', {
        field: 'padId',
      });
    }
    const attentionMask = rows.map((r) => r.ids.map(() => 1));
    if (padding !== false) {
      rows.forEach((r, i) => {
        while (r.ids.length < target) {
          r.ids.push(padId!);
          r.offsets.push([0, 0]);
          attentionMask[i]!.push(0);
        }
      });
    }
    return { ids: rows.map((r) => r.ids), attentionMask, offsets: rows.map((r) => r.offsets) };
  }

  private run(text: string, options: EncodeOptions, ids: number[], offsets: number[] | null) {
    const { allowedSpecial = [], disallowedSpecial = 'all' } = options;
    const allowed = new Set(allowedSpecial === 'all' ? this.specialTokens.keys() : allowedSpecial);
    const disallowed =
      disallowedSpecial === 'all'
        ? new Set([...this.specialTokens.keys()].filter((t) => !allowed.has(t)))
        : new Set(disallowedSpecial);
    if (options.addSpecialTokens) this.pushSpecial(this.prefixIds, ids, offsets);
    let start = 0;
    const re = this.specialRegex;
    if (re !== null && (allowed.size > 0 || disallowed.size > 0)) {
      re.lastIndex = 0;
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        const token = m[0];
        if (disallowed.has(token)) {
          throw new TokenizerError(
            'disallowed-special',
            `text contains the special token "${token}" at offset ${m.index}; ` +
              'pass allowedSpecial to encode it as a special token or disallowedSpecial: [] to encode it as text',
            { token, offset: m.index },
          );
        }
        if (!allowed.has(token)) {
          re.lastIndex = m.index + 1;
          continue;
        }
        if (m.index > start) this.encodeOrdinary(text.slice(start, m.index), ids, offsets, start);
        ids.push(this.specialTokens.get(token)!);
        offsets?.push(m.index, m.index + token.length);
        start = m.index + token.length;
      }
    }
    if (start < text.length) {
      this.encodeOrdinary(start === 0 ? text : text.slice(start), ids, offsets, start);
    }
    if (options.addSpecialTokens) this.pushSpecial(this.suffixIds, ids, offsets);
  }

  private pushSpecial(list: number[], ids: number[], offsets: number[] | null): void {
    for (const id of list) {
      ids.push(id);
      offsets?.push(0, 0);
    }
  }
}
