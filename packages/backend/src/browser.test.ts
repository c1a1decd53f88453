import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { autoOrderFor, InvalidBackendOptionError } from './index.js';
import { AUTO_ORDER, BROWSER_AUTO_ORDER } from './names.js';
import { installHint, isMissingPeer } from './runtime.js';
import { autoReason, selectBackend } from './select-backend.js';
import { validateWasmPaths } from './wasm.js';
import { bundledWasmPaths, WASM_BINARIES } from './wasm-assets.js';
import { isSoftwareRenderer } from './webgl.js';
import { WEBGL_DEFAULT_FLAGS } from './webgl-flags.js';
import { describeAdapter } from './webgpu.js';

// What `auto` and the starters decide in a browser, through the small pure functions they use
// (vitest runs in Node; the real-browser run is scripts/browser/).

describe('auto order per runtime', () => {
  it('tries GPU backends, then wasm, then cpu in browsers, and never tfjs-node', () => {
    expect(autoOrderFor('browser')).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
    expect(BROWSER_AUTO_ORDER).not.toContain('node');
    expect(BROWSER_AUTO_ORDER).not.toContain('node-gpu');
  });

  it('keeps the Node order, without webgl', () => {
    expect(autoOrderFor('node')).toEqual(['node-gpu', 'webgpu', 'node', 'wasm', 'cpu']);
    expect(AUTO_ORDER).toBe(autoOrderFor('node'));
  });

  it('says in the reason why each earlier backend was skipped', () => {
    const reason = autoReason(BROWSER_AUTO_ORDER, [
      {
        name: 'webgpu',
        error:
          "backend 'webgpu' is unavailable: only a software adapter (google / swiftshader), slower than wasm\n" +
          "  fix: ask for 'webgpu' by name",
      },
      {
        name: 'webgl',
        error:
          "backend 'webgl' is unavailable: only a software renderer (SwiftShader), slower than wasm",
      },
      {
        name: 'wasm',
        error:
          "backend 'wasm' is unavailable: tf.setBackend('wasm') returned false: tfjs-backend-wasm could not " +
          'load its binary from http://localhost:5173/x.wasm (the server answered 404 Not Found)',
      },
    ]);
    expect(reason).toBe(
      'auto: first of webgpu > webgl > wasm > cpu that started; skipped ' +
        'webgpu (only a software adapter (google / swiftshader), slower than wasm); ' +
        'webgl (only a software renderer (SwiftShader), slower than wasm); ' +
        "wasm (tf.setBackend('wasm') returned false: tfjs-backend-wasm could not load its binary from " +
        'http://localhost:5173/x.wasm (the server answered 404 Not Found))',
    );
    expect(autoReason(['wasm', 'cpu'], [])).toBe('auto: first of wasm > cpu that started');
  });

  it('puts the reasons into the selection when auto passes over a backend', async () => {
    const selection = await selectBackend('auto', { autoOrder: ['webgl', 'cpu'] });
    expect(selection.name).toBe('cpu');
    expect(selection.reason).toMatch(
      /^auto: first of webgl > cpu that started; skipped webgl \(WebGL exists only in browsers; this is Node .+\)$/,
    );
  });
});

describe('software GPUs', () => {
  it.each([
    'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)',
    'Google SwiftShader',
    'llvmpipe (LLVM 15.0.6, 256 bits)',
    'Mesa softpipe',
    'ANGLE (Microsoft, Microsoft Basic Render Driver Direct3D11 vs_5_0 ps_5_0)',
    'Software Rasterizer',
  ])('calls %s a software renderer', (renderer) => {
    expect(isSoftwareRenderer(renderer)).toBe(true);
  });

  it.each([
    'ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 (0x00002504) Direct3D11 vs_5_0 ps_5_0, D3D11)',
    'ANGLE (Apple, ANGLE Metal Renderer: Apple M2, Unspecified Version)',
    'Mesa Intel(R) UHD Graphics 620 (KBL GT2)',
    'AMD Radeon Pro 5500M OpenGL Engine',
  ])('calls %s hardware', (renderer) => {
    expect(isSoftwareRenderer(renderer)).toBe(false);
  });

  it('treats a WebGPU fallback adapter as software, in both places browsers report it', () => {
    expect(describeAdapter({ info: { vendor: 'nvidia', architecture: 'ampere' } }).software).toBe(
      false,
    );
    expect(describeAdapter({ info: { vendor: 'x', isFallbackAdapter: true } }).software).toBe(true);
    expect(describeAdapter({ isFallbackAdapter: true, info: { vendor: 'x' } }).software).toBe(true);
    expect(describeAdapter({ info: { vendor: 'google', architecture: 'swiftshader' } })).toEqual({
      adapter: 'google / swiftshader',
      software: true,
    });
  });
});

