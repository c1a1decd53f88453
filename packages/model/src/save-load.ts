/**
 * Saving and loading models as a directory `config.json` + `model.safetensors`, as bytes:
 * {@link encodeModel}/{@link decodeModel} work on any runtime (browsers included). The file I/O,
 * `saveModel` and `loadModel`, lives in the Node-only entry `@tformer/model/node` (node.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  type DecodedSafetensors,
  decodeSafetensors,
  formatShape,
  type Module,
  readSafetensorsHeader,
  type SafetensorsHeader,
  type StateDict,
  stateDictToSafetensors,
} from '@tformer/nn';
import { DecoderLM } from './decoder-lm.js';
import type { DecoderLMConfig } from './decoder-lm-config.js';
import { type CheckpointMismatch, ModelConfigError, SavedModelError } from './errors.js';
import { decoderLMStateToGPT2, gpt2StateToDecoderLM, isGPT2Buffer } from './gpt2-names.js';
import { MODEL_CLASSES, type SavableModel, savableClassName } from './model-classes.js';
import { modelParameterCount } from './parameter-count.js';
import { dequantizeState, readQuantizationMetadata } from './quantize/quantized-safetensors.js';

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';

/** Tensor naming in `model.safetensors`: ours, or Hugging Face GPT-2's (DecoderLM only). */
export type Naming = 'tformer' | 'gpt2';

export interface SaveOptions {
  /** Default `tformer` (our parameter names). */
  naming?: Naming;
  /** Float storage (default F32). */
  dtype?: 'F32' | 'F16' | 'BF16';
}

/** What `config.json` holds. */
export interface SavedConfig {
  format: 'tformer';
  version: 1;
  className: string;
  naming: Naming;
  config: unknown;
}

/** A model as the two files of a save: `config.json`'s object and `model.safetensors`' bytes. */
export async function encodeModel(
  model: SavableModel,
  { naming = 'tformer', dtype = 'F32' }: SaveOptions = {},
): Promise<{ config: SavedConfig; weights: Uint8Array }> {
  const className = savableClassName(model);
  let state: StateDict = model.stateDict();
  let created: tf.Tensor[] = [];
  if (naming === 'gpt2') {
    if (!(model instanceof DecoderLM)) {
      throw new SavedModelError(
        'naming',
        [],
        `naming: gpt2 naming is for DecoderLM, got ${className}`,
      );
    }
    ({ state, created } = decoderLMStateToGPT2(state, model.config));
  }
  try {
    const weights = await stateDictToSafetensors(state, { dtype, metadata: { format: 'pt' } });
    const config: SavedConfig = {
      format: 'tformer',
      version: 1,
      className,
      naming,
      config: model.getConfig(),
    };
    return { config, weights };
  } finally {
    tf.dispose(created);
  }
}

/**
 * Builds the model that `config` (a parsed `config.json`: ours or Hugging Face GPT-2's) describes
 * and loads `weights` (safetensors bytes) into it. Every tensor's name, shape and dtype is checked
 * first; all mismatches are reported together in one {@link SavedModelError} (naming `source`)
 * and nothing is built.
 */
export function decodeModel(config: unknown, weights: Uint8Array, source = 'model'): SavableModel {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new SavedModelError(source, [], `${source}/${CONFIG_FILE}: expected a JSON object`);
  }
  const raw = config as Record<string, unknown>;
  const saved = raw.model_type === 'gpt2' ? fromHuggingFaceGPT2(raw) : checkSaved(raw, source);
  // An own-property lookup: `"toString"` or `"__proto__"` is not a model class.
  if (!Object.hasOwn(MODEL_CLASSES, saved.className)) {
    throw new SavedModelError(
      source,
      [],
      `${source}: unknown className ${JSON.stringify(saved.className)} (expected one of ${Object.keys(MODEL_CLASSES).join(', ')})`,
    );
  }
  const className = saved.className as keyof typeof MODEL_CLASSES;
  const factory = MODEL_CLASSES[className];
  if (typeof saved.config !== 'object' || saved.config === null || Array.isArray(saved.config)) {
    throw new SavedModelError(source, [], `${source}/${CONFIG_FILE}: config must be an object`);
  }
  const modelConfig = upgradeModelConfig(className, saved.config);
  // Before anything is allocated: the header must hold exactly the values the config's model
  // has, so building it costs no more than the file justifies.
  checkWeightsFitConfig(readSafetensorsHeader(weights), className, modelConfig, saved, source);
  const decoded = decodeSafetensors(weights);
  const quantization = readQuantizationMetadata(decoded, `${source}/${WEIGHTS_FILE}`);
  return loadCheckpoint(factory(modelConfig), `${source}/${WEIGHTS_FILE}`, (model, owned) => {
    let state: StateDict = {};
    if (quantization !== undefined) {
      // Int8/int4 weights (see saveQuantizedModel): dequantized on the active backend.
      state = dequantizeState(decoded, quantization, `${source}/${WEIGHTS_FILE}`);
      owned.push(...Object.values(state));
    } else {
      const skip = (name: string) =>
        saved.naming === 'gpt2' && isGPT2Buffer(name.replace(/^transformer\./, ''));
      state = safetensorsState(decoded, owned, skip);
    }
    if (saved.naming !== 'gpt2') return { state, unexpected: [] };
    const mapped = gpt2StateToDecoderLM(state, (model as DecoderLM).config);
    owned.push(...mapped.created);
    return mapped;
  });
}

