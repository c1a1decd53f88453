import { type Initializer, LayerNorm, RMSNorm, type RngOption } from '@tformer/nn';
import { ModelConfigError } from './errors.js';

/** Activation of the feed-forward network; `swiglu` swaps the FFN for a gated SwiGLU one. */
export type FeedForwardActivation = 'relu' | 'gelu' | 'gelu_tanh' | 'swiglu';

/** Configuration of a {@link TransformerBlock} (and of the `Encoder`/`Decoder` stacks). */
export interface BlockConfig {
  dModel: number;
  numHeads: number;
  /** Key/value heads (grouped-query attention); default `numHeads`. */
  numKeyValueHeads?: number;
  /** Width of each attention head (Keras' `key_dim`); default dModel / numHeads. */
  headSize?: number;
  /** Inner width of the FFN (the paper's d_ff); default 4·dModel. */
  dFF?: number;
  /** Default `relu`, as in the paper. */
  activation?: FeedForwardActivation;
  /** Dropout on each sub-layer's output (before the residual addition); default 0. */
  dropout?: number;
  /** Dropout on the attention probabilities; default `dropout` (0 in Keras' block). */
  attentionDropout?: number;
  /**
   * false (default): post-LN as in the paper, `x = LN(x + sublayer(x))`. true: pre-LN as in GPT-2,
   * `x = x + sublayer(LN(x))`; a pre-LN stack needs a final LayerNorm (the owning model adds it).
   */
  preNorm?: boolean;
  /** Biases in the projections and LayerNorms (default true). */
  useBias?: boolean;
  /** LayerNorm epsilon (default 1e-6, as the Keras Transformer block; GPT-2 uses 1e-5). */
  layerNormEps?: number;
  /**
   * Relative positions inside self-attention: `none` (default; the model adds absolute ones),
   * `rope` (rotary queries and keys, Su et al. 2021) or `alibi` (a linear distance bias, Press et
   * al. 2022). Cross-attention never gets them: its keys are the encoder's positions.
   */
  position?: 'none' | 'rope' | 'alibi';
  /** Sliding-window self-attention: each query sees the `window` latest keys; 0 (default) sees all. */
  window?: number;
  /**
   * Chunked online-softmax attention (memory O(T) instead of O(T²), recomputed in the backward
   * pass; see `scaledDotProductAttention`'s `memoryEfficient`); same results. Default false.
   */
  memoryEfficient?: boolean;
  /**
   * `layer` (default): LayerNorm, as the paper and GPT-2. `rms`: RMSNorm (Zhang & Sennrich 2019,
   * as in LLaMA), a gain and no bias; `layerNormEps` is its epsilon.
   */
  norm?: 'layer' | 'rms';
  /** Which attention kernel runs (see `scaledDotProductAttention`'s `kernel` in @tformer/attention); default `auto`. */
  attentionKernel?: 'auto' | 'per-head' | 'batched';
  /**
   * Attention over an encoder's output between self-attention and the FFN (the Transformer's
   * decoder layer); default false. The `Decoder` stack sets it, the `Encoder` stack clears it.
   */
  crossAttention?: boolean;
}

export type ResolvedBlockConfig = Required<BlockConfig>;

/** How a block's (or a stack's) parameters start. */
export interface BlockInit {
  /** Initializer of the inner kernels (default Glorot uniform, as Keras). */
  kernelInitializer?: Initializer;
  /** Initializer of the kernels that write into the residual stream (default the same). */
  outputInitializer?: Initializer;
  rng?: RngOption;
}

/**
 * The block fields that every model config has under the same names (`dModel`, `numHeads`, `dFF`,
 * `dropout`), copied; each model's own block choices (pre-LN, activation, …) go on top.
 */
export function sharedBlockFields(
  c: Pick<BlockConfig, 'dModel' | 'numHeads' | 'dFF' | 'dropout'>,
): BlockConfig {
  return { dModel: c.dModel, numHeads: c.numHeads, dFF: c.dFF, dropout: c.dropout };
}

