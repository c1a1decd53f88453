// The package build: tsc, then the gradient bundle over tsc's dist/register-gradients.js.
// usage: node scripts/build.mjs [outDir]   (default: dist; the built-package test uses another)
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleGradients } from './bundle-gradients.mjs';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(pkg, process.argv[2] ?? 'dist');
rmSync(outDir, { recursive: true, force: true });
const tsc = createRequire(join(pkg, 'package.json')).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(pkg, 'tsconfig.build.json'), '--outDir', outDir], {
  stdio: 'inherit',
});
rmSync(join(outDir, 'register-gradients.js.map'), { force: true });
await bundleGradients(outDir);
