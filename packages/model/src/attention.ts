import { MultiHeadAttention } from '@tformer/attention';
import type { RngOption } from '@tformer/nn';
import type { ResolvedBlockConfig } from './block-config.js';
import type { BlockInit } from './transformer-block.js';

/**
 * The blocks' `@tformer/attention` `MultiHeadAttention` for a block configuration: heads of
 * `headSize` over `dModel`, RoPE (self-attention only) when `rope`. Its children `query`, `key`,
 * `value`, `output` and its dropout generator `rng` give the parameter names `….query.kernel`
 * and the random-state key `….rng` that saved models use.
 */
export function blockAttention(
  c: ResolvedBlockConfig,
  init: Omit<BlockInit, 'rng'>,
  rng: RngOption,
  { rope = c.rope }: { rope?: boolean } = {},
): MultiHeadAttention {
  return new MultiHeadAttention({
    numHeads: c.numHeads,
    numKeyValueHeads: c.numKeyValueHeads,
    keyDim: c.headSize,
    inputDim: c.dModel,
    useBias: c.bias,
    dropout: c.attentionDropout,
    kernel: c.attentionKernel,
    position: rope ? 'rope' : 'none',
    kernelInitializer: init.kernelInitializer,
    outputInitializer: init.outputInitializer,
    rng,
  });
}
