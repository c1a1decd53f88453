import { DecoderLM } from '@tformer/model';
import { type GenerateOptions, generateStream } from '@tformer/model/generate';
import type { Tokenizer } from '@tformer/tokenizer';
import { PipelineArgumentError } from './errors.js';
import { type ModelFiles, readModel, readTokenizer, type TokenizerSource } from './files.js';
import { TextStreamer } from './text-streamer.js';

/** The files of a text-generation model: textgen's `model/` files and `tokenizer.json`. */
export interface TextGeneratorFiles extends ModelFiles {
  /** textgen's `tokenizer.json`, a Hugging Face `tokenizer.json`, or a tokenizer object. */
  tokenizer: TokenizerSource;
}

/** Options of {@link TextGenerator.generate} and {@link TextGenerator.stream}. */
export interface TextGenerationOptions {
  /** Tokens to add at most (default 50). */
  maxNewTokens?: number;
  /**
   * Sample (true) or take the most likely token (false). Default: sample when `temperature`
   * (other than 0), `topK` or `topP` is given, else greedy; `temperature: 0` is greedy.
   */
  doSample?: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
  /** Seed of the sampling generator: the same seed gives the same text. Default random. */
  seed?: number;
  /** Generation ends once the text contains one of these (it is cut before it). */
  stop?: readonly string[];
}

/**
 * Text in, text out, for a GPT-style {@link DecoderLM} and its tokenizer (the text-generation
 * task of Transformers.js' `pipeline`): it encodes the prompt, generates with the KV cache and
 * decodes. Several prompts run as one left-padded batch, each row giving what it gives alone.
 * `stream` yields text pieces as they are generated: multi-byte characters split over BPE tokens
 * come out whole.
 *
 * Build it from bytes anywhere with {@link TextGenerator.fromFiles}, or from a textgen run
 * directory in Node with `TextGenerator.fromRunDir` of `@tformer/pipelines/node`. It owns the
 * model: call {@link dispose} when done.
 *
 * @example
 * ```js
 * const generator = TextGenerator.fromFiles({ config, weights, tokenizer });
 * console.log(await generator.generate('ROMEO:', { maxNewTokens: 40, temperature: 0.8, seed: 1 }));
 * for await (const piece of generator.stream('JULIET:')) process.stdout.write(piece);
 * generator.dispose();
 * ```
 */
export class TextGenerator {
  constructor(
    readonly model: DecoderLM,
    readonly tokenizer: Tokenizer,
  ) {}

  /** The generator of a saved `DecoderLM` (`config.json`, `model.safetensors`) and its tokenizer. */
  static fromFiles(files: TextGeneratorFiles): TextGenerator {
    const tokenizer = readTokenizer(files.tokenizer, 'tokenizer.json');
    return new this(readModel(files, DecoderLM, 'text generation'), tokenizer);
  }

  /** The continuation of `prompt` (without the prompt); one per prompt for an array. */
  generate(prompt: string, options?: TextGenerationOptions): Promise<string>;
  generate(prompts: readonly string[], options?: TextGenerationOptions): Promise<string[]>;
  async generate(
    prompt: string | readonly string[],
    options: TextGenerationOptions = {},
  ): Promise<string | string[]> {
    const prompts = typeof prompt === 'string' ? [prompt] : prompt;
    const streamers = prompts.map(() => new TextStreamer(this.tokenizer, options.stop));
    for await (const step of this.steps(prompts, options)) {
      step.tokens.forEach((token, b) => {
        if (token >= 0) streamers[b]!.push(token);
      });
      if (streamers.every((s) => s.stopped)) break;
    }
    const texts = streamers.map((s) => s.text());
    return typeof prompt === 'string' ? texts[0]! : texts;
  }

  /** The continuation of `prompt`, piece by piece as it is generated. */
  async *stream(prompt: string, options: TextGenerationOptions = {}): AsyncGenerator<string> {
    const streamer = new TextStreamer(this.tokenizer, options.stop);
    for await (const step of this.steps([prompt], options)) {
      const token = step.tokens[0]!;
      if (token < 0) break;
      const piece = streamer.push(token);
      if (piece) yield piece;
      if (streamer.stopped) return;
    }
    const rest = streamer.end();
    if (rest) yield rest;
  }

  /** Frees the model's weights. */
  dispose(): void {
    this.model.dispose();
  }

  private steps(prompts: readonly string[], options: TextGenerationOptions) {
    if (prompts.length === 0) {
      throw new PipelineArgumentError(
        'prompt',
        'a string or a non-empty array of strings',
        prompts,
      );
    }
    const ids = prompts.map((p, i) => {
      if (typeof p !== 'string') throw new PipelineArgumentError(`prompt[${i}]`, 'a string', p);
      const encoded = this.tokenizer.encode(p);
      if (encoded.length === 0) {
        throw new PipelineArgumentError(
          prompts.length === 1 ? 'prompt' : `prompt[${i}]`,
          "text with at least one token of this model's vocabulary",
          p,
        );
      }
      return encoded;
    });
    return generateStream(this.model, ids, generateOptions(options));
  }
}

/** The model's {@link GenerateOptions} for text options (temperature 0 means greedy). */
export function generateOptions(o: TextGenerationOptions): GenerateOptions {
  const { maxNewTokens = 50, temperature, topK, topP, repetitionPenalty, seed } = o;
  const doSample =
    o.doSample ??
    ((temperature !== undefined && temperature !== 0) || topK !== undefined || topP !== undefined);
  return {
    maxNewTokens,
    doSample: doSample && temperature !== 0,
    ...(temperature === undefined || temperature === 0 ? {} : { temperature }),
    ...(topK === undefined ? {} : { topK }),
    ...(topP === undefined ? {} : { topP }),
    ...(repetitionPenalty === undefined ? {} : { repetitionPenalty }),
    ...(seed === undefined ? {} : { seed }),
  };
}
