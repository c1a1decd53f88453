import * as tf from '@tensorflow/tfjs-core';
import { importOptional, isNode, siblingModule } from './runtime.js';

let registered: Promise<void> | undefined;

/**
 * Registers tfjs-core's gradient functions, which its Node bundle leaves out (`tf.grad` otherwise
 * fails with "gradient function not found for Neg"). {@link selectBackend} calls it; call it
 * yourself only if you set a backend some other way. Idempotent.
 *
 * @example
 * ```ts
 * await ensureGradients();
 * const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([1, 2]));
 * ```
 */
export function ensureGradients(): Promise<void> {
  registered ??= import('./register-gradients.js')
    .catch(async (error: unknown) => {
      // Only when running this package's TypeScript source in plain Node (tsx): tfjs-core's ESM
      // dist cannot load there, so make the same bundle the build ships and load that.
      const code = (error as { code?: string }).code ?? '';
      if (!isNode() || !/^ERR_(UNSUPPORTED_DIR_IMPORT|MODULE_NOT_FOUND)$/.test(code)) throw error;
      await import(/* @vite-ignore */ await gradientBundleFromSource());
    })
    .then(() => {
      if (!tf.getGradient('Neg'))
        throw new Error('tfjs-core gradients did not register (no gradient for Neg)');
    });
  return registered;
}

/**
 * The gradient bundle for source runs, made once per tfjs-core version under
 * node_modules/.cache and shared by later processes (written to a temporary directory, then
 * renamed into place, so a concurrent process never reads half a file). Returns its file URL.
 */
async function gradientBundleFromSource(): Promise<string> {
  const { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } =
    await importOptional<typeof import('node:fs')>('node:fs');
  const { fileURLToPath, pathToFileURL } =
    await importOptional<typeof import('node:url')>('node:url');
  const cache = fileURLToPath(siblingModule('../node_modules/.cache/tformer-gradients/'));
  const target = `${cache}register-gradients-${tf.version_core}.js`;
  if (!existsSync(target)) {
    const script = siblingModule('../scripts/bundle-gradients.mjs');
    const { bundleGradients } = (await import(/* @vite-ignore */ script)) as {
      bundleGradients(outDir: string): Promise<string>;
    };
    mkdirSync(cache, { recursive: true });
    const scratch = mkdtempSync(`${cache}tmp-`);
    renameSync(await bundleGradients(scratch), target);
    rmSync(scratch, { recursive: true, force: true });
  }
  return pathToFileURL(target).href;
}
