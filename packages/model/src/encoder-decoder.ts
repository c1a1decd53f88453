import * as tf from '@tensorflow/tfjs-core';
import { sinusoidalTable, TokenEmbedding } from '@tformer/embeddings';
import { Dense, Dropout, glorotUniform, resolveRng } from '@tformer/nn';
import { resolvedBlockOptions } from './block-config.js';
import { ConfiguredModel, type ModelOptions } from './configured-model.js';
import { Decoder } from './decoder.js';
import type { DecoderCache } from './decoder-cache.js';
import { Encoder } from './encoder.js';
import {
  type EncoderDecoderConfig,
  encoderDecoderBlockConfig,
  type ResolvedEncoderDecoderConfig,
  resolveEncoderDecoderConfig,
} from './encoder-decoder-config.js';
import { ModelArgumentError } from './errors.js';
import { bindHooks, type Hooks, type LocalHooks, runHook, scopeHooks } from './hooks.js';

/**
 * The Transformer of "Attention Is All You Need" (Vaswani et al. 2017): source and target
 * embeddings scaled by √d_model plus sinusoidal positions (§3.4–3.5), an {@link Encoder}, a
 * {@link Decoder}, and an output projection tied to the target embedding (or to the shared
 * source/target embedding with `shareEmbeddings`). Post-LN blocks, ReLU FFN, dropout 0.1 and
 * Xavier-uniform initialisation (as the Annotated Transformer) by default. Children: `srcEmbed`,
 * `tgtEmbed` (unless shared), `encoder`, `decoder`, `generator` (untied only).
 *
 * Arguments: {@link EncoderDecoderConfig}; presets in `ENCODER_DECODER_PRESETS`.
 * Call: `apply(src [B, S] int32, tgt [B, T] int32)` → logits `[B, T, tgtVocabSize]` for the
 * token after each target position (teacher forcing). `encode` and `decode` split the two halves
 * for generation. Each takes `{ hooks }` (see {@link HookFn}); hook points ({@link hookPoints}):
 * `srcEmbed.output`, `encoder.layers.N.*` (`attn.weights`, …), `encoder.norm.output` (pre-LN),
 * `tgtEmbed.output`, `decoder.layers.N.*` (`selfAttn.weights`, `crossAttn.weights` `[B, nh, T, S]`,
 * …), `decoder.norm.output` (pre-LN). The `*Embed.output` points are the table rows before the √d
 * scaling and positions.
 *
 * @example
 * ```ts
 * const model = new EncoderDecoder({ srcVocabSize: 11, tgtVocabSize: 11, numLayers: 2, dModel: 32, numHeads: 4 });
 * const logits = model.apply(src, tgtIn); // [B, T, 11]
 * ```
 */
export class EncoderDecoder extends ConfiguredModel<ResolvedEncoderDecoderConfig> {
  readonly srcEmbed: TokenEmbedding;
  readonly tgtEmbed: TokenEmbedding;
  readonly encoder: Encoder;
  readonly decoder: Decoder;
  readonly generator: Dense | undefined;
  readonly drop: Dropout;
  readonly #positions: Float32Array;

  constructor(config: EncoderDecoderConfig, { rng: rngOption }: ModelOptions = {}) {
    super(resolveEncoderDecoderConfig(config));
    const c = this.config;
    const rng = resolveRng(rngOption);
    const init = glorotUniform();
    const embed = (vocab: number) =>
      new TokenEmbedding({
        vocabSize: vocab,
        dModel: c.dModel,
        initializer: init,
        rng: rng.fork(),
      });
    this.srcEmbed = this.addModule('srcEmbed', embed(c.srcVocabSize));
    this.tgtEmbed = c.shareEmbeddings
      ? this.srcEmbed
      : this.addModule('tgtEmbed', embed(c.tgtVocabSize));
    // Resolved and checked once, by resolveEncoderDecoderConfig: the stacks take it as is.
    const block = encoderDecoderBlockConfig(c);
    const stack = (numLayers: number) =>
      resolvedBlockOptions({ ...block, numLayers }, { kernelInitializer: init, rng: rng.fork() });
    this.encoder = this.addModule('encoder', new Encoder(stack(c.numLayers)));
    this.decoder = this.addModule('decoder', new Decoder(stack(c.numDecoderLayers)));
    this.generator = c.tieOutput
      ? undefined
      : this.addModule(
          'generator',
          new Dense({
            inputDim: c.dModel,
            outputDim: c.tgtVocabSize,
            kernelInitializer: init,
            rng: rng.fork(),
          }),
        );
    this.drop = this.addModule('drop', new Dropout({ rate: c.dropout, rng: rng.fork() }));
    this.#positions = sinusoidalTable(c.maxLength, c.dModel);
  }

