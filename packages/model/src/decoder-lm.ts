import * as tf from '@tensorflow/tfjs-core';
import { SinusoidalPositionalEncoding, TokenEmbedding } from '@tformer/embeddings';
import {
  Dense,
  Dropout,
  type LayerNorm,
  normal,
  type RMSNorm,
  resolveRng,
  scaledResidualNormal,
} from '@tformer/nn';
import { makeNorm } from './block-config.js';
import { BlockStack } from './block-stack.js';
import { ConfiguredModel, type ModelOptions } from './configured-model.js';
import type { DecoderCache } from './decoder-cache.js';
import {
  type DecoderLMConfig,
  decoderLMBlockConfig,
  type ResolvedDecoderLMConfig,
  resolveDecoderLMConfig,
} from './decoder-lm-config.js';
import { ModelArgumentError } from './errors.js';
import { bindHooks, type Hooks, runHook, scopeHooks } from './hooks.js';
import { addStream, fromRows, runRowsHook, toRows } from './residual-rows.js';

export interface DecoderLMCall {
  /** Keys/values of earlier positions; the new ids continue after `cache.length`. */
  cache?: DecoderCache;
  /**
   * Absolute positions `[B, T]` int32 (default `cache.length + 0 … T−1` for every row). Batched
   * generation with left padding passes each row's own positions.
   */
  positions?: tf.Tensor2D;
  /** Key mask `[B, S]` over every position attended (cached and new), non-zero = real token. */
  mask?: tf.Tensor;
  /**
   * Hooks that read or replace named activations during this call (see {@link HookFn} and
   * {@link DecoderLM.hookPoints}): `wte.output`, `blocks.N.residPre`, `blocks.N.attn.weights`, …,
   * `lnF.output`.
   */
  hooks?: Hooks;
}

/**
 * A GPT-style decoder-only language model (Radford et al. 2019; nanoGPT's `GPT`): token
 * embedding (+ learned or sinusoidal positions, or RoPE/ALiBi in attention) → dropout → N pre-LN causal
 * {@link TransformerBlock}s → final LayerNorm → logits, with the output projection tied to the
 * token embedding by default. GPT-2 initialisation: Normal(0, 0.02), residual projections scaled
 * by 1/√(2N). Parameters: `wte.embeddings`, `wpe.embeddings`, `blocks.N.*`, `lnF.*`, `head.*` (untied only).
 *
 * Arguments: {@link DecoderLMConfig} and an optional `rng` (seed) for the initial weights.
 * Call: `apply(ids [B, T] int32, { cache, positions, mask, hooks })` → logits `[B, T, vocabSize]`.
 * Hook points ({@link hookPoints}): `wte.output` (token embeddings `[B, T, C]`, before
 * positions), `blocks.N.*` (see `TransformerBlock#hookPoints()`), `lnF.output` (final hidden).
 *
 * @example
 * ```ts
 * const model = new DecoderLM(DECODER_LM_PRESETS.baby, { rng: 0 });
 * const logits = model.apply(tf.tensor2d([[1, 2, 3]], [1, 3], 'int32')); // [1, 3, 65]
 * ```
 */
export class DecoderLM extends ConfiguredModel<ResolvedDecoderLMConfig> {
  readonly wte: TokenEmbedding;
  readonly wpe: TokenEmbedding | undefined;
  /** The paper's fixed table (`position: 'sinusoidal'`); no parameters, so no saved names. */
  readonly sinusoid: SinusoidalPositionalEncoding | undefined;
  readonly drop: Dropout;
  readonly blocks: BlockStack;
  readonly lnF: LayerNorm | RMSNorm;
  readonly head: Dense | undefined;

  constructor(config: DecoderLMConfig, { rng: rngOption }: ModelOptions = {}) {
    super(resolveDecoderLMConfig(config));
    const c = this.config;
    const rng = resolveRng(rngOption);
    const init = normal({ stddev: 0.02 });
    this.wte = this.addModule(
      'wte',
      new TokenEmbedding({
        vocabSize: c.vocabSize,
        dModel: c.dModel,
        initializer: init,
        rng: rng.fork(),
      }),
    );
    this.wpe =
      c.position === 'learned'
        ? this.addModule(
            'wpe',
            new TokenEmbedding({
              vocabSize: c.maxLength,
              dModel: c.dModel,
              initializer: init,
              checkIds: false, // positions are made here, always in range
              rng: rng.fork(),
            }),
          )
        : undefined;
    this.sinusoid =
      c.position === 'sinusoidal'
        ? this.addModule(
            'sinusoid',
            new SinusoidalPositionalEncoding({ maxLength: c.maxLength, dModel: c.dModel }),
          )
        : undefined;
    this.drop = this.addModule('drop', new Dropout({ rate: c.dropout, rng: rng.fork() }));
    // Resolved and checked once, by resolveDecoderLMConfig: the blocks take it as is.
    this.blocks = this.addModule(
      'blocks',
      new BlockStack(
        c.numLayers,
        decoderLMBlockConfig(c),
        { kernelInitializer: init, outputInitializer: scaledResidualNormal(c.numLayers) },
        rng,
      ),
    );
    this.lnF = this.addModule('lnF', makeNorm(c));
    this.head = c.tieEmbeddings
      ? undefined
      : this.addModule(
          'head',
          new Dense({
            inputDim: c.dModel,
            outputDim: c.vocabSize,
            useBias: c.useBias,
            kernelInitializer: init,
            rng: rng.fork(),
          }),
        );
  }

