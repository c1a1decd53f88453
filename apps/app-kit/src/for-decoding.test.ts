import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { forDecoding } from './common-options.js';

describe('forDecoding', () => {
  it('asks for oneDNN off and one intra-op thread unless the environment chose, keeping the other flags', () => {
    const flags = { backend: 'node', wasmThreads: '2', verbose: true };
    expect(tf.findBackendFactory('tensorflow')).toBeNull();
    expect(forDecoding(flags, {})).toEqual({ ...flags, onednn: false, intraOpThreads: 1 });
    expect(forDecoding(flags, { TF_ENABLE_ONEDNN_OPTS: '1' })).toEqual({
      ...flags,
      intraOpThreads: 1,
    });
    expect(forDecoding(flags, { TF_ENABLE_ONEDNN_OPTS: '0', TF_NUM_INTRAOP_THREADS: '4' })).toEqual(
      flags,
    );
    expect(forDecoding(flags, { TF_NUM_INTRAOP_THREADS: '2' })).toEqual({
      ...flags,
      onednn: false,
    });
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
