/**
 * Saving and loading models as a directory `config.json` + `model.safetensors`.
 * {@link encodeModel}/{@link decodeModel} work on bytes on any runtime; {@link saveModel} and
 * {@link loadModel} add the file I/O and need Node (`node:fs` is imported only when they run, so
 * importing this package in a browser is fine). Writes are atomic: each file goes to a temporary
 * name in the same directory and is renamed over the old one only once complete, so a crash
 * never leaves a half-written model and a failed save leaves the earlier one intact.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  decodeSafetensors,
  formatShape,
  type Module,
  type StateDict,
  stateDictToSafetensors,
} from '@tformer/nn';
import { DecoderLM } from './decoder-lm.js';
import type { DecoderLMConfig } from './decoder-lm-config.js';
import { type CheckpointMismatch, SavedModelError } from './errors.js';
import { decoderLMStateToGPT2, gpt2StateToDecoderLM, isGPT2Buffer } from './gpt2-names.js';
import { MODEL_CLASSES, type SavableModel, savableClassName } from './model-classes.js';

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

/** Writes `model` to directory `dir` (created if needed), replacing any earlier save atomically. */
export async function saveModel(
  dir: string,
  model: SavableModel,
  options: SaveOptions = {},
): Promise<void> {
  const { config, weights } = await encodeModel(model, options);
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
  await writeAtomic(`${dir}/${WEIGHTS_FILE}`, weights);
  await writeAtomic(`${dir}/${CONFIG_FILE}`, `${JSON.stringify(config, null, 2)}\n`);
}

/**
 * Loads a directory written by {@link saveModel}, or a Hugging Face GPT-2 directory (its
 * `config.json` with `model_type: "gpt2"` and `model.safetensors`), into a new model. See
 * {@link decodeModel} for the checks.
 */
export async function loadModel(dir: string): Promise<SavableModel> {
  const { readFile } = await import('node:fs/promises');
  const config = JSON.parse(await readFile(`${dir}/${CONFIG_FILE}`, 'utf8')) as unknown;
  const weights = new Uint8Array(await readFile(`${dir}/${WEIGHTS_FILE}`));
  return decodeModel(config, weights, dir);
}

/**
 * Builds the model that `config` (a parsed `config.json`: ours or Hugging Face GPT-2's) describes
 * and loads `weights` (safetensors bytes) into it. Every tensor's name, shape and dtype is checked
 * first; all mismatches are reported together in one {@link SavedModelError} (naming `source`)
 * and nothing is built.
 */
export function decodeModel(config: unknown, weights: Uint8Array, source = 'model'): SavableModel {
  const raw = (config ?? {}) as Record<string, unknown>;
  const saved = raw.model_type === 'gpt2' ? fromHuggingFaceGPT2(raw) : checkSaved(raw, source);
  const factory = MODEL_CLASSES[saved.className as keyof typeof MODEL_CLASSES];
  if (!factory) {
    throw new SavedModelError(source, [], `${source}: unknown className '${saved.className}'`);
  }
  const decoded = decodeSafetensors(weights);
  const model = factory(upgradeModelConfig(saved.className, saved.config));
  const owned: tf.Tensor[] = [];
  try {
    let state: StateDict = {};
    for (const [name, t] of Object.entries(decoded.tensors)) {
      if (saved.naming === 'gpt2' && isGPT2Buffer(name.replace(/^transformer\./, ''))) continue;
      const tensor = tf.tensor(t.data, t.shape, t.tfDtype);
      owned.push(tensor);
      state[name] = tensor;
    }
    let unexpected: string[] = [];
    if (saved.naming === 'gpt2') {
      const mapped = gpt2StateToDecoderLM(state, (model as DecoderLM).config);
      owned.push(...mapped.created);
      ({ state, unexpected } = mapped);
    }
    const mismatches = [
      ...unexpected.map((name): CheckpointMismatch => ({ name, kind: 'unexpected' })),
      ...compareState(model, state),
    ];
    if (mismatches.length > 0) throw new SavedModelError(`${source}/${WEIGHTS_FILE}`, mismatches);
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
  const renamed = RENAMED_CONFIG_FIELDS[className];
  if (!renamed || typeof config !== 'object' || config === null) return config;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    const name = renamed[key] ?? key;
    if (name === key || !(name in config)) out[name] = value;
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

/** Writes `data` to `path` through a temporary file in the same directory and a rename. */
async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const { open, rename, rm } = await import('node:fs/promises');
  const temp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
