import type { EncoderClassifierConfig } from '@tformer/model';

/** Everything a classify run was made with: written to `config.json`, read back by `resume`. */
export interface ClassifyConfig {
  app: 'classify';
  version: 1;
  /** `--data` (and `--test`) files, or null for the generated default task. */
  data: { train: string; test: string | null } | null;
  corpus: string;
  /** Held-out examples when there is no `--test` file (and the generated task's test size). */
  testSize: number;
  /** Class names; a label's index is its class id. */
  labels: string[];
  tokenizer: { vocabSize: number };
  /** `vocabSize` is the tokenizer's and `numClasses` the labels', known once read. */
  model: EncoderClassifierConfig;
  train: {
    steps: number;
    batchSize: number;
    learningRate: number;
    warmupSteps: number;
    weightDecay: number;
    clipNorm: number;
    evalEvery: number;
    seed: number;
  };
}
