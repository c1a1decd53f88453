import type { TrainSettings } from '@tformer/app-kit';
import type { DecoderLMConfig } from '@tformer/model';
import type { TokenizerKind } from './tokenizers.js';

/** Everything a textgen run was made with: written to `config.json`, read back by `resume`. */
export interface TextgenConfig {
  app: 'textgen';
  version: 1;
  /** `--data` file, or null for the default corpus. */
  dataPath: string | null;
  /**
   * `--valid` file (validation tokens instead of the corpus's tail) and `--test` file (its loss
   * over every token after training and in `eval`); null or absent: none.
   */
  validPath?: string | null;
  testPath?: string | null;
  corpus: string;
  tokenizer: { kind: TokenizerKind; vocabSize: number };
  /** `vocabSize` is the tokenizer's. */
  model: DecoderLMConfig;
  /** The peak rate is reached by a linear warmup, then decays by cosine to a tenth of it. */
  train: TrainSettings & { evalBatches: number };
}

/** Fraction of the tokens held out for validation without `--valid` (the tail, as nanoGPT). */
export const VALIDATION_FRACTION = 0.1;
