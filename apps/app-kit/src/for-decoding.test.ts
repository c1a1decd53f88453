import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { forDecoding } from './common-options.js';

describe('forDecoding', () => {
  it('asks for oneDNN off unless the environment chose, keeping the other flags', () => {
    const flags = { backend: 'node', wasmThreads: '2', verbose: true };
    expect(tf.findBackendFactory('tensorflow')).toBeNull();
    expect(forDecoding(flags, {})).toEqual({ ...flags, onednn: false });
    expect(forDecoding(flags, { TF_ENABLE_ONEDNN_OPTS: '1' })).toEqual(flags);
    expect(forDecoding(flags, { TF_ENABLE_ONEDNN_OPTS: '0' })).toEqual(flags);
  });

  it('leaves a process whose libtensorflow already loaded with its setting', () => {
    // What importing tfjs-node does as it loads: register the `tensorflow` backend's factory.
    tf.registerBackend('tensorflow', () => ({}) as tf.KernelBackend);
    try {
      expect(forDecoding({ backend: 'node' }, {})).toEqual({ backend: 'node' });
    } finally {
      tf.removeBackend('tensorflow');
    }
  });
});
