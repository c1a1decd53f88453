import { BaseTokenizer } from './base-tokenizer.js';
import { type BertNormalization, bertWords } from './bert-pre-tokenizer.js';
import { assertIds, TokenizerError } from './errors.js';
import {
  expectObject,
  hfAddedTokens,
  paddingJson,
  readHfRoot,
  specialConfigOf,
  templateJson,
} from './hf-common.js';
import { checkIdDensity, checkTokenId } from './ids.js';

/** Everything that defines a {@link WordPieceTokenizer}. */
export interface WordPieceOptions extends BertNormalization {
  /** Tokens in id order (`vocab.txt` lines), or token → id. */
  readonly vocab: readonly string[] | ReadonlyMap<string, number>;
  /** Default `[UNK]`; must be in the vocabulary. */
  readonly unkToken?: string;
  /** Default `##`. */
  readonly continuingSubwordPrefix?: string;
  /** Words with more characters become `[UNK]`. Default 100. */
  readonly maxInputCharsPerWord?: number;
  /** Vocabulary entries treated as special. Default: those of `[PAD] [UNK] [CLS] [SEP] [MASK]` present. */
  readonly specialTokens?: readonly string[];
  /** `addSpecialTokens` template; default `[CLS]` … `[SEP]` when both exist. */
  readonly prefix?: readonly string[];
  readonly suffix?: readonly string[];
  /** Pad token; default `[PAD]` when present. */
  readonly pad?: string;
}

const BERT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

function toMap(vocab: WordPieceOptions['vocab']): Map<string, number> {
  if (vocab instanceof Map) {
    const map = new Map<string, number>();
    const owner = new Map<number, string>();
    for (const [t, id] of vocab) {
      if (typeof t !== 'string') {
        throw new TokenizerError('invalid-format', 'vocab tokens must be strings', {
          field: 'vocab',
        });
      }
      checkTokenId(id, `vocab[${JSON.stringify(t)}]`, { field: 'vocab', token: t });
      const other = owner.get(id);
      if (other !== undefined) {
        throw new TokenizerError(
          'duplicate-rank',
          `vocab: ${JSON.stringify(other)} and ${JSON.stringify(t)} share id ${id}`,
          { field: 'vocab', id },
        );
      }
      owner.set(id, t);
      map.set(t, id);
    }
    let size = 0;
    for (const id of owner.keys()) size = Math.max(size, id + 1);
    checkIdDensity(size, owner.size, 'vocab');
    return map;
  }
  if (!Array.isArray(vocab)) {
    throw new TokenizerError('invalid-format', 'vocab must be an array or a Map', {
      field: 'vocab',
    });
  }
  const map = new Map<string, number>();
  vocab.forEach((t, i) => {
    if (typeof t !== 'string' || map.has(t)) {
      throw new TokenizerError('invalid-format', `vocab line ${i + 1}: token missing or repeated`, {
        line: i + 1,
      });
    }
    map.set(t, i);
  });
  return map;
}

/**
 * BERT's WordPiece: the basic tokenizer (cleaning, lower-casing, accent stripping, CJK and
 * punctuation splitting), then greedy longest-match-first with `##` continuations; a word with
 * no match, or longer than `maxInputCharsPerWord` characters, becomes `[UNK]`.
 *
 * @param options - vocabulary and settings, see {@link WordPieceOptions}.
 *
 * @example
 * ```ts
 * const tok = WordPieceTokenizer.fromVocabTxt('[PAD]\n[UNK]\n[CLS]\n[SEP]\nun\n##aff\n##able\nhello\n!');
 * tok.encode('UnAffable hello!'); // [4, 5, 6, 7, 8]
 * tok.encode('hi', { addSpecialTokens: true }); // [2, 1, 3]
 * ```
 */
export class WordPieceTokenizer extends BaseTokenizer {
  readonly unkToken: string;
  readonly continuingSubwordPrefix: string;
  readonly maxInputCharsPerWord: number;
  readonly normalization: Required<BertNormalization>;
  private readonly vocab: Map<string, number>;
  private readonly tokens: string[] = [];
  private readonly unkId: number;

