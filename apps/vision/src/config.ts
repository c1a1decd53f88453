import type { TrainSettings } from '@tformer/app-kit';
import type { VisionTransformerConfig } from '@tformer/model';

/** Everything a vision run was made with: written to `config.json`, read back by `resume`. */
export interface VisionConfig {
  app: 'vision';
  version: 1;
  /** `--data` folder of class sub-folders, or null for the generated shapes. */
  dataPath: string | null;
  /** `--valid` and `--test` folders (null: not given; absent in older configs). */
  validPath?: string | null;
  testPath?: string | null;
  corpus: string;
  /** Images are resized to `imageSize × imageSize` grayscale. */
  imageSize: number;
  testSize: number;
  /** Class names; a label's index is its class id. */
  classes: string[];
  /** `numClasses` is the data's, known once read. */
  model: VisionTransformerConfig;
  train: TrainSettings;
}
