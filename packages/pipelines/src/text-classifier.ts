import * as tf from '@tensorflow/tfjs-core';
import { EncoderClassifier } from '@tformer/model';
import type { Tokenizer } from '@tformer/tokenizer';
import { type Classification, type ClassifyOptions, classifyInBatches } from './classifications.js';
import { PipelineArgumentError } from './errors.js';
import {
  type JsonSource,
  type ModelFiles,
  readClassifier,
  readTokenizer,
  type TokenizerSource,
} from './files.js';

/** The files of a text classifier: classify's `model/` files, `tokenizer.json` and class names. */
export interface TextClassifierFiles extends ModelFiles {
  /** classify's `tokenizer.json` (a WordPiece Hugging Face `tokenizer.json`) or a tokenizer. */
  tokenizer: TokenizerSource;
  /** Class names by class id; default the run's `config.json` `labels`, else `LABEL_0`, …. */
  labels?: readonly string[];
  /** The run's `config.json` (its `labels`). */
  runConfig?: JsonSource;
}

/**
 * Text in, `{ label, score }` out, for an {@link EncoderClassifier} trained by the classify app
 * (the text-classification task of Transformers.js' `pipeline`). Texts are cut to the model's
 * `maxLength` tokens and padded with the model's `padTokenId` (0 if none), as the app does, and
 * run in batches. It owns the model: {@link dispose}.
 *
 * @example
 * ```js
 * const classifier = TextClassifier.fromFiles({ config, weights, tokenizer, labels: ['ham', 'spam'] });
 * console.log(await classifier.classify('win a prize now')); // [{ label: 'spam', score: 0.97 }]
 * classifier.dispose();
 * ```
 */
export class TextClassifier {
  constructor(
    readonly model: EncoderClassifier,
    readonly tokenizer: Tokenizer,
    readonly labels: readonly string[],
  ) {}

  /** The classifier of a saved `EncoderClassifier`, its tokenizer and its class names. */
  static fromFiles(files: TextClassifierFiles): TextClassifier {
    const tokenizer = readTokenizer(files.tokenizer, 'tokenizer.json');
    const { model, labels } = readClassifier(files, EncoderClassifier, 'text classification');
    return new this(model, tokenizer, labels);
  }

  /** The `topK` most likely classes of `text` (default the best one); one list per text. */
  classify(text: string, options?: ClassifyOptions): Promise<Classification[]>;
  classify(texts: readonly string[], options?: ClassifyOptions): Promise<Classification[][]>;
  async classify(
    text: string | readonly string[],
    options: ClassifyOptions = {},
  ): Promise<Classification[] | Classification[][]> {
    const texts = typeof text === 'string' ? [text] : text;
    const { maxLength, padTokenId = 0 } = this.model.config;
    const ids = texts.map((t, i) => {
      if (typeof t !== 'string') throw new PipelineArgumentError(`text[${i}]`, 'a string', t);
      return this.tokenizer.encode(t).slice(0, maxLength);
    });
    const results = await classifyInBatches(
      this.model,
      ids.length,
      (from, to) => {
        // Every row padded to maxLength, as the classify app trains and predicts.
        const rows = new Int32Array((to - from) * maxLength).fill(padTokenId);
        for (let b = from; b < to; b++) rows.set(ids[b]!, (b - from) * maxLength);
        return this.model.apply(tf.tensor2d(rows, [to - from, maxLength], 'int32'));
      },
      this.labels,
      options,
    );
    return typeof text === 'string' ? results[0]! : results;
  }

  /** Frees the model's weights. */
  dispose(): void {
    this.model.dispose();
  }
}
