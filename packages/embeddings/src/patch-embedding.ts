import * as tf from '@tensorflow/tfjs-core';
import {
  ArgumentError,
  assertInt,
  Dense,
  type Initializer,
  Module,
  type RngOption,
  ShapeError,
} from '@tformer/nn';

export interface PatchEmbeddingOptions {
  /** Image height and width (a number for square images). */
  imageSize: number | readonly [number, number];
  /** Side P of the square, non-overlapping patches; must divide both sides. */
  patchSize: number;
  /** Channels C of the input images. */
  channels: number;
  /** Output width d (the model width). */
  dModel: number;
  useBias?: boolean;
  kernelInitializer?: Initializer;
  rng?: RngOption;
}

/**
 * ViT's patch embedding: images `[B, H, W, C]` → non-overlapping P×P patches in row-major order,
 * each flattened in (row, column, channel) order (the layout of a Conv2D kernel `[P, P, C, d]`),
 * → a linear map (child `proj`, kernel `[P·P·C, d]`) → `[B, N, d]`, N = (H/P)·(W/P).
 * Equivalent to a Conv2D with kernel size and stride P; the transposes stay at rank 4.
 */
export class PatchEmbedding extends Module {
  readonly height: number;
  readonly width: number;
  readonly patchSize: number;
  readonly channels: number;
  readonly dModel: number;
  readonly numPatches: number;
  readonly proj: Dense;

  constructor(options: PatchEmbeddingOptions) {
    super();
    const [height, width] =
      typeof options.imageSize === 'number'
        ? [options.imageSize, options.imageSize]
        : options.imageSize;
    assertInt(height, 'imageSize[0]');
    assertInt(width, 'imageSize[1]');
    assertInt(options.patchSize, 'patchSize');
    assertInt(options.channels, 'channels');
    assertInt(options.dModel, 'dModel');
    const p = options.patchSize;
    if (height % p !== 0 || width % p !== 0) {
      throw new ArgumentError('patchSize', p, `a divisor of the image size ${height}×${width}`);
    }
    this.height = height;
    this.width = width;
    this.patchSize = p;
    this.channels = options.channels;
    this.dModel = options.dModel;
    this.numPatches = (height / p) * (width / p);
    this.proj = this.addModule(
      'proj',
      new Dense({
        inputDim: p * p * options.channels,
        outputDim: options.dModel,
        useBias: options.useBias ?? true,
        kernelInitializer: options.kernelInitializer,
        rng: options.rng,
      }),
    );
  }

  /** `[B, H, W, C]` → `[B, N, d]`. */
  apply(images: tf.Tensor): tf.Tensor {
    const { height: h, width: w, channels: c, patchSize: p } = this;
    if (
      images.rank !== 4 ||
      images.shape[1] !== h ||
      images.shape[2] !== w ||
      images.shape[3] !== c
    ) {
      throw new ShapeError('images', [null, h, w, c], images.shape);
    }
    const b = images.shape[0]!;
    return tf.tidy(() => {
      // [B·H/P, P, W/P, P·C] → [B·H/P, W/P, P, P·C] → [B·N, P·P·C]
      const rows = tf.reshape(images, [b * (h / p), p, w / p, p * c]);
      const patches = tf.reshape(tf.transpose(rows, [0, 2, 1, 3]), [
        b * this.numPatches,
        p * p * c,
      ]);
      return tf.reshape(this.proj.apply(patches), [b, this.numPatches, this.dModel]);
    });
  }
}
