/**
 * Classify and translate runs in the worker, through `@tformer/pipelines`: the same code path as
 * `pipeline('text-classification' | 'translation', files)` in any app, so the page shows what
 * the library gives. One task model at a time, disposed when a new one is loaded.
 */
import { TextClassifier, Translator } from '@tformer/pipelines';
import type { TaskFiles, TaskReport, TaskResult } from './protocol.js';

let task: TextClassifier | Translator | undefined;

/**
 * Builds the pipeline for a classify or translate run, replacing (and disposing) the previous one.
 * A worker keeps one backend for its life (the page starts a new worker to switch backends).
 */
export function loadTask(files: TaskFiles): TaskReport {
  const common = { config: files.modelConfig as object, weights: new Uint8Array(files.weights) };
  const runConfig = files.runConfig as object | undefined;
  const next =
    files.kind === 'classify'
      ? TextClassifier.fromFiles({
          ...common,
          tokenizer: files.vocabulary as object,
          ...(runConfig ? { runConfig } : {}),
        })
      : Translator.fromFiles({
          ...common,
          vocab: files.vocabulary as object,
          ...(runConfig ? { runConfig } : {}),
        });
  task?.dispose();
  task = next;
  return { kind: files.kind, className: next.model.constructor.name, source: files.source };
}

export async function runTask(text: string): Promise<TaskResult> {
  if (!task) throw new Error('no classify or translate run is loaded');
  if (task instanceof TextClassifier) {
    return { kind: 'classify', classes: await task.classify(text, { topK: 3 }) };
  }
  return { kind: 'translate', translation: await task.translate(text) };
}
