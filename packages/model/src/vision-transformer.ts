import * as tf from '@tensorflow/tfjs-core';
import { PatchEmbedding } from '@tformer/embeddings';
import { Dense, Dropout, LayerNorm, normal, resolveRng } from '@tformer/nn';
import {
  type BlockConfig,
  checkPositiveInts,
  resolveBlockConfig,
  sharedBlockFields,
} from './block-config.js';
import { BlockStack } from './block-stack.js';
import { ConfiguredModel, type ModelOptions } from './configured-model.js';
import { ModelArgumentError, ModelConfigError } from './errors.js';
import { bindHooks, type Hooks, runHook, scopeHooks } from './hooks.js';

/** Configuration of {@link VisionTransformer}. */
export interface VisionTransformerConfig {
  /** Square image side in pixels. */
  imageSize: number;
  /** Square patch side; must divide `imageSize`. */
  patchSize: number;
  /** Image channels; default 3. */
  channels?: number;
  dModel: number;
  numHeads: number;
  numLayers: number;
  /** MLP width; default 4·dModel. */
  dFF?: number;
  numClasses: number;
  /** Default 0. */
  dropout?: number;
  /** Default 1e-6 (ViT). */
  layerNormEps?: number;
}

export type ResolvedVisionTransformerConfig = Required<VisionTransformerConfig>;

/** ViT-B/16 of Dosovitskiy et al. 2021 (Table 1): 86,567,656 parameters with a 1000-class head. */
export const VISION_TRANSFORMER_PRESETS = {
  vitBase16: {
    imageSize: 224,
    patchSize: 16,
    dModel: 768,
    numHeads: 12,
    numLayers: 12,
    dFF: 3072,
    numClasses: 1000,
  },
} as const satisfies Record<string, VisionTransformerConfig>;

export function resolveVisionTransformerConfig(
  config: VisionTransformerConfig,
): ResolvedVisionTransformerConfig {
  const c: ResolvedVisionTransformerConfig = {
    channels: 3,
    dFF: 4 * config.dModel,
    dropout: 0,
    layerNormEps: 1e-6,
    ...config,
  };
  checkPositiveInts(c, ['imageSize', 'patchSize', 'channels', 'numLayers', 'numClasses']);
  if (c.imageSize % c.patchSize !== 0) {
    throw new ModelConfigError(
      'patchSize',
      `${c.patchSize} does not divide imageSize ${c.imageSize}`,
    );
  }
  resolveBlockConfig(blockFields(c)); // checks dropout too
  return c;
}

/** Each block: pre-LN with a GELU MLP, as ViT. */
function blockFields(c: ResolvedVisionTransformerConfig): BlockConfig {
  return {
    ...sharedBlockFields(c),
    activation: 'gelu',
    preNorm: true,
    layerNormEps: c.layerNormEps,
  };
}

/**
 * The Vision Transformer (Dosovitskiy et al. 2021, "An Image is Worth 16x16 Words"): images cut
 * into P×P patches and linearly embedded (`@tformer/embeddings`' `PatchEmbedding`), a learned
 * `[class]` token prepended, learned positions added, pre-LN Transformer blocks with GELU MLPs,
 * a final LayerNorm, and a linear head on the `[class]` token. Children/parameters: `patchEmbed`,
 * `cls`, `positions`, `blocks.N.*`, `norm`, `head`.
 *
 * Arguments: {@link VisionTransformerConfig}; preset `VISION_TRANSFORMER_PRESETS.vitBase16`.
 * Call: `apply(images [B, H, W, C] float32, { hooks })` → logits `[B, numClasses]`. Hook points
 * ({@link hookPoints}): `patchEmbed.output` `[B, N, d]`, `blocks.N.*` (see
 * `TransformerBlock#hookPoints()`; position 0 is `[class]`), `norm.output` (`[B, d]`, `[class]` only).
 *
 * @example
 * ```ts
 * const vit = new VisionTransformer({ imageSize: 32, patchSize: 8, dModel: 64, numHeads: 4, numLayers: 2, numClasses: 10 });
 * const logits = vit.apply(images); // [B, 10]
 * ```
 */
export class VisionTransformer extends ConfiguredModel<ResolvedVisionTransformerConfig> {
  readonly patchEmbed: PatchEmbedding;
  readonly cls: tf.Variable;
  readonly positions: tf.Variable;
  readonly drop: Dropout;
  readonly blocks: BlockStack;
  readonly norm: LayerNorm;
  readonly head: Dense;

  constructor(config: VisionTransformerConfig, { rng: rngOption }: ModelOptions = {}) {
    super(resolveVisionTransformerConfig(config));
    const c = this.config;
    const rng = resolveRng(rngOption);
    const init = normal({ stddev: 0.02 });
    this.patchEmbed = this.addModule(
      'patchEmbed',
      new PatchEmbedding({
        imageSize: c.imageSize,
        patchSize: c.patchSize,
        channels: c.channels,
        dModel: c.dModel,
        rng: rng.fork(),
      }),
    );
    const tokens = this.patchEmbed.numPatches + 1; // patches + [class]
    this.cls = this.addParameter('cls', init([1, 1, c.dModel], rng.fork()));
    this.positions = this.addParameter('positions', init([1, tokens, c.dModel], rng.fork()));
    this.drop = this.addModule('drop', new Dropout({ rate: c.dropout, rng: rng.fork() }));
    // Checked once, by resolveVisionTransformerConfig: the blocks take it as is.
    this.blocks = this.addModule('blocks', new BlockStack(c.numLayers, blockFields(c), {}, rng));
    this.norm = this.addModule('norm', new LayerNorm({ dModel: c.dModel, eps: c.layerNormEps }));
    this.head = this.addModule(
      'head',
      new Dense({ inputDim: c.dModel, outputDim: c.numClasses, rng: rng.fork() }),
    );
  }

  apply(images: tf.Tensor, { hooks }: { hooks?: Hooks } = {}): tf.Tensor {
    if (images.dtype !== 'float32') {
      throw new ModelArgumentError('images.dtype', "'float32'", images.dtype);
    }
    const bound = bindHooks(hooks, this.hookPoints());
    return tf.tidy(() => {
      const patches = runHook(bound, 'patchEmbed.output', this.patchEmbed.apply(images)); // [B, N, d]
      const [B, , d] = patches.shape as [number, number, number];
      const cls = tf.tile(this.cls, [B, 1, 1]); // [B, 1, d]
      let x = tf.add(tf.concat([cls, patches], 1), this.positions); // [B, N + 1, d]
      x = this.drop.applyOrPass(x);
      x = this.blocks.apply(x, { hooks: bound && scopeHooks(bound, 'blocks.') });
      const first = tf.reshape(tf.slice(x, [0, 0, 0], [B, 1, d]), [B, d]); // [B, d]: the [class] token
      return this.head.apply(runHook(bound, 'norm.output', this.norm.apply(first))); // [B, numClasses]
    });
  }

  /** Every hook-point name of this model, in forward order. */
  hookPoints(): string[] {
    return ['patchEmbed.output', ...this.blocks.hookPoints('blocks.'), 'norm.output'];
  }
}