/** The tensors of `decoded` (but those `skip` names) on the active backend, each pushed to `owned`. */
export function safetensorsState(
  decoded: DecodedSafetensors,
  owned: tf.Tensor[],
  skip: (name: string) => boolean = () => false,
): StateDict {
  const state: StateDict = {};
  for (const [name, t] of Object.entries(decoded.tensors)) {
    if (skip(name)) continue;
    const tensor = tf.tensor(t.data, t.shape, t.tfDtype);
    owned.push(tensor);
    state[name] = tensor;
  }
  return state;
}

/**
 * Loads into `model` the state `read` makes from a checkpoint, after checking it against the
 * model's parameters (`unexpected`: names the checkpoint has that our format does not; any
 * mismatch is one {@link SavedModelError} naming `source`). The tensors `read` pushes to `owned`
 * are disposed after; the model is disposed when anything fails.
 */
export function loadCheckpoint<M extends SavableModel>(
  model: M,
  source: string,
  read: (model: M, owned: tf.Tensor[]) => { state: StateDict; unexpected: string[] },
): M {
  const owned: tf.Tensor[] = [];
  try {
    const { state, unexpected } = read(model, owned);
    const mismatches = [
      ...unexpected.map((name): CheckpointMismatch => ({ name, kind: 'unexpected' })),
      ...compareState(model, state),
    ];
    if (mismatches.length > 0) throw new SavedModelError(source, mismatches);
    model.loadStateDict(state);
    return model;
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    tf.dispose(owned);
  }
}

/** Every missing, unexpected, mis-shaped or mis-typed tensor of `state` against `model`. */
export function compareState(model: Module, state: StateDict): CheckpointMismatch[] {
  const out: CheckpointMismatch[] = [];
  const params = new Map(model.namedParameters());
  for (const [name, v] of params) {
    const t = state[name];
    if (t === undefined) {
      out.push({ name, kind: 'missing', expected: formatShape(v.shape), actual: 'nothing' });
      continue;
    }
    if (t.shape.join() !== v.shape.join() || t.rank !== v.rank) {
      out.push({
        name,
        kind: 'shape',
        expected: formatShape(v.shape),
        actual: formatShape(t.shape),
      });
    }
    if (t.dtype !== v.dtype) out.push({ name, kind: 'dtype', expected: v.dtype, actual: t.dtype });
  }
  for (const name of Object.keys(state)) {
    if (!params.has(name)) out.push({ name, kind: 'unexpected' });
  }
  return out;
}

/**
 * Compares a safetensors header with the model a config describes, without building it: the
 * model's parameters may not outnumber the header's values (GPT-2's mask buffers aside) by much,
 * and neither may tables the model derives from its config (sinusoidal positions), so building
 * the model costs no more than the file justifies.
 */
