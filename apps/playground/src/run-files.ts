/**
 * Finds a saved language model among files the user picked or dropped: a run directory of
 * `apps/textgen` (config.json, tokenizer.json, model/config.json, model/model.safetensors,
 * checkpoints/…), or the three files the playground's Save downloads (config.json,
 * model.safetensors, tokenizer.json). Only bytes and JSON: no Node APIs.
 */
import type { RunFiles } from './protocol.js';

export interface PickedFile {
  /** Relative path (folder picker or drag-and-drop), else the file name. */
  path: string;
  blob: Blob;
}

const base = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const dir = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf('/')));
/** Checkpoints hold model files too; the saved model is preferred over them. */
const inCheckpoints = (path: string) => /(^|\/)checkpoints\//.test(path);
const byPreference = (a: PickedFile, b: PickedFile) =>
  Number(inCheckpoints(a.path)) - Number(inCheckpoints(b.path)) ||
  a.path.split('/').length - b.path.split('/').length ||
  a.path.localeCompare(b.path);

async function json(file: PickedFile): Promise<unknown> {
  try {
    return JSON.parse(await file.blob.text());
  } catch (error) {
    throw new Error(`${file.path}: not JSON (${error instanceof Error ? error.message : error})`);
  }
}

const isModelConfig = (c: unknown) => {
  const o = c as Record<string, unknown> | null;
  return (
    !!o && ((o.format === 'tformer' && typeof o.className === 'string') || o.model_type === 'gpt2')
  );
};

/** The run's files, plus notes on what was found (e.g. the textgen run's corpus and steps). */
export async function readRunFiles(
  files: readonly PickedFile[],
): Promise<{ files: RunFiles; notes: string[] }> {
  const notes: string[] = [];
  const weightsFiles = files
    .filter((f) => base(f.path).endsWith('.safetensors'))
    .sort(byPreference);
  const weights = weightsFiles[0];
  if (!weights) {
    throw new Error(
      `no .safetensors file among ${files.length} files: pick a textgen run directory (or its model/ folder and tokenizer.json), or the files Save downloaded`,
    );
  }
  let modelConfig: unknown;
  let configPath = '';
  const configs = files.filter((f) => base(f.path) === 'config.json').sort(byPreference);
  // The model's config.json sits next to its weights; otherwise any tformer/GPT-2 model config.
  const ordered = [
    ...configs.filter((f) => dir(f.path) === dir(weights.path)),
    ...configs.filter((f) => dir(f.path) !== dir(weights.path)),
  ];
  for (const file of ordered) {
    const parsed = await json(file);
    const app = parsed as { app?: string; corpus?: string; train?: { steps?: number } };
    if (app?.app === 'textgen') {
      notes.push(
        `textgen run: corpus ${app.corpus ?? '?'}, ${app.train?.steps ?? '?'} training steps`,
      );
    }
    if (modelConfig === undefined && isModelConfig(parsed)) {
      modelConfig = parsed;
      configPath = file.path;
    }
  }
  if (modelConfig === undefined) {
    throw new Error(
      `no model config.json (one with format 'tformer', or a GPT-2 config) among: ${configs.map((f) => f.path).join(', ') || 'no config.json at all'}`,
    );
  }
  const tokenizerFile = files
    .filter((f) => base(f.path) === 'tokenizer.json')
    .sort(byPreference)[0];
  if (!tokenizerFile) throw new Error('no tokenizer.json: the run directory has it at its top');
  notes.push(`model ${configPath} + ${weights.path}, tokenizer ${tokenizerFile.path}`);
  const root = files[0]?.path.includes('/') ? files[0].path.split('/')[0]! : 'picked files';
  return {
    files: {
      modelConfig,
      weights: await weights.blob.arrayBuffer(),
      tokenizer: await json(tokenizerFile),
      source: root,
    },
    notes,
  };
}
