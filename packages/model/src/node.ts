/**
 * The Node-only entry point `@tformer/model/node`: saving and loading models as files. The root
 * entry `@tformer/model` keeps the byte-level `encodeModel`/`decodeModel`, so it bundles for
 * browsers with no `node:*` import. Writes are atomic: each file goes to a temporary name in the
 * same directory and is renamed over the old one only once complete, so a crash never leaves a
 * half-written model and a failed save leaves the earlier one intact. Hugging Face model folders
 * (`saveHuggingFace`/`loadHuggingFace`, see docs/interop.md) are written the same way.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { parseJsonFile } from '@tformer/nn';
import { writeFileAtomic } from '@tformer/nn/node';
import { SavedModelError } from './errors.js';
import type { SavableModel } from './model-classes.js';
import { encodeQuantizedModel } from './quantize/quantize-model.js';
import type { QuantizeOptions } from './quantize/quantized-safetensors.js';
import {
  CONFIG_FILE,
  decodeModel,
  encodeModel,
  type SaveOptions,
  WEIGHTS_FILE,
} from './save-load.js';

export {
  type LoadedHuggingFace,
  loadHuggingFace,
  saveHuggingFace,
} from './hf/hf-files.js';

/** Writes `model` to directory `dir` (created if needed), replacing any earlier save atomically. */
export async function saveModel(
  dir: string,
  model: SavableModel,
  options: SaveOptions = {},
): Promise<void> {
  const { config, weights } = await encodeModel(model, options);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(`${dir}/${WEIGHTS_FILE}`, weights);
  await writeFileAtomic(`${dir}/${CONFIG_FILE}`, `${JSON.stringify(config, null, 2)}\n`);
}

/**
 * Writes `model` to directory `dir` with int8 or int4 weights (see `encodeQuantizedModel`),
 * atomically; {@link loadModel} reads it back as a float32 model.
 *
 * @example
 * ```ts
 * await saveQuantizedModel('runs/q4/model', model, { scheme: 'int4', groupSize: 64 });
 * ```
 */
export async function saveQuantizedModel(
  dir: string,
  model: SavableModel,
  options: QuantizeOptions,
): Promise<void> {
  const { config, weights } = await encodeQuantizedModel(model, options);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(`${dir}/${WEIGHTS_FILE}`, weights);
  await writeFileAtomic(`${dir}/${CONFIG_FILE}`, `${JSON.stringify(config, null, 2)}\n`);
}

/**
 * Loads a directory written by {@link saveModel}, or a Hugging Face GPT-2 directory (its
 * `config.json` with `model_type: "gpt2"` and `model.safetensors`), into a new model. See
 * `decodeModel` for the checks; a `config.json` that is not valid JSON (truncated) raises a
 * `SavedModelError` naming the file.
 */
export async function loadModel(dir: string): Promise<SavableModel> {
  const path = `${dir}/${CONFIG_FILE}`;
  const config = parseJsonFile(
    await readFile(path, 'utf8'),
    path,
    (message) => new SavedModelError(path, [], message),
  );
  const weights = new Uint8Array(await readFile(`${dir}/${WEIGHTS_FILE}`));
  return decodeModel(config, weights, dir);
}