function checkWeightsFitConfig(
  header: SafetensorsHeader,
  className: keyof typeof MODEL_CLASSES,
  config: unknown,
  saved: SavedConfig,
  source: string,
): void {
  let stored = 0;
  for (const { name, shape } of header.entries) {
    if (saved.naming === 'gpt2' && isGPT2Buffer(name.replace(/^transformer\./, ''))) continue;
    stored += shape.reduce((a, b) => a * b, 1);
  }
  let expected: { parameters: number; tables: number };
  try {
    expected = modelParameterCount(className, config);
  } catch (error) {
    if (error instanceof ModelConfigError) {
      throw new SavedModelError(
        source,
        [],
        `${source}/${CONFIG_FILE}: config.${error.field}: ${error.message}`,
      );
    }
    throw error;
  }
  // A small difference is left to the full comparison after building, which names every
  // mismatching tensor; only a model far larger than the file is refused up front.
  if (expected.parameters > 2 * stored + MIN_TABLE_ALLOWANCE) {
    throw new SavedModelError(
      `${source}/${WEIGHTS_FILE}`,
      [],
      `${source}/${WEIGHTS_FILE} holds ${stored} values, but the ${className} that ` +
        `${CONFIG_FILE} describes has ${expected.parameters} parameters; nothing was built`,
    );
  }
  if (expected.tables > Math.max(4 * expected.parameters, MIN_TABLE_ALLOWANCE)) {
    throw new SavedModelError(
      source,
      [],
      `${source}/${CONFIG_FILE}: maxLength × dModel (${expected.tables}) is far larger than the ` +
        `model's ${expected.parameters} parameters`,
    );
  }
}

/**
 * Elements a model or derived table may always have beyond twice the file's values, however
 * small the file (a 4096 × 1024 table, 16 MB of float32).
 */
const MIN_TABLE_ALLOWANCE = 2 ** 22;

/**
 * Fields renamed since older versions wrote `config.json`, per model class: old name → new name.
 * The public config types use only the new names; reading a saved config maps the old ones here,
 * so models saved before the renames still load. Parameter names in the weights never changed.
 */
const RENAMED_CONFIG_FIELDS: Record<string, Record<string, string>> = {
  DecoderLM: { blockSize: 'maxLength', bias: 'useBias' },
  EncoderDecoder: { bias: 'useBias' },
};

/**
 * A model config as read from a saved `config.json` (or an app's own saved config), with the
 * field names older versions wrote mapped to today's (`blockSize` → `maxLength`, `bias` →
 * `useBias`); a field present under both names keeps the new one. Everything else passes through.
 */
export function upgradeModelConfig(className: string, config: unknown): unknown {
  const renamed = Object.hasOwn(RENAMED_CONFIG_FIELDS, className)
    ? RENAMED_CONFIG_FIELDS[className]
    : undefined;
  if (!renamed || typeof config !== 'object' || config === null) return config;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    const name = Object.hasOwn(renamed, key) ? renamed[key]! : key;
    // defineProperty: a `__proto__` key stays a plain (ignored) field, never the prototype.
    if (name === key || !Object.hasOwn(config, name)) {
      Object.defineProperty(out, name, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return out;
}

function checkSaved(raw: Record<string, unknown>, source: string): SavedConfig {
  if (raw.format !== 'tformer' || raw.version !== 1 || typeof raw.className !== 'string') {
    throw new SavedModelError(
      source,
      [],
      `${source}: expected a tformer config (format 'tformer', version 1) or a Hugging Face GPT-2 config`,
    );
  }
  const naming = raw.naming ?? 'tformer';
  if (naming !== 'tformer' && !(naming === 'gpt2' && raw.className === 'DecoderLM')) {
    throw new SavedModelError(
      source,
      [],
      `${source}/${CONFIG_FILE}: naming must be 'tformer' (or 'gpt2' for a DecoderLM)`,
    );
  }
  return raw as unknown as SavedConfig;
}

/** A Hugging Face `GPT2Config` as a DecoderLM config with GPT-2 naming. */
function fromHuggingFaceGPT2(raw: Record<string, unknown>): SavedConfig {
  const num = (key: string, fallback?: number) => (raw[key] as number | undefined) ?? fallback;
  const dModel = num('n_embd')!;
  const config: DecoderLMConfig = {
    vocabSize: num('vocab_size')!,
    maxLength: num('n_positions')!,
    numLayers: num('n_layer')!,
    numHeads: num('n_head')!,
    dModel,
    dFF: num('n_inner') ?? 4 * dModel,
    activation: 'gelu_tanh',
    position: 'learned',
    useBias: true,
    tieEmbeddings: true,
    layerNormEps: num('layer_norm_epsilon', 1e-5),
    dropout: 0,
  };
  return { format: 'tformer', version: 1, className: 'DecoderLM', naming: 'gpt2', config };
}