describe('missing optional peers', () => {
  it('names the exact install command, pinned', () => {
    expect(installHint('@tensorflow/tfjs-backend-webgl', '4.22.0')).toBe(
      'npm i @tensorflow/tfjs-backend-webgl@4.22.0   (or: pnpm add @tensorflow/tfjs-backend-webgl@4.22.0, ' +
        'yarn add @tensorflow/tfjs-backend-webgl@4.22.0)',
    );
  });

  const spec = '@tensorflow/tfjs-backend-webgl';
  it.each([
    'Failed to fetch dynamically imported module: http://localhost:5173/node_modules/.vite/deps/x.js',
    `Failed to resolve module specifier "${spec}". Relative references must start with either "/", "./", or "../".`,
    'error loading dynamically imported module: http://localhost:5173/x.js',
    `The specifier “${spec}” was a bare specifier, but was not remapped to anything.`,
    'Importing a module script failed.',
    `Failed to resolve import "${spec}" from "node_modules/@tformer/backend/dist/webgl.js". Does the file exist?`,
    `Could not resolve "${spec}" imported by "@tformer/backend". Is it installed?`, // Vite 8.4 dev, measured
    `Cannot find module '${spec}'`,
  ])('maps the browser/bundler error "%s" to "not installed"', (message) => {
    expect(isMissingPeer(new TypeError(message), spec, true)).toBe(true);
  });

  it('leaves other errors alone, and in Node needs Node’s own code for that package', () => {
    expect(isMissingPeer(new Error('WebGL context lost'), spec, true)).toBe(false);
    expect(
      isMissingPeer(new TypeError('Failed to fetch dynamically imported module: x'), spec, false),
    ).toBe(false);
    const node = Object.assign(new Error(`Cannot find package '${spec}' imported from x`), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    expect(isMissingPeer(node, spec, false)).toBe(true);
    const inner = Object.assign(new Error("Cannot find package 'long' imported from x"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    expect(isMissingPeer(inner, spec, false)).toBe(false);
  });
});

describe('wasm binaries for browsers', () => {
  it('resolves the three binaries beside wasm-assets, under wasm/', () => {
    const urls = bundledWasmPaths();
    expect(Object.keys(urls).sort()).toEqual([...WASM_BINARIES].sort());
    const here = dirname(fileURLToPath(new URL('./wasm-assets.ts', import.meta.url)));
    for (const [name, url] of Object.entries(urls)) {
      expect(fileURLToPath(url)).toBe(`${here}/wasm/${name}`);
    }
  });

  it('accepts a prefix or a complete map as wasmPaths, and rejects a partial one', async () => {
    expect(() => validateWasmPaths('/wasm/')).not.toThrow();
    expect(() => validateWasmPaths(bundledWasmPaths())).not.toThrow();
    expect(() => validateWasmPaths({ 'tfjs-backend-wasm.wasm': '/a.wasm' })).toThrow(
      /invalid wasmPaths: expected a URL prefix or a URL for each of tfjs-backend-wasm\.wasm, /,
    );
    await expect(selectBackend('auto', { wasmPaths: {} as never })).rejects.toThrow(
      InvalidBackendOptionError,
    );
  });
});

describe('webgl flags', () => {
  it('compiles shaders with shapes as uniforms by default', () => {
    expect(WEBGL_DEFAULT_FLAGS).toEqual({ WEBGL_USE_SHAPES_UNIFORMS: true });
  });
});
