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
  train: {
    steps: number;
    batchSize: number;
    /** Peak rate: linear warmup to it, then cosine decay to a tenth of it. */
    learningRate: number;
    warmupSteps: number;
    weightDecay: number;
    clipNorm: number;
    evalEvery: number;
    evalBatches: number;
    seed: number;
  };
}

/** Fraction of the tokens held out for validation without `--valid` (the tail, as nanoGPT). */
export const VALIDATION_FRACTION = 0.1;
