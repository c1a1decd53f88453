import * as tf from '@tensorflow/tfjs-core';
import { TokenEmbedding } from '@tformer/embeddings';
import { Dense, Dropout, resolveRng, uniform } from '@tformer/nn';
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

/** Configuration of {@link EncoderClassifier}. */
export interface EncoderClassifierConfig {
  vocabSize: number;
  /** Longest input (rows of the learned position table); Keras' `maxlen`. */
  maxLength: number;
  /** Embedding width (Keras' `embed_dim`). */
  dModel: number;
  numHeads: number;
  /** Width of each head; default dModel (Keras' example passes `key_dim=embed_dim`). */
  headSize?: number;
  /** FFN inner width (Keras' `ff_dim`). */
  dFF: number;
  numClasses: number;
  /** Transformer blocks; default 1. */
  numLayers?: number;
  /** `mean` (Keras' GlobalAveragePooling1D, the default), `max`, or `cls` (the first position). */
  pooling?: 'mean' | 'max' | 'cls';
  /** Width of the ReLU layer before the output; default 20 as Keras; 0 for none. */
  hiddenDim?: number;
  /** Dropout in the blocks and the head; default 0.1. */
  dropout?: number;
  /** Token id of padding: masked out of attention and pooling. Default: no padding. */
  padTokenId?: number;
}

export type ResolvedEncoderClassifierConfig = Required<
  Omit<EncoderClassifierConfig, 'padTokenId'>
> &
  Pick<EncoderClassifierConfig, 'padTokenId'>;

/**
 * Keras' "Text classification with Transformer" (Nandan 2020): IMDB reviews of 200 tokens of a
 * 20,000-word vocabulary, embed 32, 2 heads of width 32, FFN 32, two classes — 657,758 parameters.
 */
export const ENCODER_CLASSIFIER_PRESETS = {
  kerasTextClassification: {
    vocabSize: 20000,
    maxLength: 200,
    dModel: 32,
    numHeads: 2,
    dFF: 32,
    numClasses: 2,
  },
} as const satisfies Record<string, EncoderClassifierConfig>;

/** Fills defaults and validates, throwing {@link ModelConfigError} naming the field. */
export function resolveEncoderClassifierConfig(
  config: EncoderClassifierConfig,
): ResolvedEncoderClassifierConfig {
  const c: ResolvedEncoderClassifierConfig = {
    headSize: config.dModel,
    numLayers: 1,
    pooling: 'mean',
    hiddenDim: 20,
    dropout: 0.1,
    ...config,
  };
  checkPositiveInts(c, ['vocabSize', 'maxLength', 'numClasses', 'numLayers']);
  if (!(Number.isInteger(c.hiddenDim) && c.hiddenDim >= 0)) {
    throw new ModelConfigError('hiddenDim', `expected an integer ≥ 0, got ${c.hiddenDim}`);
  }
  if (!['mean', 'max', 'cls'].includes(c.pooling)) {
    throw new ModelConfigError('pooling', `expected 'mean', 'max' or 'cls', got '${c.pooling}'`);
  }
  resolveBlockConfig(blockFields(c)); // checks dropout too
  return c;
}

/** Each block: post-LN, ReLU, Keras' dropout on the attention output (not its weights). */
function blockFields(c: ResolvedEncoderClassifierConfig): BlockConfig {
  return {
    ...sharedBlockFields(c),
    headSize: c.headSize,
    attentionDropout: 0, // Keras' block drops the attention output, not the weights
  };
}

/**
 * The paper's encoder block as a text classifier, exactly as Keras' example "Text classification
 * with Transformer": token + learned position embeddings (uniform ±0.05 init, as Keras'
 * `Embedding`) → `numLayers` post-LN {@link TransformerBlock}s (ReLU FFN, LayerNorm ε 1e-6,
 * dropout) → pooling over positions (`mean` as `GlobalAveragePooling1D`, `max`, or `cls`) →
 * dropout → Dense(hiddenDim, ReLU) → dropout → Dense(numClasses) logits. Children: `tokenEmbed`,
 * `posEmbed`, `blocks.N.*`, `hidden` (if hiddenDim > 0), `classifier`.
 *
 * Arguments: {@link EncoderClassifierConfig}; preset `ENCODER_CLASSIFIER_PRESETS.kerasTextClassification`.
 * Call: `apply(ids [B, T] int32, { hooks })` → logits `[B, numClasses]`. Hook points
 * ({@link hookPoints}): `tokenEmbed.output`, `blocks.N.*` (see `TransformerBlock#hookPoints()`).
 *
 * @example
 * ```ts
 * const model = new EncoderClassifier(ENCODER_CLASSIFIER_PRESETS.kerasTextClassification);
 * const logits = model.apply(ids); // [B, 2]
 * ```
 */
