// Bundles tfjs-core's gradient registrations (dist/register_all_gradients.js and what it imports)
// into one self-contained ES module, because plain Node cannot load tfjs-core's ESM dist (its
// imports have no file extensions). The bundle keeps its state in tfjs-core's globals (engine,
// kernel and gradient registries), so it registers into whichever copy of tfjs-core is loaded.
// usage: node scripts/bundle-gradients.mjs [outDir]   (default: dist)
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Writes `register-gradients.js` into `outDir`; returns its path. */
export async function bundleGradients(outDir = join(here, '..', 'dist')) {
  const require = createRequire(join(here, '..', 'package.json'));
  const core = dirname(require.resolve('@tensorflow/tfjs-core/package.json'));
  const { build } = await import(pathToFileURL(require.resolve('vite')).href);
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir: resolve(outDir),
      emptyOutDir: false,
      minify: false,
      sourcemap: false,
      lib: {
        entry: join(core, 'dist/register_all_gradients.js'),
        formats: ['es'],
        fileName: () => 'register-gradients.js',
      },
      rolldownOptions: { external: ['@tensorflow/tfjs-core'] },
    },
  });
  return join(resolve(outDir), 'register-gradients.js');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(await bundleGradients(process.argv[2]));
}
