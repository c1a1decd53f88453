import type { TrainSettings } from '@tformer/app-kit';
import type { EncoderClassifierConfig } from '@tformer/model';
import type { DataFiles } from './data.js';

/** Everything a classify run was made with: written to `config.json`, read back by `resume`. */
export interface ClassifyConfig {
  app: 'classify';
  version: 1;
  /** `--data` (and `--valid`, `--test`) files, or null for the generated default task. */
  data: DataFiles | null;
  corpus: string;
  /** Held-out examples when there is no `--test` file (and the generated task's test size). */
  testSize: number;
  /** Class names; a label's index is its class id. */
  labels: string[];
  tokenizer: { vocabSize: number };
  /**
   * `vocabSize` is the tokenizer's, `numClasses` the labels' and `maxLength` (unless
   * `--max-length`) the training texts' (see `lengthPercentile`), known once read.
   */
  model: EncoderClassifierConfig;
  train: TrainSettings;
}
