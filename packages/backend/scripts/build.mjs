// The package build: tsc, then the gradient bundle over tsc's dist/register-gradients.js, then the
// three tfjs-backend-wasm binaries into dist/wasm/ (src/wasm-assets.ts points browsers at them).
// usage: node scripts/build.mjs [outDir]   (default: dist; the built-package test uses another)
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleGradients } from './bundle-gradients.mjs';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(pkg, process.argv[2] ?? 'dist');
rmSync(outDir, { recursive: true, force: true });
const require = createRequire(join(pkg, 'package.json'));
const tsc = require.resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(pkg, 'tsconfig.build.json'), '--outDir', outDir], {
  stdio: 'inherit',
});
rmSync(join(outDir, 'register-gradients.js.map'), { force: true });
await bundleGradients(outDir);
copyWasmBinaries(join(outDir, 'wasm'));

/** The binaries must come from exactly the tfjs-backend-wasm version this package depends on. */
function copyWasmBinaries(target) {
  const name = '@tensorflow/tfjs-backend-wasm';
  const wanted = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).dependencies[name];
  const installedJson = require.resolve(`${name}/package.json`);
  const installed = JSON.parse(readFileSync(installedJson, 'utf8')).version;
  if (installed !== wanted) {
    throw new Error(
      `${name}@${installed} is installed but @tformer/backend depends on exactly ${wanted}: ` +
        'its .wasm binaries must match its JavaScript (run pnpm install)',
    );
  }
  mkdirSync(target, { recursive: true });
  for (const file of [
    'tfjs-backend-wasm.wasm',
    'tfjs-backend-wasm-simd.wasm',
    'tfjs-backend-wasm-threaded-simd.wasm',
  ]) {
    copyFileSync(join(dirname(installedJson), 'dist', file), join(target, file));
  }
}
