import * as tf from '@tensorflow/tfjs-core';
import {
  type LayerNorm,
  Module,
  ModuleList,
  type RMSNorm,
  type Rng,
  resolveRng,
} from '@tformer/nn';
import {
  type BlockConfig,
  type BlockInit,
  checkPositiveInt,
  fillBlockConfig,
  isResolvedBlockOptions,
  makeNorm,
  type ResolvedBlockConfig,
  resolvedBlockOptions,
  splitBlockOptions,
} from './block-config.js';
import type { DecoderCache } from './decoder-cache.js';
import { scopeHooks } from './hooks.js';
import { fromRows, runRowsHook, streamShape, toRows } from './residual-rows.js';
import { TransformerBlock, type TransformerBlockCall } from './transformer-block.js';

/** A call of a {@link BlockStack}: a block's call with one cache entry per layer. */
export interface BlockStackCall extends Omit<TransformerBlockCall, 'cache'> {
  cache?: DecoderCache;
}

/**
 * `numLayers` {@link TransformerBlock}s of one configuration, run in sequence: the block stack of
 * every model here (children `0.*`, `1.*`, … under the owner's name: `blocks.N.*`, `layers.N.*`).
 * Internal to this package: the models and the `Encoder`/`Decoder` stacks build it.
 */
export class BlockStack extends ModuleList<TransformerBlock> {
  /**
   * `config` is already checked (by {@link resolveBlockConfig}, when the model resolved its own
   * config); its defaults are filled here. Each block takes the next fork of `rng`.
   */
  constructor(numLayers: number, config: BlockConfig, init: Omit<BlockInit, 'rng'>, rng: Rng) {
    const filled = fillBlockConfig(config);
    super(
      Array.from(
        { length: numLayers },
        () => new TransformerBlock(resolvedBlockOptions(filled, { ...init, rng: rng.fork() })),
      ),
    );
  }

  /**
   * Runs every block on the residual stream as rows `[B·T, dModel]` (reshaped once here, not in
   * every block; rows given with `batchSize` stay rows); `hooks` by local name (`0.attn.weights`),
   * `cache.layers[i]` to block i.
   */
  apply(x: tf.Tensor, call: BlockStackCall = {}): tf.Tensor {
    const [B] = streamShape('x', x, this.at(0).config.dModel, call.batchSize);
    return tf.tidy(() => {
      let h: tf.Tensor = toRows(x); // [B·T, C]
      [...this].forEach((block, i) => {
        h = block.apply(h, {
          ...call,
          batchSize: B,
          cache: call.cache?.layers[i],
          hooks: call.hooks && scopeHooks(call.hooks, `${i}.`),
        });
      });
      return x.rank === 2 ? h : fromRows(h, B); // [B, T, C] as given
    });
  }

  /** The hook points of every block, after `prefix` (`blocks.`): `blocks.0.residPre`, …. */
  hookPoints(prefix: string): string[] {
    const points = this.at(0).hookPoints();
    return Array.from({ length: this.length }, (_, i) =>
      points.map((p) => `${prefix}${i}.${p}`),
    ).flat();
  }
}

export interface EncoderConfig extends BlockConfig {
  numLayers: number;
}

/**
 * A {@link BlockStack} under `layers`, plus a final norm `norm` when the blocks are pre-LN (a
 * pre-LN stack's output is otherwise un-normalised): what `Encoder` and `Decoder` share; they
 * differ only in `crossAttention` and in their call.
 */
export class NormedStack extends Module {
  readonly numLayers: number;
  readonly layers: BlockStack;
  readonly norm: LayerNorm | RMSNorm | undefined;

  protected constructor(options: EncoderConfig & BlockInit, crossAttention: boolean) {
    super();
    // Checked once here (not once per layer), or not at all when a model passes its resolved config.
    const trusted = isResolvedBlockOptions(options);
    const { numLayers, ...blockOptions } = options;
    if (!trusted) checkPositiveInt('numLayers', numLayers);
    this.numLayers = numLayers;
    const { config, init } = splitBlockOptions(blockOptions, trusted);
    const c = { ...config, crossAttention };
    const { rng, ...inits } = init;
    this.layers = this.addModule('layers', new BlockStack(numLayers, c, inits, resolveRng(rng)));
    this.norm = c.preNorm ? this.addModule('norm', makeNorm(c)) : undefined;
  }

  /**
   * `hooks` by local name (`layers.0.attn.weights`, `norm.output`; see {@link hookPoints}); the
   * final norm works on the blocks' rows.
   */
  protected run(x: tf.Tensor, call: BlockStackCall): tf.Tensor {
    const [B] = streamShape('x', x, this.layers.at(0).config.dModel, call.batchSize);
    return tf.tidy(() => {
      const { hooks } = call;
      const rows = this.layers.apply(toRows(x), {
        ...call,
        batchSize: B,
        hooks: hooks && scopeHooks(hooks, 'layers.'),
      });
      const h = this.norm ? runRowsHook(hooks, 'norm.output', this.norm.apply(rows), B) : rows;
      return x.rank === 2 ? h : fromRows(h, B); // [B, T, C] as given
    });
  }

  /** Hook points, after the stack's path: `layers.N.<block point>`, `norm.output` (pre-LN). */
  hookPoints(): string[] {
    return [...this.layers.hookPoints('layers.'), ...(this.norm ? ['norm.output'] : [])];
  }

  getConfig(): ResolvedBlockConfig & { numLayers: number } {
    return { ...this.layers.at(0).getConfig(), numLayers: this.numLayers };
  }
}
