import * as tf from '@tensorflow/tfjs-core';
import { afterEach, expect, it, vi } from 'vitest';
import { selectBackend } from './index.js';

afterEach(() => {
  vi.restoreAllMocks();
});

// Its own file: tfjs prints the banner once per process, on the cpu backend's first tensor.
it("starting 'cpu' in Node prints no tfjs banner (the selection already explains the backend)", async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  await selectBackend('cpu');
  tf.tensor1d([1, 2, 3]).dispose();
  const banner = warn.mock.calls.filter((args) =>
    String(args[0]).includes('looks like you are running'),
  );
  expect(banner).toEqual([]);
});
