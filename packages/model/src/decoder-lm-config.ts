import {
  type BlockConfig,
  checkPositiveInts,
  describe,
  type FeedForwardActivation,
  fillBlockConfig,
  type ResolvedBlockConfig,
  resolveBlockConfig,
  sharedBlockFields,
} from './block-config.js';
import { ModelConfigError } from './errors.js';

/** Configuration of a GPT-style decoder-only language model. */
export interface DecoderLMConfig {
  vocabSize: number;
  /** Context length: the largest number of positions the model attends over (nanoGPT's `block_size`). */
  maxLength: number;
  numLayers: number;
  numHeads: number;
  /** Model width d_model (nanoGPT's n_embd). */
  dModel: number;
  /** Key/value heads for grouped-query attention; `numHeads` (the default) is plain MHA. */
  numKeyValueHeads?: number;
  /**
   * Width of each attention head; default dModel / numHeads. A pruned model keeps its heads'
   * width with fewer heads, so numHeads · headSize may be less than dModel.
   */
  headSize?: number;
  /** FFN inner width; 4·dModel by default as in GPT-2. */
  dFF?: number;
  /** Default `gelu` (nanoGPT); `gelu_tanh` is GPT-2's approximation (`gelu_new`). */
  activation?: FeedForwardActivation;
  /**
   * How the model knows token order: `learned` absolute positions (GPT-2; the default), the
   * paper's fixed `sinusoidal` table added to the embeddings, or no position input at all and a
   * relative scheme inside attention — `rope` (rotary, LLaMA) or `alibi` (a linear distance bias,
   * Press et al. 2022). Only `learned` has parameters.
   */
  position?: 'learned' | 'sinusoidal' | 'rope' | 'alibi';
  /** Sliding-window attention (Mistral's `sliding_window`): each token sees the `window` latest; 0 (default) sees the whole context. */
  window?: number;
  /** Chunked online-softmax attention: O(T) attention memory, the same results (default false). */
  memoryEfficient?: boolean;
  /** Biases in linear layers and LayerNorms (nanoGPT's `bias`). */
  useBias?: boolean;
  /** Output projection shares the token embedding matrix. */
  tieEmbeddings?: boolean;
  dropout?: number;
  /** LayerNorm epsilon; default 1e-5 as GPT-2 and nanoGPT (with `norm: 'rms'`, RMSNorm's). */
  layerNormEps?: number;
  /** `layer` (default): LayerNorm as GPT-2; `rms`: RMSNorm (gain only) as LLaMA. */
  norm?: 'layer' | 'rms';
}

/**
 * nanoGPT presets. `shakespeareChar` is `config/train_shakespeare_char.py` (6×6×384, ctx 256,
 * dropout 0.2, no bias); `baby` is the 4×4×128 ctx-64 configuration of nanoGPT's README for CPUs.
 */
export const DECODER_LM_PRESETS = {
  shakespeareChar: {
    vocabSize: 65,
    maxLength: 256,
    numLayers: 6,
    numHeads: 6,
    dModel: 384,
    dropout: 0.2,
    useBias: false,
  },
  baby: {
    vocabSize: 65,
    maxLength: 64,
    numLayers: 4,
    numHeads: 4,
    dModel: 128,
    dropout: 0,
    useBias: false,
  },
} as const satisfies Record<string, DecoderLMConfig>;

const POSITIONS = ['learned', 'sinusoidal', 'rope', 'alibi'] as const;

/** The config with every optional field filled by its default. */
export type ResolvedDecoderLMConfig = Required<DecoderLMConfig>;

/**
 * Fills defaults and checks every constraint a working model needs, throwing a
 * {@link ModelConfigError} that names the field (e.g. `dModel 100 is not divisible by numHeads 3`).
 */
