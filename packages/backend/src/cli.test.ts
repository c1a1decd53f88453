import { describe, expect, it } from 'vitest';
import {
  BACKEND_FLAGS_HELP,
  InvalidBackendOptionError,
  parseBackendArgs,
  selectBackendFromArgs,
  UnknownBackendError,
} from './index.js';

describe('parseBackendArgs', () => {
  it('reads --backend in both spellings and leaves the rest for the app', () => {
    expect(parseBackendArgs(['--backend', 'wasm', 'data.txt', '--steps', '3'], {})).toEqual({
      choice: 'wasm',
      source: '--backend',
      rest: ['data.txt', '--steps', '3'],
    });
    expect(parseBackendArgs(['--backend=node-gpu'], {}).choice).toBe('node-gpu');
  });

  it('falls back to TFORMER_BACKEND, then auto; a flag beats the environment', () => {
    expect(parseBackendArgs([], { TFORMER_BACKEND: 'cpu' })).toMatchObject({
      choice: 'cpu',
      source: 'TFORMER_BACKEND',
    });
    expect(parseBackendArgs([], {})).toMatchObject({ choice: 'auto', source: 'default' });
    expect(parseBackendArgs(['--backend', 'webgpu'], { TFORMER_BACKEND: 'cpu' }).choice).toBe(
      'webgpu',
    );
  });

  it('reads wasm threads from --wasm-threads or TFORMER_WASM_THREADS', () => {
    expect(parseBackendArgs(['--wasm-threads', '2'], {}).wasmThreads).toBe(2);
    expect(parseBackendArgs([], { TFORMER_WASM_THREADS: '4' }).wasmThreads).toBe(4);
    expect(parseBackendArgs([], {}).wasmThreads).toBeUndefined();
  });

  it('names the flag or variable and the bad value', () => {
    expect(() => parseBackendArgs(['--backend', 'cuda'], {})).toThrow(UnknownBackendError);
    expect(() => parseBackendArgs(['--backend', 'cuda'], {})).toThrow(
      "unknown --backend 'cuda': expected one of auto, cpu,",
    );
    expect(() => parseBackendArgs([], { TFORMER_BACKEND: 'gpu' })).toThrow(
      "unknown TFORMER_BACKEND 'gpu'",
    );
    expect(() => parseBackendArgs(['--backend'], {})).toThrow(
      'invalid --backend: expected a value, got null',
    );
    expect(() => parseBackendArgs(['--wasm-threads', 'two'], {})).toThrow(
      InvalidBackendOptionError,
    );
    expect(() => parseBackendArgs([], { TFORMER_WASM_THREADS: '0' })).toThrow(
      'invalid TFORMER_WASM_THREADS: expected an integer ≥ 1, got "0"',
    );
  });

  it('documents its flags for --help', () => {
    expect(BACKEND_FLAGS_HELP).toMatch(
      /--backend <name> +auto \| cpu \| wasm \| node \| node-gpu \| webgpu \| webgl/,
    );
    expect(BACKEND_FLAGS_HELP).toMatch(/--wasm-threads <n>/);
  });
});

describe('selectBackendFromArgs', () => {
  it('starts what the flags say and reports where the choice came from', async () => {
    const { selection, rest } = await selectBackendFromArgs(['--backend=cpu', 'x'], {});
    expect(selection).toMatchObject({ name: 'cpu', reason: 'requested by --backend' });
    expect(rest).toEqual(['x']);
    await expect(selectBackendFromArgs([], { TFORMER_BACKEND: 'webgl' })).rejects.toThrow(
      /WebGL exists only in browsers/,
    );
  });
});
