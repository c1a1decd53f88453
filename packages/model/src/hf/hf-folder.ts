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
import { type CheckpointMismatch, ModelConfigError, SavedModelError } from '../errors.js';
import { type SavableModel, savableClassName } from '../model-classes.js';
import { compareState } from '../save-load.js';
import { fromGPT2Config, fromGPT2State, gpt2Config, gpt2State } from './gpt2.js';
import { fromLlamaConfig, fromLlamaState, llamaConfig, llamaState } from './llama.js';

/** The transformers architectures a {@link DecoderLM} maps to, by config.json `model_type`. */
export type HfFormat = 'gpt2' | 'llama';

export const HF_CONFIG_FILE = 'config.json';
export const HF_WEIGHTS_FILE = 'model.safetensors';
export const HF_GENERATION_CONFIG_FILE = 'generation_config.json';
export const HF_TOKENIZER_FILE = 'tokenizer.json';
export const HF_TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';

/** Special token ids written to config.json and generation_config.json (absent: null). */
export interface HfSpecialTokenIds {
  bos?: number;
  eos?: number;
  pad?: number;
}

export interface HfExportOptions {
  /** Default: `gpt2` for learned positions, `llama` for RoPE. */
  format?: HfFormat;
  /** A Hugging Face `tokenizer.json` object (e.g. `BytePairTokenizer.toJSON()`). */
  tokenizer?: object;
  /** Extra `tokenizer_config.json` fields (special token strings, …); written only with `tokenizer`. */
  tokenizerConfig?: Record<string, unknown>;
  specialTokenIds?: HfSpecialTokenIds;
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
  fromState(
    state: StateDict,
    c: ResolvedDecoderLMConfig,
  ): { state: StateDict; created: tf.Tensor[]; unexpected: string[] };
}

const ARCHITECTURES: Record<HfFormat, Architecture> = {
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
 * `model` as a Hugging Face folder. A model or field with no equivalent in the target
 * architecture fails with one {@link ModelConfigError} naming the field (`position: GPT2LMHeadModel
 * has learned positions only, got 'rope'`).
 */
export async function encodeHuggingFace(
  model: SavableModel,
  options: HfExportOptions = {},
): Promise<HfFolder> {
  if (!(model instanceof DecoderLM)) {
    throw new ModelConfigError(
      'className',
      `${savableClassName(model)} has no Hugging Face mapping yet (DecoderLM maps to GPT2LMHeadModel and LlamaForCausalLM)`,
    );
  }
  const c = model.config;
  const format = options.format ?? (c.position === 'rope' ? 'llama' : 'gpt2');
  const arch = ARCHITECTURES[format];
  if (!arch) throw new ModelConfigError('format', `expected 'gpt2' or 'llama', got '${format}'`);
  const ids = options.specialTokenIds ?? {};
  const config = {
    ...arch.toConfig(c),
    bos_token_id: ids.bos ?? null,
    eos_token_id: ids.eos ?? null,
    pad_token_id: ids.pad ?? null,
    torch_dtype: { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[options.dtype ?? 'F32'],
  };
  if (!c.tieEmbeddings && c.useBias) await assertZeroHeadBias(model, arch.className);
  const state = arch.toState(model.stateDict(), c);
  let weights: Uint8Array;
  try {
    weights = await stateDictToSafetensors(state, {
      dtype: options.dtype ?? 'F32',
      metadata: { format: 'pt' },
    });
  } finally {
    tf.dispose(Object.values(state));
  }
  const folder: HfFolder = {
    [HF_CONFIG_FILE]: config,
    [HF_WEIGHTS_FILE]: weights,
    [HF_GENERATION_CONFIG_FILE]: {
      bos_token_id: ids.bos ?? null,
      eos_token_id: ids.eos ?? null,
      pad_token_id: ids.pad ?? null,
      do_sample: false,
      max_length: c.maxLength,
    },
  };
  if (options.tokenizer) {
    folder[HF_TOKENIZER_FILE] = options.tokenizer;
    folder[HF_TOKENIZER_CONFIG_FILE] = {
      tokenizer_class: 'PreTrainedTokenizerFast',
      model_max_length: c.maxLength,
      clean_up_tokenization_spaces: false,
      ...options.tokenizerConfig,
    };
  }
  return folder;
}

/**
 * The {@link DecoderLM} of a Hugging Face folder's `config.json` (`model_type` `gpt2` or
 * `llama`) and `model.safetensors`. Every tensor's name, shape and dtype is checked first; all
 * mismatches are reported together in one {@link SavedModelError} naming `source`.
 */
export function decodeHuggingFace(
  config: unknown,
  weights: Uint8Array,
  source = 'model',
): { model: DecoderLM; format: HfFormat } {
  const raw = (config ?? {}) as Record<string, unknown>;
  const format = raw.model_type as HfFormat;
  const arch = Object.hasOwn(ARCHITECTURES, format) ? ARCHITECTURES[format] : undefined;
  if (!arch) {
    throw new ModelConfigError(
      `${source}/${HF_CONFIG_FILE}: model_type`,
      `${JSON.stringify(raw.model_type)} has no tformer mapping (gpt2 and llama have)`,
    );
  }
  const decoded = decodeSafetensors(weights);
  const model = new DecoderLM(arch.fromConfig(raw, `${source}/${HF_CONFIG_FILE}`));
  const owned: tf.Tensor[] = [];
  try {
    const state: StateDict = {};
    for (const [name, t] of Object.entries(decoded.tensors)) {
      const tensor = tf.tensor(t.data, t.shape, t.tfDtype);
      owned.push(tensor);
      state[name] = tensor;
    }
    const mapped = arch.fromState(state, model.config);
    owned.push(...mapped.created);
    const mismatches = [
      ...mapped.unexpected.map((name): CheckpointMismatch => ({ name, kind: 'unexpected' })),
      ...compareState(model, mapped.state),
    ];
    if (mismatches.length > 0)
      throw new SavedModelError(`${source}/${HF_WEIGHTS_FILE}`, mismatches);
    model.loadStateDict(mapped.state);
    return { model, format };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    tf.dispose(owned);
  }
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