export function resolveDecoderLMConfig(config: DecoderLMConfig): ResolvedDecoderLMConfig {
  const resolved: ResolvedDecoderLMConfig = {
    headSize: config.dModel / config.numHeads, // checked (and set) below, with the block rules
    numKeyValueHeads: config.numHeads,
    dFF: 4 * config.dModel,
    activation: 'gelu',
    position: 'learned',
    window: 0,
    memoryEfficient: false,
    useBias: true,
    tieEmbeddings: true,
    dropout: 0,
    layerNormEps: 1e-5,
    norm: 'layer',
    ...config,
  };
  checkPositiveInts(resolved, [
    'vocabSize',
    'maxLength',
    'numLayers',
    'numHeads',
    'dModel',
    'numKeyValueHeads',
    'dFF',
  ]);
  if (!POSITIONS.includes(resolved.position)) {
    throw new ModelConfigError(
      'position',
      `expected one of ${POSITIONS.join(', ')}, got ${describe(resolved.position)}`,
    );
  }
  // The block rules (divisible heads, rates, activation, eps) name the same fields as this
  // config; RoPE's even head size is checked after them, against this config's `position`.
  // headSize as given (not the default filled above), so that an unset one gets the block's
  // divisibility rule and message.
  const { headSize: _filled, ...fields } = blockFields(resolved);
  const block = resolveBlockConfig({
    ...fields,
    ...(config.headSize === undefined ? {} : { headSize: config.headSize }),
    position: 'none',
  });
  resolved.headSize = block.headSize;
  if (resolved.position === 'rope' && block.headSize % 2 !== 0) {
    throw new ModelConfigError('position', `rope needs an even head size, got ${block.headSize}`);
  }
  return resolved;
}

/**
 * The configuration of each block of a {@link DecoderLMConfig}: pre-LN, causal, GPT-2 style.
 * Fills defaults without checking: `c` comes from {@link resolveDecoderLMConfig}, which checked it.
 */
export function decoderLMBlockConfig(c: ResolvedDecoderLMConfig): ResolvedBlockConfig {
  return fillBlockConfig(blockFields(c));
}

function blockFields(c: ResolvedDecoderLMConfig): BlockConfig {
  return {
    ...sharedBlockFields(c),
    numKeyValueHeads: c.numKeyValueHeads,
    headSize: c.headSize,
    activation: c.activation,
    preNorm: true,
    useBias: c.useBias,
    layerNormEps: c.layerNormEps,
    position: c.position === 'rope' || c.position === 'alibi' ? c.position : 'none',
    window: c.window,
    memoryEfficient: c.memoryEfficient,
    norm: c.norm,
  };
}

/**
 * Parameter count of a {@link DecoderLMConfig} in closed form. With `includePositions: false` it
 * counts as nanoGPT's `get_num_params()` does (position embeddings left out), so the
 * `shakespeareChar` preset gives 10,646,784 — the "10.65M" nanoGPT prints.
 */
export function decoderLMParameterCount(
  config: DecoderLMConfig,
  { includePositions = true } = {},
): number {
  const c = resolveDecoderLMConfig(config);
  const d = c.dModel;
  const queryWidth = c.numHeads * c.headSize;
  const kvWidth = c.numKeyValueHeads * c.headSize;
  const b = c.useBias ? 1 : 0;
  // query and output projections are d×queryWidth and back; keys and values are d×kvWidth each.
  const attention = 2 * d * queryWidth + 2 * d * kvWidth + b * (queryWidth + d + 2 * kvWidth);
  // SwiGLU has a gate and an up projection into dFF, then one down projection.
  const ffn =
    c.activation === 'swiglu'
      ? 3 * d * c.dFF + b * (2 * c.dFF + d)
      : 2 * d * c.dFF + b * (c.dFF + d);
  const layerNorm = c.norm === 'rms' ? d : d * (1 + b);
  const block = attention + ffn + 2 * layerNorm;
  const embeddings = c.vocabSize * d;
  const head = c.tieEmbeddings ? 0 : d * c.vocabSize + b * c.vocabSize;
  const positions = c.position === 'learned' && includePositions ? c.maxLength * d : 0;
  return c.numLayers * block + layerNorm + embeddings + head + positions;
}
