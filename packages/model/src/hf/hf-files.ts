/**
 * Hugging Face model folders on disk (Node only; reached through `@tformer/model/node`). Each
 * file is written atomically (a temporary name in the same directory, then a rename), weights
 * first and config.json last, so a folder with a config.json is always complete.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseJsonFile } from '@tformer/nn';
import { SavedModelError } from '../errors.js';
import type { SavableModel } from '../model-classes.js';
import { writeAtomic } from '../write-atomic.js';
import {
  decodeHuggingFace,
  encodeHuggingFace,
  HF_CONFIG_FILE,
  HF_GENERATION_CONFIG_FILE,
  HF_TOKENIZER_CONFIG_FILE,
  HF_TOKENIZER_FILE,
  HF_WEIGHTS_FILE,
  type HfDecoded,
  type HfExportOptions,
} from './hf-folder.js';

/**
 * Writes `model` as a Hugging Face folder `dir` (created if needed) that transformers'
 * `from_pretrained(dir)` loads (`AutoModelForCausalLM`, `MarianMTModel`, `ViTForImageClassification`): see `encodeHuggingFace` for the files and
 * what cannot map. Returns the names of the files written.
 *
 * @example
 * ```ts
 * await saveHuggingFace('out/hf', model, { tokenizer: bpe.toJSON() });
 * ```
 */
export async function saveHuggingFace(
  dir: string,
  model: SavableModel,
  options: HfExportOptions = {},
): Promise<string[]> {
  const folder = await encodeHuggingFace(model, options);
  await mkdir(dir, { recursive: true });
  await writeAtomic(join(dir, HF_WEIGHTS_FILE), folder[HF_WEIGHTS_FILE]);
  const written = [HF_WEIGHTS_FILE];
  for (const name of [
    HF_TOKENIZER_FILE,
    HF_TOKENIZER_CONFIG_FILE,
    HF_GENERATION_CONFIG_FILE,
    HF_CONFIG_FILE,
  ] as const) {
    const json = folder[name];
    if (json === undefined) continue;
    await writeAtomic(join(dir, name), `${JSON.stringify(json, null, 2)}\n`);
    written.push(name);
  }
  return written;
}

/**
 * What {@link loadHuggingFace} read: the model (typed by `format`: narrow on it) and the folder's
 * other JSON files, if present.
 */
export type LoadedHuggingFace = HfDecoded & {
  config: Record<string, unknown>;
  tokenizer?: object;
  tokenizerConfig?: Record<string, unknown>;
  generationConfig?: Record<string, unknown>;
};

/**
 * Reads a Hugging Face folder (`config.json` of `gpt2`, `llama`, `marian` or `vit`, `model.safetensors`; the
 * tokenizer and generation files when present), as transformers' `save_pretrained` writes it.
 * A missing or malformed file raises a {@link SavedModelError} naming it.
 */
export async function loadHuggingFace(dir: string): Promise<LoadedHuggingFace> {
  const config = (await readJson(dir, HF_CONFIG_FILE, true)) as Record<string, unknown>;
  const weightsPath = join(dir, HF_WEIGHTS_FILE);
  const weights = await readFile(weightsPath).catch(() => {
    throw new SavedModelError(
      weightsPath,
      [],
      `${weightsPath}: missing (only a single model.safetensors is read: save_pretrained(dir, safe_serialization=True, max_shard_size="100GB"))`,
    );
  });
  return {
    ...decodeHuggingFace(config, new Uint8Array(weights), dir),
    config,
    tokenizer: await readJson(dir, HF_TOKENIZER_FILE, false),
    tokenizerConfig: (await readJson(dir, HF_TOKENIZER_CONFIG_FILE, false)) as
      | Record<string, unknown>
      | undefined,
    generationConfig: (await readJson(dir, HF_GENERATION_CONFIG_FILE, false)) as
      | Record<string, unknown>
      | undefined,
  };
}

async function readJson(dir: string, name: string, required: boolean): Promise<object | undefined> {
  const path = join(dir, name);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    if (!required) return undefined;
    throw new SavedModelError(
      path,
      [],
      `${path}: missing (is ${dir} a Hugging Face model folder?)`,
    );
  }
  const value = parseJsonFile(text, path, (message) => new SavedModelError(path, [], message));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SavedModelError(path, [], `${path}: expected a JSON object`);
  }
  return value;
}