  constructor(options: WordPieceOptions) {
    const vocab = toMap(options.vocab);
    const specials = options.specialTokens ?? BERT_SPECIALS.filter((t) => vocab.has(t));
    const tokens = new Map<string, number>();
    for (const t of specials) {
      const id = vocab.get(t);
      if (id === undefined) {
        throw new TokenizerError('unknown-token', `special token "${t}" is not in the vocabulary`, {
          token: t,
        });
      }
      tokens.set(t, id);
    }
    const both = tokens.has('[CLS]') && tokens.has('[SEP]');
    super({
      tokens,
      prefix: options.prefix ?? (both ? ['[CLS]'] : []),
      suffix: options.suffix ?? (both ? ['[SEP]'] : []),
      pad: options.pad ?? (tokens.has('[PAD]') ? '[PAD]' : undefined),
    });
    this.vocab = vocab;
    for (const [t, id] of vocab) this.tokens[id] = t;
    this.unkToken = options.unkToken ?? '[UNK]';
    const unk = vocab.get(this.unkToken);
    if (unk === undefined) {
      throw new TokenizerError(
        'unknown-token',
        `unk token "${this.unkToken}" is not in the vocabulary`,
        {
          token: this.unkToken,
        },
      );
    }
    this.unkId = unk;
    this.continuingSubwordPrefix = options.continuingSubwordPrefix ?? '##';
    this.maxInputCharsPerWord = options.maxInputCharsPerWord ?? 100;
    if (!Number.isInteger(this.maxInputCharsPerWord) || this.maxInputCharsPerWord < 0) {
      throw new TokenizerError('invalid-format', 'maxInputCharsPerWord must be an integer ≥ 0', {
        field: 'maxInputCharsPerWord',
      });
    }
    if (typeof this.continuingSubwordPrefix !== 'string') {
      throw new TokenizerError('invalid-format', 'continuingSubwordPrefix must be a string', {
        field: 'continuingSubwordPrefix',
      });
    }
    const lowercase = options.lowercase ?? true;
    this.normalization = {
      lowercase,
      stripAccents: options.stripAccents ?? lowercase,
      handleChineseChars: options.handleChineseChars ?? true,
      cleanText: options.cleanText ?? true,
    };
  }

  /** Loads BERT's `vocab.txt` (one token per line, line number = id). */
  static fromVocabTxt(text: string, options: Omit<WordPieceOptions, 'vocab'> = {}) {
    if (typeof text !== 'string') {
      throw new TokenizerError('invalid-input', 'vocab.txt must be a string', {
        source: 'vocab.txt',
      });
    }
    const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
    if (lines[lines.length - 1] === '') lines.pop();
    return new WordPieceTokenizer({ ...options, vocab: lines });
  }

  /** Loads a Hugging Face `tokenizer.json` (text or object) with a WordPiece model. */
  static fromJSON(json: string | object): WordPieceTokenizer {
    const root = readHfRoot(json);
    const model = expectObject(root.model, 'model');
    if (model.type !== 'WordPiece') {
      throw new TokenizerError(
        'unsupported',
        `model.type is "${String(model.type)}", expected "WordPiece"`,
        {
          field: 'model.type',
        },
      );
    }
    const vocab = expectObject(model.vocab, 'model.vocab');
    const map = new Map<string, number>();
    for (const [t, id] of Object.entries(vocab)) {
      checkTokenId(id, `tokenizer.json: model.vocab[${JSON.stringify(t)}]`, {
        field: 'model.vocab',
        token: t,
      });
      map.set(t, id);
    }
    let size = 0;
    for (const id of map.values()) size = Math.max(size, id + 1);
    checkIdDensity(size, map.size, 'model.vocab');
    const norm = root.normalizer ? expectObject(root.normalizer, 'normalizer') : {};
    const special = specialConfigOf(root);
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const bool = (v: unknown) => (typeof v === 'boolean' ? v : undefined);
    return new WordPieceTokenizer({
      vocab: map,
      unkToken: str(model.unk_token),
      continuingSubwordPrefix: str(model.continuing_subword_prefix),
      maxInputCharsPerWord:
        typeof model.max_input_chars_per_word === 'number'
          ? model.max_input_chars_per_word
          : undefined,
      lowercase: norm.type === 'BertNormalizer' ? (bool(norm.lowercase) ?? true) : false,
      stripAccents: norm.type === 'BertNormalizer' ? bool(norm.strip_accents) : false,
      handleChineseChars: norm.type === 'BertNormalizer' ? bool(norm.handle_chinese_chars) : false,
      cleanText: norm.type === 'BertNormalizer' ? bool(norm.clean_text) : false,
      specialTokens: [...(special.tokens as Map<string, number>).keys()],
      prefix: special.prefix,
      suffix: special.suffix,
      pad: special.pad,
    });
  }