export class EncoderClassifier extends ConfiguredModel<ResolvedEncoderClassifierConfig> {
  readonly tokenEmbed: TokenEmbedding;
  readonly posEmbed: TokenEmbedding;
  readonly blocks: BlockStack;
  readonly drop: Dropout;
  readonly hidden: Dense | undefined;
  readonly classifier: Dense;

  constructor(config: EncoderClassifierConfig, { rng: rngOption }: ModelOptions = {}) {
    super(resolveEncoderClassifierConfig(config));
    const c = this.config;
    const rng = resolveRng(rngOption);
    const embed = (rows: number, checkIds: boolean) =>
      new TokenEmbedding({
        vocabSize: rows,
        dModel: c.dModel,
        initializer: uniform(),
        checkIds,
        rng: rng.fork(),
      });
    this.tokenEmbed = this.addModule('tokenEmbed', embed(c.vocabSize, true));
    this.posEmbed = this.addModule('posEmbed', embed(c.maxLength, false));
    // Checked once, by resolveEncoderClassifierConfig: the blocks take it as is.
    this.blocks = this.addModule('blocks', new BlockStack(c.numLayers, blockFields(c), {}, rng));
    this.drop = this.addModule('drop', new Dropout({ rate: c.dropout, rng: rng.fork() }));
    this.hidden =
      c.hiddenDim > 0
        ? this.addModule(
            'hidden',
            new Dense({ inputDim: c.dModel, outputDim: c.hiddenDim, rng: rng.fork() }),
          )
        : undefined;
    this.classifier = this.addModule(
      'classifier',
      new Dense({ inputDim: c.hiddenDim || c.dModel, outputDim: c.numClasses, rng: rng.fork() }),
    );
  }

  /** Logits `[B, numClasses]` for ids `[B, T]`. */
  apply(ids: tf.Tensor, { hooks }: { hooks?: Hooks } = {}): tf.Tensor {
    if (ids.rank !== 2 || ids.dtype !== 'int32') {
      throw new ModelArgumentError('ids', 'an int32 tensor [B, T]', `${ids.dtype} [${ids.shape}]`);
    }
    const T = ids.shape[1]!;
    if (T > this.config.maxLength) {
      throw new ModelArgumentError(
        'ids',
        `at most maxLength ${this.config.maxLength} positions`,
        T,
      );
    }
    const bound = bindHooks(hooks, this.hookPoints());
    return tf.tidy(() => {
      const positions = tf.range(0, T, 1, 'int32'); // [T]
      const tokens = runHook(bound, 'tokenEmbed.output', this.tokenEmbed.apply(ids)); // [B, T, C]
      let x = tf.add(tokens, this.posEmbed.apply(positions)); // [B, T, C]
      const pad = this.config.padTokenId;
      const keep = pad === undefined ? undefined : tf.notEqual(ids, pad); // [B, T]
      x = this.blocks.apply(x, { mask: keep, hooks: bound && scopeHooks(bound, 'blocks.') });
      let pooled = this.pool(x, keep); // [B, C]
      pooled = this.drop.applyOrPass(pooled);
      if (this.hidden) pooled = this.drop.applyOrPass(tf.relu(this.hidden.apply(pooled)));
      return this.classifier.apply(pooled); // [B, numClasses]
    });
  }

  /** Every hook-point name of this model, in forward order. */
  hookPoints(): string[] {
    return ['tokenEmbed.output', ...this.blocks.hookPoints('blocks.')];
  }

  /** `[B, T, C]` → `[B, C]` over the real (non-padding) positions. */
  private pool(x: tf.Tensor, keep?: tf.Tensor): tf.Tensor {
    const [B, T, C] = x.shape as [number, number, number];
    if (this.config.pooling === 'cls') return tf.reshape(tf.slice(x, [0, 0, 0], [B, 1, C]), [B, C]); // [B, C]
    if (!keep) return this.config.pooling === 'mean' ? tf.mean(x, 1) : tf.max(x, 1);
    const w = tf.reshape(tf.cast(keep, 'float32'), [B, T, 1]); // [B, T, 1]
    if (this.config.pooling === 'max') return tf.max(tf.add(x, tf.mul(tf.sub(1, w), -1e9)), 1);
    return tf.div(tf.sum(tf.mul(x, w), 1), tf.maximum(tf.sum(w, 1), 1)); // [B, C]
  }
}
