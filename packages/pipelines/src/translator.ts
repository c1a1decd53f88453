import { EncoderDecoder } from '@tformer/model';
import { beamSearchEncoderDecoder, generateSeq2Seq } from '@tformer/model/generate';
import type { Tokenizer } from '@tformer/tokenizer';
import { PipelineArgumentError, PipelineFileError } from './errors.js';
import {
  type JsonSource,
  type ModelFiles,
  readJson,
  readModel,
  readTokenizer,
  type TokenizerSource,
} from './files.js';

/** Padding, start and end of sentence: model ids 0, 1, 2 on both sides (translate's vocab.json). */
const PAD = 0;
const BOS = 1;
const EOS = 2;
const SPECIALS = 3;

/** The files of a translation model: translate's `model/` files and `vocab.json`. */
export interface TranslatorFiles extends ModelFiles {
  /**
   * translate's `vocab.json`: `{ shared }` or `{ src, tgt }` byte-level BPEs (Hugging Face
   * `tokenizer.json` objects) whose ids sit 3 above the model's (0 pad, 1 start, 2 end).
   */
  vocab: JsonSource | { src: TokenizerSource; tgt: TokenizerSource };
  /** The run's `config.json`: its `decode` settings become the defaults. */
  runConfig?: JsonSource;
}

/** Options of {@link Translator.translate}. */
export interface TranslationOptions {
  /** Beams (default the run's, else 1). 1 is greedy decoding, batched over the sentences. */
  numBeams?: number;
  /** Target tokens at most (default the run's, else 64; never past the model's maxLength − 1). */
  maxNewTokens?: number;
  /** Beam search's length penalty α (default the run's, else 1). */
  lengthPenalty?: number;
}

/**
 * Sentences in, translations out, for an {@link EncoderDecoder} trained by the translate app (the
 * translation task of Transformers.js' `pipeline`). Sources longer than the model's positions are
 * cut. With one beam, sentences are decoded greedily as one padded batch; with more, each runs
 * its own beam search (as the app's `translate` command). It owns the model: {@link dispose}.
 *
 * @example
 * ```js
 * const translator = Translator.fromFiles({ config, weights, vocab });
 * console.log(await translator.translate(['one two', 'three'], { numBeams: 4 }));
 * translator.dispose();
 * ```
 */
export class Translator {
  readonly defaults: Required<TranslationOptions>;

  constructor(
    readonly model: EncoderDecoder,
    readonly source: Tokenizer,
    readonly target: Tokenizer,
    defaults: TranslationOptions = {},
  ) {
    this.defaults = { numBeams: 1, maxNewTokens: 64, lengthPenalty: 1, ...defaults };
  }

  /** The translator of a saved `EncoderDecoder` and its vocabularies. */
  static fromFiles(files: TranslatorFiles): Translator {
    const { src, tgt } = readVocabs(files.vocab);
    const decode = files.runConfig
      ? ((readJson(files.runConfig, 'config.json') as { decode?: Record<string, number> }).decode ??
        {})
      : {};
    const defaults: TranslationOptions = {};
    if (decode.beams !== undefined) defaults.numBeams = decode.beams;
    if (decode.maxNewTokens !== undefined) defaults.maxNewTokens = decode.maxNewTokens;
    if (decode.lengthPenalty !== undefined) defaults.lengthPenalty = decode.lengthPenalty;
    const model = readModel(files, EncoderDecoder, 'translation');
    return new this(model, src, tgt, defaults);
  }

  /** The translation of `text`; one per sentence for an array. */
  translate(text: string, options?: TranslationOptions): Promise<string>;
  translate(texts: readonly string[], options?: TranslationOptions): Promise<string[]>;
  async translate(
    text: string | readonly string[],
    options: TranslationOptions = {},
  ): Promise<string | string[]> {
    const texts = typeof text === 'string' ? [text] : text;
    const { numBeams, maxNewTokens, lengthPenalty } = { ...this.defaults, ...options };
    const { maxLength } = this.model.config;
    const sources = texts.map((t, i) => {
      if (typeof t !== 'string') throw new PipelineArgumentError(`text[${i}]`, 'a string', t);
      // Sources longer than the model's positions are cut (the last position keeps EOS).
      return [...this.encodeSource(t).slice(0, maxLength - 1), EOS];
    });
    const common = { startToken: BOS, maxNewTokens: Math.min(maxNewTokens, maxLength - 1) };
    let outputs: number[][];
    if (numBeams === 1) {
      outputs =
        sources.length === 0
          ? []
          : await generateSeq2Seq(this.model, sources, {
              ...common,
              stopTokens: [EOS],
              padTokenId: PAD,
            });
    } else {
      outputs = [];
      for (const source of sources) {
        const [best] = await beamSearchEncoderDecoder(this.model, source, {
          ...common,
          numBeams,
          lengthPenalty,
          stopTokens: [EOS],
        });
        outputs.push(best?.tokens ?? []);
      }
    }
    const translations = outputs.map((ids) => this.decodeTarget(ids));
    return typeof text === 'string' ? translations[0]! : translations;
  }

  /** Frees the model's weights. */
  dispose(): void {
    this.model.dispose();
  }

  private encodeSource(text: string): number[] {
    return this.source.encode(text).map((id) => id + SPECIALS);
  }

  /** Text of target ids, the specials (padding, start, end) left out. */
  private decodeTarget(ids: readonly number[]): string {
    return this.target.decode(ids.filter((id) => id >= SPECIALS).map((id) => id - SPECIALS)).trim();
  }
}

function readVocabs(vocab: TranslatorFiles['vocab'] | undefined): {
  src: Tokenizer;
  tgt: Tokenizer;
} {
  const json = readJson(vocab as JsonSource | undefined, 'vocab.json') as Record<string, unknown>;
  if (json.shared !== undefined) {
    const shared = readTokenizer(json.shared as TokenizerSource, 'vocab.json');
    return { src: shared, tgt: shared };
  }
  if (json.src === undefined || json.tgt === undefined) {
    throw new PipelineFileError(
      'vocab.json',
      'expected "shared", or "src" and "tgt" (the source and target tokenizers)',
      json.src === undefined ? 'src' : 'tgt',
    );
  }
  return {
    src: readTokenizer(json.src as TokenizerSource, 'vocab.json'),
    tgt: readTokenizer(json.tgt as TokenizerSource, 'vocab.json'),
  };
}