  /** Logits `[B, T, tgtVocabSize]` of the next target token at each position. */
  apply(src: tf.Tensor, tgt: tf.Tensor, { hooks }: { hooks?: Hooks } = {}): tf.Tensor {
    const bound = bindHooks(hooks, this.hookPoints());
    return tf.tidy(() => {
      const srcMask = this.keyMask(src);
      return this.decodeBound(
        tgt,
        this.encodeBound(src, srcMask, bound),
        srcMask,
        undefined,
        bound,
      );
    });
  }

  /** The encoder output `[B, S, dModel]` (the memory); `srcMask` defaults to {@link keyMask}. */
  encode(src: tf.Tensor, srcMask?: tf.Tensor, { hooks }: { hooks?: Hooks } = {}): tf.Tensor {
    return this.encodeBound(src, srcMask, bindHooks(hooks, this.hookPoints()));
  }

  /** Every hook-point name of this model, in forward order. */
  hookPoints(): string[] {
    const prefixed = (prefix: string, points: string[]) => points.map((p) => prefix + p);
    return [
      'srcEmbed.output',
      ...prefixed('encoder.', this.encoder.hookPoints()),
      'tgtEmbed.output',
      ...prefixed('decoder.', this.decoder.hookPoints()),
    ];
  }

  private encodeBound(src: tf.Tensor, srcMask: tf.Tensor | undefined, hooks?: LocalHooks) {
    return tf.tidy(() =>
      this.encoder.apply(
        this.embed(this.srcEmbed, src, 0, (t) => runHook(hooks, 'srcEmbed.output', t)),
        {
          mask: srcMask ?? this.keyMask(src),
          hooks: hooks && scopeHooks(hooks, 'encoder.'),
        },
      ),
    );
  }

  /**
   * Logits `[B, T, tgtVocabSize]` for target ids `[B, T]` given the memory. With `cache`, `tgt`
   * holds only the new positions, which continue after `cache.length`, and target ids are not
   * masked as padding; the cache also keeps the memory's cross-attention keys/values from its first
   * call, so a cache serves one memory only.
   */
  decode(
    tgt: tf.Tensor,
    memory: tf.Tensor,
    srcMask?: tf.Tensor,
    cache?: DecoderCache,
    { hooks }: { hooks?: Hooks } = {},
  ): tf.Tensor {
    return this.decodeBound(tgt, memory, srcMask, cache, bindHooks(hooks, this.hookPoints()));
  }

  private decodeBound(
    tgt: tf.Tensor,
    memory: tf.Tensor,
    srcMask: tf.Tensor | undefined,
    cache: DecoderCache | undefined,
    hooks: LocalHooks | undefined,
  ): tf.Tensor {
    return tf.tidy(() => {
      const offset = cache?.length ?? 0;
      const embedded = this.embed(this.tgtEmbed, tgt, offset, (t) =>
        runHook(hooks, 'tgtEmbed.output', t),
      );
      const h = this.decoder.apply(embedded, {
        memory,
        memoryMask: srcMask,
        mask: cache ? undefined : this.keyMask(tgt),
        cache,
        hooks: hooks && scopeHooks(hooks, 'decoder.'),
      });
      return this.generator ? this.generator.apply(h) : this.tgtEmbed.project(h);
    });
  }

  /** `[B, L]` 1 for real tokens, 0 for `padTokenId`; undefined without a pad id. */
  keyMask(ids: tf.Tensor): tf.Tensor | undefined {
    const pad = this.config.padTokenId;
    return pad === undefined ? undefined : tf.tidy(() => tf.notEqual(ids, pad));
  }

  /** √d·embedding(ids) + sinusoid(offset … offset + T − 1), then dropout (§3.4, §5.4). */
  private embed(
    table: TokenEmbedding,
    ids: tf.Tensor,
    offset: number,
    hook: (rows: tf.Tensor) => tf.Tensor,
  ): tf.Tensor {
    if (ids.rank !== 2 || ids.dtype !== 'int32') {
      throw new ModelArgumentError('ids', 'an int32 tensor [B, T]', `${ids.dtype} [${ids.shape}]`);
    }
    const T = ids.shape[1]!;
    const d = this.config.dModel;
    if (offset + T > this.config.maxLength) {
      throw new ModelArgumentError(
        'ids',
        `at most maxLength ${this.config.maxLength} positions`,
        offset + T,
      );
    }
    return tf.tidy(() => {
      const pe = tf.tensor2d(this.#positions.subarray(offset * d, (offset + T) * d), [T, d]); // [T, d]
      const x = tf.add(tf.mul(hook(table.apply(ids)), Math.sqrt(d)), pe); // [B, T, d]
      return this.drop.applyOrPass(x);
    });
  }
}
