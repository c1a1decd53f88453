import type { BackendSelection } from '@tformer/backend';
import { describe, expect, it } from 'vitest';
import { backendReport } from './common-options.js';

const selection = {
  name: 'wasm',
  reason:
    "auto: first of node-gpu > webgpu > node > wasm > cpu that started; skipped node-gpu (no CUDA device); webgpu (only a software adapter); node (tfjs-node's addon is not built)",
  tried: [
    {
      name: 'node-gpu',
      error: "backend 'node-gpu' is unavailable: no CUDA device\n  fix: use 'node'",
    },
    { name: 'webgpu', error: "backend 'webgpu' is unavailable: only a software adapter" },
    { name: 'node', error: "backend 'node' is unavailable: tfjs-node's addon is not built" },
  ],
  info: { backend: 'wasm', tfjsVersion: '4.22.0', runtime: 'node 20', details: {} },
} as unknown as BackendSelection;

describe('backendReport', () => {
  it('is one line naming the backends auto skipped, pointing at --verbose', () => {
    expect(backendReport(selection, false)).toBe(
      'backend wasm: auto: first of node-gpu > webgpu > node > wasm > cpu that started; skipped node-gpu, webgpu, node (--verbose says why)\n',
    );
  });

  it('with verbose, says why each backend was skipped and how to fix it', () => {
    const text = backendReport(selection, true);
    expect(text).toContain(
      "  skipped node-gpu: backend 'node-gpu' is unavailable: no CUDA device\n  fix: use 'node'\n",
    );
    expect(text).toContain('  chosen: auto: first of');
    expect(text.split('\n').length).toBeGreaterThan(4);
  });

  it('is the reason alone when a backend was asked for by name', () => {
    const named = { ...selection, reason: 'requested by --backend', tried: [] };
    expect(backendReport(named as BackendSelection, false)).toBe(
      'backend wasm: requested by --backend\n',
    );
  });
});
