import * as tf from '@tensorflow/tfjs-core';
import { VisionTransformer } from '@tformer/model';
import { type Classification, type ClassifyOptions, classifyInBatches } from './classifications.js';
import { PipelineArgumentError } from './errors.js';
import { type JsonSource, type ModelFiles, readClassifier } from './files.js';

/** An image as `imageSize × imageSize × channels` values in [0, 1], row by row (HWC). */
export type ImagePixels = Float32Array | readonly number[];

/** The files of an image classifier: vision's `model/` files and class names. */
export interface ImageClassifierFiles extends ModelFiles {
  /** Class names by class id; default the run's `config.json` `classes`, else `LABEL_0`, …. */
  labels?: readonly string[];
  /** The run's `config.json` (its `classes`). */
  runConfig?: JsonSource;
}

/**
 * Pixels in, `{ label, score }` out, for a {@link VisionTransformer} trained by the vision app.
 * Pixels in [0, 1] are scaled to [−1, 1] (ViT's mean 0.5, std 0.5) as the app does; decode and
 * resize images to the model's `imageSize` first (the vision app reads grayscale PNGs). It owns
 * the model: {@link dispose}.
 *
 * @example
 * ```js
 * const classifier = ImageClassifier.fromFiles({ config, weights, labels: ['circle', 'square'] });
 * console.log(await classifier.classify(new Float32Array(16 * 16)));
 * classifier.dispose();
 * ```
 */
export class ImageClassifier {
  constructor(
    readonly model: VisionTransformer,
    readonly labels: readonly string[],
  ) {}

  /** The classifier of a saved `VisionTransformer` and its class names. */
  static fromFiles(files: ImageClassifierFiles): ImageClassifier {
    const { model, labels } = readClassifier(files, VisionTransformer, 'image classification');
    return new this(model, labels);
  }

  /** The `topK` most likely classes of one image, or one list per image of an array of images. */
  classify(image: ImagePixels, options?: ClassifyOptions): Promise<Classification[]>;
  classify(images: readonly ImagePixels[], options?: ClassifyOptions): Promise<Classification[][]>;
  async classify(
    image: ImagePixels | readonly ImagePixels[],
    options: ClassifyOptions = {},
  ): Promise<Classification[] | Classification[][]> {
    const one = image instanceof Float32Array || typeof image[0] === 'number';
    const images = (one ? [image] : image) as readonly ImagePixels[];
    const { imageSize, channels } = this.model.config;
    const size = imageSize * imageSize * channels;
    images.forEach((pixels, i) => {
      if (pixels?.length !== size) {
        throw new PipelineArgumentError(
          one ? 'image' : `images[${i}]`,
          `${size} values (${imageSize}×${imageSize}×${channels} pixels in [0, 1])`,
          pixels?.length,
        );
      }
    });
    const results = await classifyInBatches(
      this.model,
      images.length,
      (from, to) => {
        const data = new Float32Array((to - from) * size);
        for (let b = from; b < to; b++) {
          const pixels = images[b]!;
          for (let i = 0; i < size; i++) data[(b - from) * size + i] = 2 * pixels[i]! - 1;
        }
        // [B, H, W, C]
        return this.model.apply(tf.tensor4d(data, [to - from, imageSize, imageSize, channels]));
      },
      this.labels,
      options,
    );
    return one ? results[0]! : results;
  }

  /** Frees the model's weights. */
  dispose(): void {
    this.model.dispose();
  }
}
