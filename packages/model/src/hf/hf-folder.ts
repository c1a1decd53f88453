/**
 * A model as a Hugging Face model folder, in bytes and JSON (no file I/O, runs in browsers):
 * `config.json` of the matching transformers architecture, `model.safetensors` with its tensor
 * names and layouts, `generation_config.json`, and — when a tokenizer maps — `tokenizer.json` and
 * `tokenizer_config.json`. `saveHuggingFace`/`loadHuggingFace` in `@tformer/model/node` write
 * and read such a folder.
 */
import * as tf from '@tensorflow/tfjs-core';
import { decodeSafetensors, type StateDict, stateDictToSafetensors } from '@tformer/nn';
import { DecoderLM } from '../decoder-lm.js';
import type { DecoderLMConfig, ResolvedDecoderLMConfig } from '../decoder-lm-config.js';
import { EncoderDecoder } from '../encoder-decoder.js';
import { ModelConfigError } from '../errors.js';
import { type SavableModel, savableClassName } from '../model-classes.js';
import { loadCheckpoint, safetensorsState } from '../save-load.js';
import { VisionTransformer } from '../vision-transformer.js';
import { fromGPT2Config, fromGPT2State, gpt2Config, gpt2State } from './gpt2.js';
import type { MappedState } from './linear-names.js';
import { fromLlamaConfig, fromLlamaState, llamaConfig, llamaState } from './llama.js';
import { fromMarianConfig, fromMarianState, marianConfig, marianState } from './marian.js';
import { fromViTConfig, fromViTState, vitConfig, vitState } from './vit.js';

/** The transformers architectures a {@link DecoderLM} maps to, by config.json `model_type`. */
export type DecoderLMFormat = 'gpt2' | 'llama';
/**
 * Every architecture a model maps to, by config.json `model_type`: `gpt2` and `llama`
 * ({@link DecoderLM}), `marian` ({@link EncoderDecoder}), `vit` ({@link VisionTransformer}).
 */
export type HfFormat = DecoderLMFormat | 'marian' | 'vit';

export const HF_CONFIG_FILE = 'config.json';
export const HF_WEIGHTS_FILE = 'model.safetensors';
export const HF_GENERATION_CONFIG_FILE = 'generation_config.json';
export const HF_TOKENIZER_FILE = 'tokenizer.json';
export const HF_TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';

/** Special token ids written to config.json and generation_config.json (absent: null). */
export interface HfSpecialTokenIds {
  bos?: number;
  eos?: number;
  /** Written for a DecoderLM; an EncoderDecoder writes its own `padTokenId`. */
  pad?: number;
  /** The id every target starts with (EncoderDecoder only; default `bos`). */
  decoderStart?: number;
}

export interface HfExportOptions {
  /**
   * A DecoderLM's target (default `gpt2` for learned positions, `llama` for RoPE); the other
   * models have one each (`marian`, `vit`).
   */
  format?: HfFormat;
  /** A Hugging Face `tokenizer.json` object (e.g. `BytePairTokenizer.toJSON()`). */
  tokenizer?: object;
  /** Extra `tokenizer_config.json` fields (special token strings, …); written only with `tokenizer`. */
  tokenizerConfig?: Record<string, unknown>;
  specialTokenIds?: HfSpecialTokenIds;
  /** A VisionTransformer's class names, written as `id2label`/`label2id` (default `LABEL_i`). */
  labels?: readonly string[];
  /** Float storage (default F32). */
  dtype?: 'F32' | 'F16' | 'BF16';
}

/** A folder's files by name: JSON objects for the `.json` files, bytes for the weights. */
export interface HfFolder {
  [HF_CONFIG_FILE]: Record<string, unknown>;
  [HF_WEIGHTS_FILE]: Uint8Array;
  [HF_GENERATION_CONFIG_FILE]?: Record<string, unknown>;
  [HF_TOKENIZER_FILE]?: object;
  [HF_TOKENIZER_CONFIG_FILE]?: Record<string, unknown>;
}

interface Architecture {
  className: string;
  toConfig(c: ResolvedDecoderLMConfig): Record<string, unknown>;
  fromConfig(raw: Record<string, unknown>, source: string): DecoderLMConfig;
  toState(state: StateDict, c: ResolvedDecoderLMConfig): StateDict;
  fromState(state: StateDict, c: ResolvedDecoderLMConfig): MappedState;
}

