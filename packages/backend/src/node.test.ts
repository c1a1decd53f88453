import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError } from './errors.js';
import { checkSameTfjsCore, findCudaDevices, startNode } from './node.js';

// A throw-away node_modules tree: package.json files are all module resolution reads here.
const root = mkdtempSync(join(tmpdir(), 'tformer-node-check-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function fakeInstall(dir: string, packages: Record<string, string>): string {
  for (const [path, version] of Object.entries(packages)) {
    const file = join(dir, path, 'package.json');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(
      file,
      JSON.stringify({ name: path.split('node_modules/').at(-1), version, main: 'index.js' }),
    );
  }
  const from = join(dir, 'app.js');
  writeFileSync(from, '');
  return pathToFileURL(from).href;
}

/**
 * pnpm's bin shims put the workspace's hoisted node_modules on NODE_PATH, where tfjs-node is always
 * found; a user's app has no such path. Runs `fn` with Node's global paths re-read without it.
 */
function withoutNodePath<T>(fn: () => T): T {
  const Module = createRequire(import.meta.url)('node:module') as { _initPaths(): void };
  const saved = process.env.NODE_PATH;
  const restore = () => {
    if (saved !== undefined) process.env.NODE_PATH = saved;
    Module._initPaths();
  };
  delete process.env.NODE_PATH;
  Module._initPaths();
  let result: T;
  try {
    result = fn();
  } catch (error) {
    restore();
    throw error;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}

describe('checkSameTfjsCore', () => {
  it('explains how to install tfjs-node when it is missing', () => {
    const from = fakeInstall(join(root, 'missing'), {
      'node_modules/@tensorflow/tfjs-core': tf.version_core,
    });
    const check = () =>
      withoutNodePath(() => checkSameTfjsCore('node', '@tensorflow/tfjs-node', from));
    expect(check).toThrow(BackendUnavailableError);
    expect(check).toThrow(
      `backend 'node' is unavailable: @tensorflow/tfjs-node is not installed (it is an optional peer dependency ` +
        `of @tformer/backend)\n  fix: pnpm add @tensorflow/tfjs-node@${tf.version_core}`,
    );
  });

  it('fails loudly when tfjs-node pulls in another tfjs-core version', () => {
    const from = fakeInstall(join(root, 'mismatch'), {
      'node_modules/@tensorflow/tfjs-core': tf.version_core,
      'node_modules/@tensorflow/tfjs-node': '4.21.0',
      'node_modules/@tensorflow/tfjs-node/node_modules/@tensorflow/tfjs': '4.21.0',
      'node_modules/@tensorflow/tfjs-node/node_modules/@tensorflow/tfjs/node_modules/@tensorflow/tfjs-core':
        '4.21.0',
    });
    expect(() => checkSameTfjsCore('node', '@tensorflow/tfjs-node', from)).toThrow(
      new RegExp(
        `version mismatch: @tensorflow/tfjs-node@4\\.21\\.0 runs on @tensorflow/tfjs-core@4\\.21\\.0, this program on ` +
          `@tensorflow/tfjs-core@${tf.version_core.replace(/\./g, '\\.')}\\n  fix: .*pnpm add @tensorflow/tfjs-node@`,
      ),
    );
  });

  it('fails on a second copy of the same tfjs-core version', () => {
    const from = fakeInstall(join(root, 'two-copies'), {
      'node_modules/@tensorflow/tfjs-core': tf.version_core,
      'node_modules/@tensorflow/tfjs-node': tf.version_core,
      'node_modules/@tensorflow/tfjs': tf.version_core,
      'node_modules/@tensorflow/tfjs/node_modules/@tensorflow/tfjs-core': tf.version_core,
    });
    expect(() => checkSameTfjsCore('node', '@tensorflow/tfjs-node', from)).toThrow(
      /two copies of @tensorflow\/tfjs-core/,
    );
  });

  it('accepts one shared copy of the same version', () => {
    const from = fakeInstall(join(root, 'ok'), {
      'node_modules/@tensorflow/tfjs-core': tf.version_core,
      'node_modules/@tensorflow/tfjs-node': tf.version_core,
      'node_modules/@tensorflow/tfjs': tf.version_core,
    });
    expect(checkSameTfjsCore('node', '@tensorflow/tfjs-node', from)).toBe(tf.version_core);
  });

  it("passes for this workspace's tfjs-node and tfjs-node-gpu", () => {
    expect(checkSameTfjsCore('node', '@tensorflow/tfjs-node')).toBe(tf.version_core);
    expect(checkSameTfjsCore('node-gpu', '@tensorflow/tfjs-node-gpu')).toBe(tf.version_core);
  });
});

describe('findCudaDevices', () => {
  it('counts the GPUs the NVIDIA driver lists, and says why there are none', () => {
    const proc = join(root, 'proc-gpus');
    expect(findCudaDevices(proc)).toEqual({
      count: 0,
      why: `no NVIDIA driver (${proc} does not exist)`,
    });
    mkdirSync(proc);
    expect(findCudaDevices(proc)).toEqual({ count: 0, why: `${proc} is empty` });
    mkdirSync(join(proc, '0000:3b:00.0'));
    expect(findCudaDevices(proc).count).toBe(1);
  });
});

describe('startNode', () => {
  it('explains a tfjs-node installed without its native addon, and names the fix', async () => {
    // tfjs-node as pnpm installs it with its install script off: the package, its dependencies
    // beside it, no lib/ (the addon) and no deps/ (libtensorflow).
    const real = realpathSync(
      createRequire(import.meta.url).resolve('@tensorflow/tfjs-node/package.json'),
    );
    const realPkg = dirname(real);
    const siblings = join(realPkg, '..', '..'); // …/.pnpm/@tensorflow+tfjs-node@…/node_modules
    const nm = join(root, 'no-addon', 'node_modules');
    mkdirSync(join(nm, '@tensorflow'), { recursive: true });
    cpSync(realPkg, join(nm, '@tensorflow', 'tfjs-node'), {
      recursive: true,
      filter: (src) =>
        !(dirname(src) === realPkg && ['lib', 'deps', 'build'].includes(basename(src))),
    });
    for (const entry of readdirSync(siblings)) {
      const scoped = entry.startsWith('@')
        ? readdirSync(join(siblings, entry)).map((n) => `${entry}/${n}`)
        : [entry];
      for (const name of scoped) {
        if (name === '@tensorflow/tfjs-node') continue;
        mkdirSync(dirname(join(nm, name)), { recursive: true });
        symlinkSync(join(siblings, name), join(nm, name));
      }
    }
    symlinkSync(
      dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-core/package.json')),
      join(nm, '@tensorflow', 'tfjs-core'),
    );
    const from = pathToFileURL(join(root, 'no-addon', 'app.js')).href;
    writeFileSync(join(root, 'no-addon', 'app.js'), '');
    const error = await withoutNodePath(() => startNode('node', from)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toMatch(
      /^backend 'node' is unavailable: @tensorflow\/tfjs-node is installed without its native addon \(its install script did not run or could not download libtensorflow\): .*tfjs_binding\.node/,
    );
    expect((error as BackendUnavailableError).hint).toMatch(
      /pnpm rebuild @tensorflow\/tfjs-node .*scripts\/setup-backends\.sh --node/,
    );
  });
});