/** The block configuration with every default filled in; checks nothing (see {@link resolveBlockConfig}). */
export function fillBlockConfig(config: BlockConfig): ResolvedBlockConfig {
  return {
    numKeyValueHeads: config.numHeads,
    headSize: config.dModel / config.numHeads,
    attentionDropout: config.dropout ?? 0,
    dFF: 4 * config.dModel,
    activation: 'relu',
    dropout: 0,
    preNorm: false,
    useBias: true,
    layerNormEps: 1e-6,
    position: 'none',
    window: 0,
    memoryEfficient: false,
    norm: 'layer',
    attentionKernel: 'auto',
    ...config,
    crossAttention: config.crossAttention ?? false,
  };
}

/**
 * Fills defaults and checks every constraint a working block needs, throwing one
 * {@link ModelConfigError} naming the field. Models call it once on their block configuration
 * while resolving their own config; the blocks they build then trust it (see
 * {@link resolvedBlockOptions}) instead of checking again.
 */
export function resolveBlockConfig(config: BlockConfig): ResolvedBlockConfig {
  checkPositiveInt('dModel', config.dModel);
  checkPositiveInt('numHeads', config.numHeads);
  if (config.headSize === undefined && config.dModel % config.numHeads !== 0) {
    throw new ModelConfigError(
      'dModel',
      `${config.dModel} is not divisible by numHeads ${config.numHeads}`,
    );
  }
  const c = fillBlockConfig(config);
  checkPositiveInts(c, ['numKeyValueHeads', 'dFF', 'headSize']);
  if (c.numHeads % c.numKeyValueHeads !== 0) {
    throw new ModelConfigError(
      'numKeyValueHeads',
      `numHeads ${c.numHeads} is not a multiple of numKeyValueHeads ${c.numKeyValueHeads}`,
    );
  }
  if (!['none', 'rope', 'alibi'].includes(c.position)) {
    throw new ModelConfigError(
      'position',
      `expected 'none', 'rope' or 'alibi', got ${describe(c.position)}`,
    );
  }
  if (c.position === 'rope' && c.headSize % 2 !== 0) {
    throw new ModelConfigError('position', `rope needs an even head size, got ${c.headSize}`);
  }
  if (c.window !== 0) checkPositiveInt('window', c.window);
  if (typeof c.memoryEfficient !== 'boolean') {
    throw new ModelConfigError(
      'memoryEfficient',
      `expected a boolean, got ${describe(c.memoryEfficient)}`,
    );
  }
  if (c.memoryEfficient && c.attentionKernel !== 'auto') {
    throw new ModelConfigError(
      'attentionKernel',
      `memoryEfficient runs its own chunked kernel: expected 'auto', got ${describe(c.attentionKernel)}`,
    );
  }
  if (c.norm !== 'layer' && c.norm !== 'rms') {
    throw new ModelConfigError('norm', `expected 'layer' or 'rms', got ${JSON.stringify(c.norm)}`);
  }
  if (typeof c.crossAttention !== 'boolean') {
    throw new ModelConfigError(
      'crossAttention',
      `expected true or false, got ${describe(c.crossAttention)}`,
    );
  }
  checkRate('dropout', c.dropout);
  checkRate('attentionDropout', c.attentionDropout);
  if (!['relu', 'gelu', 'gelu_tanh', 'swiglu'].includes(c.activation)) {
    throw new ModelConfigError(
      'activation',
      `expected one of relu, gelu, gelu_tanh, swiglu, got ${describe(c.activation)}`,
    );
  }
  if (!(typeof c.layerNormEps === 'number' && c.layerNormEps > 0 && c.layerNormEps < 1)) {
    throw new ModelConfigError(
      'layerNormEps',
      `expected a number in (0, 1), got ${describe(c.layerNormEps)}`,
    );
  }
  return c;
}

/** Options objects made by {@link resolvedBlockOptions}: their configuration is already checked. */
const resolvedOptions = new WeakSet<object>();