  get vocabSize(): number {
    return this.tokens.length;
  }

  idToToken(id: number): string | undefined {
    return this.tokens[id];
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  protected encodeOrdinary(text: string, out: number[], offsets: number[] | null, base: number) {
    for (const word of bertWords(text, this.normalization))
      this.encodeWord(word, out, offsets, base);
  }

  private encodeWord(
    word: ReturnType<typeof bertWords>[number],
    out: number[],
    offsets: number[] | null,
    base: number,
  ) {
    const w = word.text;
    const bounds: number[] = [];
    for (let i = 0; i < w.length; i += w.codePointAt(i)! > 0xffff ? 2 : 1) bounds.push(i);
    bounds.push(w.length);
    const mark = out.length;
    if (bounds.length - 1 <= this.maxInputCharsPerWord) {
      let s = 0;
      while (s < bounds.length - 1) {
        let e = bounds.length - 1;
        let id: number | undefined;
        for (; e > s; e--) {
          const sub = w.slice(bounds[s], bounds[e]);
          id = this.vocab.get(s > 0 ? this.continuingSubwordPrefix + sub : sub);
          if (id !== undefined) break;
        }
        if (id === undefined) break;
        out.push(id);
        offsets?.push(base + word.starts[bounds[s]!]!, base + word.ends[bounds[e]! - 1]!);
        s = e;
      }
      if (s === bounds.length - 1) return;
    }
    out.length = mark;
    if (offsets !== null) offsets.length = mark * 2;
    out.push(this.unkId);
    offsets?.push(base + word.starts[0]!, base + word.ends[w.length - 1]!);
  }

  /** Ids → text: tokens joined by spaces with `##` continuations glued back. */
  decode(ids: ArrayLike<number>, options: { skipSpecialTokens?: boolean } = {}): string {
    assertIds(ids);
    const parts: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const t = this.tokens[ids[i]!];
      if (t === undefined) {
        throw new TokenizerError(
          'id-out-of-range',
          `decode: id ${String(ids[i])} at index ${i} is not in the vocabulary (size ${this.vocabSize})`,
          { index: i, id: String(ids[i]) },
        );
      }
      if (options.skipSpecialTokens && this.specialTokens.has(t)) continue;
      const p = this.continuingSubwordPrefix;
      if (parts.length > 0 && t.startsWith(p)) parts[parts.length - 1] += t.slice(p.length);
      else parts.push(t);
    }
    return parts.join(' ');
  }

  /** A Hugging Face `tokenizer.json` object (WordPiece model, BERT normalizer and pre-tokenizer). */
  toJSON(): object {
    const vocab: Record<string, number> = {};
    this.tokens.forEach((t, id) => {
      vocab[t] = id;
    });
    const n = this.normalization;
    return {
      version: '1.0',
      truncation: null,
      padding: paddingJson(this.specialConfig, this.specialTokens),
      added_tokens: hfAddedTokens(this.specialTokens),
      normalizer: {
        type: 'BertNormalizer',
        clean_text: n.cleanText,
        handle_chinese_chars: n.handleChineseChars,
        strip_accents: n.stripAccents,
        lowercase: n.lowercase,
      },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: templateJson(this.specialConfig, this.specialTokens),
      decoder: { type: 'WordPiece', prefix: this.continuingSubwordPrefix, cleanup: true },
      model: {
        type: 'WordPiece',
        unk_token: this.unkToken,
        continuing_subword_prefix: this.continuingSubwordPrefix,
        max_input_chars_per_word: this.maxInputCharsPerWord,
        vocab,
      },
    };
  }
}
