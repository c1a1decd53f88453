import * as tf from '@tensorflow/tfjs-core';
import { LayerNorm, Module, ModuleList, resolveRng } from '@tformer/nn';
import {
  type BlockInit,
  checkPositiveInt,
  isResolvedBlockOptions,
  type ResolvedBlockConfig,
  resolvedBlockOptions,
  splitBlockOptions,
} from './block-config.js';
import { DecoderBlock } from './decoder-block.js';
import type { DecoderCache } from './decoder-cache.js';
import type { EncoderConfig } from './encoder.js';
import { type LocalHooks, runHook, scopeHooks, stackHookPoints } from './hooks.js';

export interface DecoderCall {
  /** Encoder output `[B, S, dModel]`. */
  memory: tf.Tensor;
  /** Key mask `[B, S]` over the memory (non-zero = a real source token). */
  memoryMask?: tf.Tensor;
  /** Key mask `[B, T]` over the target (padding); causal masking is always on. */
  mask?: tf.Tensor;
  /**
   * Self-attention keys/values of earlier target positions, one entry per layer, and the
   * cross-attention keys/values of `memory` (projected at the first call: one cache, one memory).
   */
  cache?: DecoderCache;
  /** Hooks by local name (`layers.0.crossAttn.weights`, `norm.output`; see `hookPoints`). */
  hooks?: LocalHooks;
}

/**
 * The Transformer decoder (Vaswani et al. 2017, §3.1): a stack of `numLayers`
 * {@link DecoderBlock}s (masked self-attention, attention over the encoder output, FFN), plus a
 * final LayerNorm when pre-LN. Children: `layers.N.*`, `norm` (pre-LN only).
 *
 * Arguments: the same as {@link Encoder}.
 * Call: `apply(y [B, T, dModel], { memory, memoryMask, mask, cache })` → `[B, T, dModel]`.
 *
 * @example
 * ```ts
 * const decoder = new Decoder({ numLayers: 2, dModel: 32, numHeads: 4, rng: 0 });
 * const out = decoder.apply(y, { memory }); // [B, T, 32]
 * ```
 */
export class Decoder extends Module {
  readonly numLayers: number;
  readonly layers: ModuleList<DecoderBlock>;
  readonly norm: LayerNorm | undefined;

  constructor(options: EncoderConfig & BlockInit) {
    super();
    // Checked once here (not once per layer), or not at all when a model passes its resolved config.
    const trusted = isResolvedBlockOptions(options);
    const { numLayers, ...blockOptions } = options;
    if (!trusted) checkPositiveInt('numLayers', numLayers);
    this.numLayers = numLayers;
    const { config: c, init } = splitBlockOptions(blockOptions, trusted);
    const rng = resolveRng(init.rng);
    this.layers = this.addModule(
      'layers',
      new ModuleList(
        Array.from(
          { length: numLayers },
          () => new DecoderBlock(resolvedBlockOptions(c, { ...init, rng: rng.fork() })),
        ),
      ),
    );
    this.norm = c.preNorm
      ? this.addModule(
          'norm',
          new LayerNorm({ dModel: c.dModel, eps: c.layerNormEps, useBias: c.useBias }),
        )
      : undefined;
  }

  apply(y: tf.Tensor, call: DecoderCall): tf.Tensor {
    return tf.tidy(() => {
      let h = y;
      [...this.layers].forEach((layer, i) => {
        h = layer.apply(h, {
          ...call,
          cache: call.cache?.layers[i],
          hooks: call.hooks && scopeHooks(call.hooks, `layers.${i}.`),
        });
      });
      return this.norm ? runHook(call.hooks, 'norm.output', this.norm.apply(h)) : h;
    });
  }

  /** Hook points, after the decoder's path: `layers.N.<block point>`, `norm.output` (pre-LN). */
  hookPoints(): string[] {
    return [
      ...stackHookPoints('layers.', this.numLayers, DecoderBlock.HOOK_POINTS),
      ...(this.norm ? ['norm.output'] : []),
    ];
  }

  getConfig(): ResolvedBlockConfig & { numLayers: number } {
    return { ...this.layers.at(0).getConfig(), numLayers: this.numLayers };
  }

  static fromConfig(config: EncoderConfig, init: BlockInit = {}): Decoder {
    return new Decoder({ ...config, ...init });
  }
}
