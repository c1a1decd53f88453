/**
 * Finds a classify or translate run directory among picked files: the model's config.json says
 * `EncoderClassifier` or `EncoderDecoder`. Such runs are not language models, so the page hands
 * them to `@tformer/pipelines` (TextClassifier, Translator) instead of the training views. Only
 * bytes and JSON: no Node APIs.
 */

import type { TaskFiles } from './protocol.js';
import type { PickedFile } from './run-files.js';

const base = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const dir = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf('/')));
const parent = (path: string) => dir(dir(path));

const TASKS = { EncoderClassifier: 'classify', EncoderDecoder: 'translate' } as const;

async function json(file: PickedFile): Promise<unknown> {
  try {
    return JSON.parse(await file.blob.text());
  } catch (error) {
    throw new Error(`${file.path}: not JSON (${error instanceof Error ? error.message : error})`);
  }
}

/**
 * The files of a classify run (`model/`, `tokenizer.json`, the run's `config.json` with its
 * labels) or a translate run (`model/`, `vocab.json`, the run's `config.json` with its decoding
 * settings); `undefined` when the picked model is not one of them (a textgen run, say).
 */
export async function readTaskFiles(files: readonly PickedFile[]): Promise<TaskFiles | undefined> {
  const weights = files.find(
    (f) => base(f.path) === 'model.safetensors' && !/(^|\/)checkpoints\//.test(f.path),
  );
  if (!weights) return undefined;
  const modelConfigFile = files.find(
    (f) => base(f.path) === 'config.json' && dir(f.path) === dir(weights.path),
  );
  if (!modelConfigFile) return undefined;
  const modelConfig = (await json(modelConfigFile)) as { className?: string } | null;
  const kind = TASKS[modelConfig?.className as keyof typeof TASKS];
  if (!kind) return undefined;
  // The run directory is the model folder's parent: its config.json and vocabulary sit there.
  const root = parent(weights.path);
  const atRoot = (name: string) => files.find((f) => base(f.path) === name && dir(f.path) === root);
  const runConfig = atRoot('config.json');
  const vocabName = kind === 'classify' ? 'tokenizer.json' : 'vocab.json';
  const vocab = atRoot(vocabName);
  if (!vocab) {
    throw new Error(
      `${modelConfig!.className} in ${weights.path}, but no ${vocabName} beside its model/ folder: pick the whole ${kind} run directory`,
    );
  }
  return {
    kind,
    modelConfig,
    weights: await weights.blob.arrayBuffer(),
    vocabulary: await json(vocab),
    ...(runConfig ? { runConfig: await json(runConfig) } : {}),
    source: root || 'picked files',
  };
}