  /** Logits `[B, T, vocabSize]` for ids `[B, T]`. */
  apply(ids: tf.Tensor, call: DecoderLMCall = {}): tf.Tensor {
    return tf.tidy(() => fromRows(this.logits(this.hiddenRows(ids, call)), ids.shape[0]!));
  }

  /** The final hidden states `[B, T, dModel]` (after the last LayerNorm). */
  hidden(ids: tf.Tensor, call: DecoderLMCall = {}): tf.Tensor {
    return tf.tidy(() => fromRows(this.hiddenRows(ids, call), ids.shape[0]!));
  }

  /**
   * {@link hidden} as rows `[B·T, dModel]`: the blocks, the final norm and the head work on the
   * residual stream as rows, reshaped once after the embeddings and once for the logits.
   */
  private hiddenRows(ids: tf.Tensor, call: DecoderLMCall): tf.Tensor {
    if (ids.rank !== 2 || ids.dtype !== 'int32') {
      throw new ModelArgumentError('ids', 'an int32 tensor [B, T]', `${ids.dtype} [${ids.shape}]`);
    }
    const T = ids.shape[1]!;
    const past = call.cache?.length ?? 0;
    if (past + T > this.config.maxLength) {
      throw new ModelArgumentError(
        'ids',
        `at most maxLength ${this.config.maxLength} positions`,
        past > 0 ? `${past} cached + ${T} new` : T,
      );
    }
    const hooks = bindHooks(call.hooks, this.hookPoints());
    return tf.tidy(() => {
      let x = runHook(hooks, 'wte.output', this.wte.apply(ids)); // [B, T, C]
      // Rows past … past+T−1 of the table, or each row's own positions when given.
      if (this.wpe) {
        const table = this.wpe.embeddings;
        x = addStream(
          x,
          call.positions ? this.wpe.apply(call.positions) : tableRows(table, past, T), // [B, T, C] or [T, C]
        );
      }
      if (this.sinusoid) {
        const table = call.positions
          ? tf.gather(this.sinusoid.encoding(this.config.maxLength), call.positions) // [B, T, C]
          : this.sinusoid.encoding(T, past); // [T, C]
        x = addStream(x, table);
      }
      const B = ids.shape[0]!;
      const rows = toRows(this.drop.applyOrPass(x)); // [B·T, C]
      const h = this.blocks.apply(rows, {
        batchSize: B,
        causal: true,
        mask: call.mask,
        // RoPE's default positions are the cache length onwards: no position tensor to make.
        positions: this.config.position === 'rope' ? call.positions : undefined,
        cache: call.cache,
        hooks: hooks && scopeHooks(hooks, 'blocks.'),
      });
      return runRowsHook(hooks, 'lnF.output', this.lnF.apply(h), B);
    });
  }

  /** Every hook-point name of this model, in forward order. */
  hookPoints(): string[] {
    return ['wte.output', ...this.blocks.hookPoints('blocks.'), 'lnF.output'];
  }

  /** Hidden states `[..., dModel]` → logits `[..., vocabSize]` (tied or separate head). */
  logits(h: tf.Tensor): tf.Tensor {
    return this.head ? this.head.apply(h) : this.wte.project(h);
  }
}

/**
 * Rows `start … start + count − 1` of `table` `[L, C]` (learned positions without a position
 * tensor), as one op whose gradient is one pad: no range, gather and scatter per call, and
 * tfjs' own `slice` would also save an `Identity` copy of the whole table for its gradient.
 */
function tableRows(table: tf.Tensor, start: number, count: number): tf.Tensor2D {
  const [L, C] = table.shape as [number, number];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.slice(args[0] as tf.Tensor, [start, 0], [count, C]),
    gradFunc: (dy: tf.Tensor) =>
      tf.pad(dy, [
        [start, L - start - count],
        [0, 0],
      ]),
  }));
  return op(table) as tf.Tensor2D; // [count, C]
}