/**
 * Options for a block (or an `Encoder`/`Decoder` stack) from a configuration that a model has
 * already resolved and checked: the block takes it as is instead of resolving it again. Internal
 * to this package (not exported from index.ts), so a user's options are always checked.
 */
export function resolvedBlockOptions<T extends ResolvedBlockConfig>(
  config: T,
  init: BlockInit,
): T & BlockInit {
  const options = { ...config, ...init };
  resolvedOptions.add(options);
  return options;
}

/** Whether `options` came from {@link resolvedBlockOptions} (checked already). */
export function isResolvedBlockOptions(options: object): boolean {
  return resolvedOptions.has(options);
}

/**
 * A block constructor's options split into the resolved configuration and the initialisation,
 * checked here unless `trusted` (they came from {@link resolvedBlockOptions}).
 */
export function splitBlockOptions(
  options: BlockConfig & BlockInit,
  trusted = isResolvedBlockOptions(options),
): { config: ResolvedBlockConfig; init: BlockInit } {
  const { kernelInitializer, outputInitializer, rng, ...config } = options;
  return {
    config: trusted ? (config as ResolvedBlockConfig) : resolveBlockConfig(config),
    init: { kernelInitializer, outputInitializer, rng },
  };
}

/** The norm a configuration asks for: LayerNorm, or RMSNorm (a gain, no bias) with `norm: 'rms'`. */
export function makeNorm(
  c: Pick<ResolvedBlockConfig, 'dModel' | 'layerNormEps' | 'useBias' | 'norm'>,
): LayerNorm | RMSNorm {
  return c.norm === 'rms'
    ? new RMSNorm({ dModel: c.dModel, eps: c.layerNormEps })
    : new LayerNorm({ dModel: c.dModel, eps: c.layerNormEps, useBias: c.useBias });
}

/**
 * Upper bounds of the integer config fields, so that a config (a saved `config.json` above all)
 * cannot ask for a model that no runtime could allocate: a vocabulary of 1e12 is a
 * `ModelConfigError`, not a RangeError deep inside tfjs. Generous next to real models (GPT-2 XL:
 * dModel 1600, 48 layers; Llama 3 405B: dModel 16384, dFF 53248, 126 layers, vocab 128256).
 */
export const CONFIG_LIMITS: Readonly<Record<string, number>> = {
  vocabSize: 2 ** 24,
  srcVocabSize: 2 ** 24,
  tgtVocabSize: 2 ** 24,
  numClasses: 2 ** 24,
  maxLength: 2 ** 20,
  dModel: 65_536,
  headSize: 65_536,
  dFF: 2 ** 20,
  hiddenDim: 2 ** 20,
  numHeads: 4096,
  numKeyValueHeads: 4096,
  numLayers: 1024,
  numDecoderLayers: 1024,
  imageSize: 65_536,
  patchSize: 65_536,
  channels: 4096,
};

/** {@link checkPositiveInt} on each of `fields` of `config`, in order: the first bad one throws. */
export function checkPositiveInts<C>(config: C, fields: readonly (keyof C & string)[]): void {
  for (const field of fields) checkPositiveInt(field, config[field]);
}

export function checkPositiveInt(field: string, value: unknown): void {
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new ModelConfigError(field, `expected a positive integer, got ${describe(value)}`);
  }
  const limit = Object.hasOwn(CONFIG_LIMITS, field) ? CONFIG_LIMITS[field]! : undefined;
  if (limit !== undefined && (value as number) > limit) {
    throw new ModelConfigError(field, `expected at most ${limit}, got ${value}`);
  }
}

/** A value for a message: never throws, unlike a template literal on `Object.create(null)`. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
    return String(value);
  }
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

export function checkRate(field: string, value: number): void {
  if (!(typeof value === 'number' && value >= 0 && value < 1)) {
    throw new ModelConfigError(field, `expected a rate in [0, 1), got ${describe(value)}`);
  }
}
