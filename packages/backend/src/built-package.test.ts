import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

// The package as published, built by the same script as `pnpm build`, into a scratch directory
// inside node_modules/ so that its `@tensorflow/*` imports resolve as they would for a user.
const pkg = fileURLToPath(new URL('..', import.meta.url));
const out = join(pkg, 'node_modules', '.cache', 'tformer-backend-built');

const ESM_CHECK = `
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from './index.js';
const { name } = await selectBackend(process.argv[2]);
const x = tf.tensor2d([[1, -2], [3, 0.5]]);
const w = tf.tensor2d([[0.5, 1], [-1, 2]]);
const [gx, gw] = tf.grads((a, b) => tf.sum(tf.square(tf.matMul(a, b))))([x, w]);
const gs = tf.grad((a) => tf.sum(tf.mul(tf.softmax(a), tf.tensor1d([1, 0, 0]))))(tf.tensor1d([0, 0, 0]));
console.log(JSON.stringify({ name, gx: Array.from(await gx.data()), gw: Array.from(await gw.data()), gs: Array.from(await gs.data()) }));
`;

const CJS_CHECK = `
const tf = require('@tensorflow/tfjs-core');
const { selectBackend } = require('./index.js');
selectBackend(process.argv[2]).then(async ({ name }) => {
  const g = tf.grad((a) => tf.sum(tf.square(a)))(tf.tensor1d([1, -2, 3]));
  console.log(JSON.stringify({ name, g: Array.from(await g.data()) }));
});
`;

function run(file: string, backend: string): Record<string, unknown> {
  const stdout = execFileSync(process.execPath, [join(out, file), backend], {
    encoding: 'utf8',
    timeout: 500_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

describe('the built package in plain Node (not vitest)', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [join(pkg, 'scripts', 'build.mjs'), out], {
      stdio: 'pipe',
      timeout: 500_000,
    });
    writeFileSync(join(out, 'check.mjs'), ESM_CHECK);
    writeFileSync(join(out, 'check.cjs'), CJS_CHECK);
  });

  it('ships the gradient registrations as one self-contained module', () => {
    const bundle = readFileSync(join(out, 'register-gradients.js'), 'utf8');
    expect(bundle).not.toMatch(/^\s*(import|export)\b.*from\s+['"]\.{1,2}\//m); // no relative imports left
    expect(bundle).toMatch(/kernelName: "?Neg"?,/);
    expect(bundle).toMatch(/registerGradient\(/);
  });

  it('ships the three tfjs-backend-wasm binaries in dist/wasm/, and wasm-assets points at them', async () => {
    const { createRequire } = await import('node:module');
    const { pathToFileURL } = await import('node:url');
    const installed = join(
      dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')),
    );
    const { bundledWasmPaths } = (await import(
      /* @vite-ignore */ pathToFileURL(join(out, 'wasm-assets.js')).href
    )) as typeof import('./wasm-assets.js');
    const urls = bundledWasmPaths();
    expect(Object.keys(urls)).toHaveLength(3);
    for (const [name, url] of Object.entries(urls)) {
      expect(fileURLToPath(url)).toBe(join(out, 'wasm', name));
      const shipped = readFileSync(join(out, 'wasm', name));
      expect([...shipped.subarray(0, 4)]).toEqual([0, 0x61, 0x73, 0x6d]); // \0asm
      expect(shipped.equals(readFileSync(join(installed, name)))).toBe(true);
    }
    // package.json's `files` ships dist/ (and so dist/wasm/), leaving out only tests.
    const files = (
      JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { files: string[] }
    ).files;
    expect(files).toContain('dist');
    expect(files.filter((f) => f.startsWith('!') && /wasm/.test(f))).toEqual([]);
  });

  it.each(['cpu', 'wasm'])('ESM: computes matMul and softmax gradients on %s', (backend) => {
    const r = run('check.mjs', backend);
    expect(r.name).toBe(backend);
    // y = x·w; d sum(y²)/dx = 2y·wᵀ, d/dw = xᵀ·2y with y = [[2.5, -3], [1, 4]]
    expect(r.gx).toEqual([-3.5, -17, 9, 14]);
    expect(r.gw).toEqual([11, 18, -9, 16]);
    // d softmax(a)_0 / da at a = 0: p0(δ - p) = [2/9, -1/9, -1/9]
    for (const [got, want] of (r.gs as number[]).map((v, i) => [v, [2 / 9, -1 / 9, -1 / 9][i]!])) {
      expect(got).toBeCloseTo(want!, 6);
    }
  });

  it('CJS: require() of the ESM build (Node ≥ 20.19) computes a gradient', () => {
    expect(run('check.cjs', 'cpu')).toEqual({ name: 'cpu', g: [2, -4, 6] });
  });
});

describe('the TypeScript source in plain Node through tsx (as `pnpm bench` scripts run)', () => {
  it('registers gradients from the bundle it makes under node_modules/.cache', () => {
    const script = join(out, 'source-check.mts');
    writeFileSync(
      script,
      [
        "import * as tf from '@tensorflow/tfjs-core';",
        `import { selectBackend } from ${JSON.stringify(join(pkg, 'src', 'index.ts'))};`,
        "await selectBackend('cpu');",
        'const g = tf.grad((a: tf.Tensor) => tf.sum(tf.square(a)))(tf.tensor1d([1, -2, 3]));',
        'console.log(JSON.stringify(Array.from(await g.data())));',
      ].join('\n'),
    );
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', script], {
      cwd: pkg,
      encoding: 'utf8',
      timeout: 500_000,
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual([2, -4, 6]);
  });
});

describe('the built package in a browser bundle (vite)', () => {
  it('bundles with the gradient registrations and without Node-only modules or warnings', async () => {
    const { build } = await import('vite');
    const { readdirSync } = await import('node:fs');
    writeFileSync(
      join(out, 'browser-entry.js'),
      "import { selectBackend } from './index.js';\nawait selectBackend('auto');\n",
    );
    const warnings: string[] = [];
    const logger = {
      info: () => {},
      warn: (m: string) => warnings.push(m),
      warnOnce: (m: string) => warnings.push(m),
      error: (m: string) => warnings.push(m),
      clearScreen: () => {},
      hasErrorLogged: () => false,
      hasWarned: false,
    };
    const bundleDir = join(out, 'browser-bundle');
    await build({
      configFile: false,
      root: out,
      logLevel: 'warn',
      customLogger: logger,
      build: {
        outDir: bundleDir,
        emptyOutDir: true,
        minify: false,
        rolldownOptions: { input: join(out, 'browser-entry.js') },
      },
    });
    expect(warnings).toEqual([]);
    const chunks = readdirSync(join(bundleDir, 'assets'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(bundleDir, 'assets', f), 'utf8'));
    expect(
      chunks.some((c) => /kernelName: "?Neg"?,/.test(c) && c.includes('registerGradient')),
    ).toBe(true);
    expect(chunks.filter((c) => /from ['"]node:|checkSameTfjsCore/.test(c))).toEqual([]);
    // The three wasm binaries became assets of the app, and the code points at them.
    const assets = readdirSync(join(bundleDir, 'assets'));
    for (const name of [
      'tfjs-backend-wasm',
      'tfjs-backend-wasm-simd',
      'tfjs-backend-wasm-threaded-simd',
    ]) {
      const asset = assets.find((f) => new RegExp(`^${name}-[\\w-]+\\.wasm$`).test(f));
      expect(asset, `${name}.wasm emitted`).toBeDefined();
      expect(chunks.some((c) => c.includes(asset!))).toBe(true);
    }
  });
});