const ARCHITECTURES: Record<DecoderLMFormat, Architecture> = {
  gpt2: {
    className: 'GPT2LMHeadModel',
    toConfig: gpt2Config,
    fromConfig: fromGPT2Config,
    toState: gpt2State,
    fromState: fromGPT2State,
  },
  llama: {
    className: 'LlamaForCausalLM',
    toConfig: llamaConfig,
    fromConfig: fromLlamaConfig,
    toState: llamaState,
    fromState: fromLlamaState,
  },
};

/**
 * `model` as a Hugging Face folder: a {@link DecoderLM} as `GPT2LMHeadModel` or
 * `LlamaForCausalLM`, an {@link EncoderDecoder} as `MarianMTModel`, a {@link VisionTransformer}
 * as `ViTForImageClassification`. A model or field with no equivalent in the target architecture
 * fails with one {@link ModelConfigError} naming the field (`position: GPT2LMHeadModel has learned
 * positions only, got 'rope'`).
 */
export async function encodeHuggingFace(
  model: SavableModel,
  options: HfExportOptions = {},
): Promise<HfFolder> {
  const ids = options.specialTokenIds ?? {};
  let mapped: { format: HfFormat; config: Record<string, unknown>; state: StateDict };
  let maxLength: number | undefined;
  if (model instanceof DecoderLM) {
    mapped = await decoderLMFolder(model, options.format);
    maxLength = model.config.maxLength;
  } else if (model instanceof EncoderDecoder) {
    checkFormat(options.format, 'marian', 'EncoderDecoder');
    const c = model.config;
    const decoderStart = ids.decoderStart ?? ids.bos;
    if (decoderStart === undefined) {
      throw new ModelConfigError(
        'specialTokenIds.decoderStart',
        'MarianMTModel needs decoder_start_token_id: the id every target starts with',
      );
    }
    const config = marianConfig(c, { decoderStart, bos: ids.bos, eos: ids.eos });
    mapped = { format: 'marian', config, state: marianState(model.stateDict(), c) };
    maxLength = c.maxLength;
  } else if (model instanceof VisionTransformer) {
    checkFormat(options.format, 'vit', 'VisionTransformer');
    const c = model.config;
    mapped = {
      format: 'vit',
      config: vitConfig(c, options.labels),
      state: vitState(model.stateDict(), c),
    };
  } else {
    throw new ModelConfigError(
      'className',
      `${savableClassName(model)} has no Hugging Face mapping (DecoderLM, EncoderDecoder and VisionTransformer have)`,
    );
  }
  const tokenIds =
    mapped.format === 'vit'
      ? {}
      : {
          bos_token_id: ids.bos ?? null,
          eos_token_id: ids.eos ?? null,
          pad_token_id: ids.pad ?? null,
        };
  const config: Record<string, unknown> = {
    ...tokenIds,
    ...mapped.config,
    torch_dtype: { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[options.dtype ?? 'F32'],
  };
  let weights: Uint8Array;
  try {
    weights = await stateDictToSafetensors(mapped.state, {
      dtype: options.dtype ?? 'F32',
      metadata: { format: 'pt' },
    });
  } finally {
    tf.dispose(Object.values(mapped.state));
  }
  const folder: HfFolder = { [HF_CONFIG_FILE]: config, [HF_WEIGHTS_FILE]: weights };
  if (maxLength !== undefined) {
    const generation: Record<string, unknown> = {
      bos_token_id: config.bos_token_id,
      eos_token_id: config.eos_token_id,
      pad_token_id: config.pad_token_id,
      do_sample: false,
      max_length: maxLength,
    };
    if (mapped.format === 'marian') {
      generation.decoder_start_token_id = config.decoder_start_token_id;
      generation.forced_eos_token_id = null;
      generation.num_beams = 1;
    }
    folder[HF_GENERATION_CONFIG_FILE] = generation;
  }
  if (options.tokenizer) {
    folder[HF_TOKENIZER_FILE] = options.tokenizer;
    folder[HF_TOKENIZER_CONFIG_FILE] = {
      tokenizer_class: 'PreTrainedTokenizerFast',
      model_max_length: maxLength,
      clean_up_tokenization_spaces: false,
      ...options.tokenizerConfig,
    };
  }
  return folder;
}

function checkFormat(format: HfFormat | undefined, only: HfFormat, className: string): void {
  if (format !== undefined && format !== only) {
    throw new ModelConfigError('format', `${className} maps to '${only}' only, got '${format}'`);
  }
}

async function decoderLMFolder(
  model: DecoderLM,
  requested: HfFormat | undefined,
): Promise<{ format: HfFormat; config: Record<string, unknown>; state: StateDict }> {
  const c = model.config;
  const format = requested ?? (c.position === 'rope' ? 'llama' : 'gpt2');
  const arch = Object.hasOwn(ARCHITECTURES, format)
    ? ARCHITECTURES[format as DecoderLMFormat]
    : undefined;
  if (!arch) {
    throw new ModelConfigError('format', `DecoderLM maps to 'gpt2' or 'llama', got '${format}'`);
  }
  const config = arch.toConfig(c);
  if (!c.tieEmbeddings && c.useBias) await assertZeroHeadBias(model, arch.className);
  return { format, config, state: arch.toState(model.stateDict(), c) };
}

/** What {@link decodeHuggingFace} built: the model, typed by the folder's `model_type`. */
export type HfDecoded =
  | { format: DecoderLMFormat; model: DecoderLM }
  | { format: 'marian'; model: EncoderDecoder }
  | { format: 'vit'; model: VisionTransformer };

/**
 * The model of a Hugging Face folder's `config.json` (`model_type` `gpt2`, `llama`, `marian` or
 * `vit`) and `model.safetensors`. Every tensor's name, shape and dtype is checked first; all
 * mismatches are reported together in one {@link SavedModelError} naming `source`.
 */
export function decodeHuggingFace(
  config: unknown,
  weights: Uint8Array,
  source = 'model',
): HfDecoded {
  const raw = (config ?? {}) as Record<string, unknown>;
  const format = raw.model_type as HfFormat;
  const configSource = `${source}/${HF_CONFIG_FILE}`;
  const weightsSource = `${source}/${HF_WEIGHTS_FILE}`;
  if (format === 'marian') {
    const model = new EncoderDecoder(fromMarianConfig(raw, configSource).config);
    return { format, model: loadMapped(model, weights, weightsSource, fromMarianState) };
  }
  if (format === 'vit') {
    const model = new VisionTransformer(fromViTConfig(raw, configSource));
    return { format, model: loadMapped(model, weights, weightsSource, fromViTState) };
  }
  const arch = Object.hasOwn(ARCHITECTURES, format)
    ? ARCHITECTURES[format as DecoderLMFormat]
    : undefined;
  if (!arch) {
    throw new ModelConfigError(
      `${configSource}: model_type`,
      `${JSON.stringify(raw.model_type)} has no tformer mapping (gpt2, llama, marian and vit have)`,
    );
  }
  const model = new DecoderLM(arch.fromConfig(raw, configSource));
  return {
    format: format as DecoderLMFormat,
    model: loadMapped(model, weights, weightsSource, arch.fromState),
  };
}

type StateMapper<C> = (state: StateDict, c: C) => MappedState;

/** Loads `weights` into `model` through `fromState`; disposes the model when anything fails. */
function loadMapped<M extends SavableModel>(
  model: M,
  weights: Uint8Array,
  source: string,
  fromState: StateMapper<M['config']>,
): M {
  return loadCheckpoint(model, source, (model, owned) => {
    const mapped = fromState(safetensorsState(decodeSafetensors(weights), owned), model.config);
    owned.push(...mapped.created);
    return mapped;
  });
}

/** GPT-2's and Llama's untied heads have no bias: a model's can export only while all zeros. */
async function assertZeroHeadBias(model: DecoderLM, className: string): Promise<void> {
  const bias = model.head?.bias;
  if (!bias) return;
  const largest = tf.tidy(() => tf.max(tf.abs(bias)));
  const [value] = await largest.data();
  largest.dispose();
  if (value !== 0) {
    throw new ModelConfigError(
      'useBias',
      `${className}'s untied lm_head has no bias, and head.bias is not zero (max |b| ${value})`,
    );
  }
}
