import * as tf from '@tensorflow/tfjs-core';
import { LayerNorm, Module, ModuleList, resolveRng } from '@tformer/nn';
import {
  type BlockConfig,
  type BlockInit,
  checkPositiveInt,
  isResolvedBlockOptions,
  type ResolvedBlockConfig,
  resolvedBlockOptions,
  splitBlockOptions,
} from './block-config.js';
import { type LocalHooks, runHook, scopeHooks, stackHookPoints } from './hooks.js';
import { TransformerBlock } from './transformer-block.js';

export interface EncoderConfig extends BlockConfig {
  numLayers: number;
}

/**
 * The Transformer encoder (Vaswani et al. 2017, §3.1): a stack of `numLayers` bidirectional
 * {@link TransformerBlock}s, plus a final LayerNorm when the blocks are pre-LN (a pre-LN stack's
 * output is otherwise un-normalised). Children: `layers.N.*`, `norm` (pre-LN only).
 *
 * Arguments: {@link EncoderConfig} (block arguments and `numLayers`), initializers, `rng`.
 * Call: `apply(x [B, S, dModel], { mask [B, S] })` → `[B, S, dModel]`.
 *
 * @example
 * ```ts
 * const encoder = new Encoder({ numLayers: 2, dModel: 32, numHeads: 4, rng: 0 });
 * const memory = encoder.apply(x, { mask }); // [B, S, 32]
 * ```
 */
export class Encoder extends Module {
  readonly numLayers: number;
  readonly layers: ModuleList<TransformerBlock>;
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
          () => new TransformerBlock(resolvedBlockOptions(c, { ...init, rng: rng.fork() })),
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

  /** `hooks` by local name (`layers.0.attn.weights`, `norm.output`; see {@link hookPoints}). */
  apply(x: tf.Tensor, { mask, hooks }: { mask?: tf.Tensor; hooks?: LocalHooks } = {}): tf.Tensor {
    return tf.tidy(() => {
      let h = x;
      [...this.layers].forEach((layer, i) => {
        h = layer.apply(h, { mask, hooks: hooks && scopeHooks(hooks, `layers.${i}.`) });
      });
      return this.norm ? runHook(hooks, 'norm.output', this.norm.apply(h)) : h;
    });
  }

  /** Hook points, after the encoder's path: `layers.N.<block point>`, `norm.output` (pre-LN). */
  hookPoints(): string[] {
    return [
      ...stackHookPoints('layers.', this.numLayers, TransformerBlock.HOOK_POINTS),
      ...(this.norm ? ['norm.output'] : []),
    ];
  }

  getConfig(): ResolvedBlockConfig & { numLayers: number } {
    return { ...this.layers.at(0).getConfig(), numLayers: this.numLayers };
  }

  static fromConfig(config: EncoderConfig, init: BlockInit = {}): Encoder {
    return new Encoder({ ...config, ...init });
  }
}
