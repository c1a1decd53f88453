// Runs the browser snippet of @tformer/backend's README (copied into ./readme-snippet.ts by the
// driver, verbatim) and reports what `auto` chose, what it tried and why, as `window.__result`.
import * as tf from '@tensorflow/tfjs-core';

const result: Record<string, unknown> = {};
(window as unknown as { __result: typeof result }).__result = result;
const logs: string[] = [];
const original = console.log;
console.log = (...args: unknown[]) => {
  logs.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  original(...args);
};

import('./readme-snippet.js')
  .then((m: Record<string, unknown>) => {
    const sel = m.sel as { name: string; reason: string; tried: { name: string; error: string }[] };
    result.selection = sel && { name: sel.name, reason: sel.reason, tried: sel.tried };
    result.tfjsBackend = tf.getBackend();
  })
  .catch((error) => {
    result.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  })
  .finally(() => {
    result.logs = logs;
    result.done = true;
  });
