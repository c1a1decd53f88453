import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { encodeSafetensors } from '@tformer/nn';
import { describeWithBackends } from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { DecoderLM, decodeModel, encodeModel, ModelConfigError, SavedModelError } from './index.js';
import { loadModel } from './node.js';

const tiny = { vocabSize: 9, maxLength: 6, numLayers: 1, numHeads: 2, dModel: 8 };

function errorOf(f: () => unknown): unknown {
  const start = performance.now();
  try {
    f();
  } catch (e) {
    // A hang detector, not a speed assertion: the 6 kB file below took 53 s and 2.1 GB.
    expect(performance.now() - start).toBeLessThan(5_000);
    return e;
  }
  throw new Error('expected an error');
}

describeWithBackends('hostile saved models', () => {
  it('a 6 kB model.safetensors whose config says vocabSize 500000, dModel 1024 fails before building', async () => {
    const model = new DecoderLM(tiny, { rng: 1 });
    const { config, weights } = await encodeModel(model);
    model.dispose();
    expect(weights.length).toBeLessThan(8_000);
    const before = tf.memory().numBytes;
    const hostile = {
      ...config,
      config: { ...tiny, vocabSize: 500_000, dModel: 1024, numHeads: 2 },
    };
    const e = errorOf(() => decodeModel(hostile, weights, 'run/model'));
    expect(e).toBeInstanceOf(SavedModelError);
    expect((e as Error).message).toMatch(/holds \d+ values.*nothing was built/);
    expect(tf.memory().numBytes).toBe(before);
  });

  it.each([1e12, 2 ** 40, Number.MAX_VALUE, 1.5, -3, '12'])(
    'vocabSize %s is a typed error naming the field, not a RangeError',
    async (vocabSize) => {
      const e = errorOf(() => new DecoderLM({ ...tiny, vocabSize: vocabSize as number }));
      expect(e).toBeInstanceOf(ModelConfigError);
      expect((e as ModelConfigError).field).toBe('vocabSize');
      const model = new DecoderLM(tiny, { rng: 1 });
      const { config, weights } = await encodeModel(model);
      model.dispose();
      const hostile = { ...config, config: { ...tiny, vocabSize } };
      const loaded = errorOf(() => decodeModel(hostile, weights));
      expect(loaded).toBeInstanceOf(SavedModelError);
      expect((loaded as Error).message).toContain('vocabSize');
    },
  );

  it.each(['__proto__', 'toString', 'constructor', 'hasOwnProperty'])(
    'className %j is an unknown class, not a TypeError',
    (className) => {
      const weights = encodeSafetensors({});
      const config = { format: 'tformer', version: 1, className, naming: 'tformer', config: tiny };
      const e = errorOf(() => decodeModel(config, weights));
      expect(e).toBeInstanceOf(SavedModelError);
      expect((e as Error).message).toContain('unknown className');
    },
  );

  it('a config with a __proto__ field cannot inject fields through the prototype', async () => {
    const model = new DecoderLM(tiny, { rng: 1 });
    const { config, weights } = await encodeModel(model);
    model.dispose();
    const text = JSON.stringify(config).replace(
      '"config":{',
      '"config":{"__proto__":{"useBias":false},',
    );
    const loaded = decodeModel(JSON.parse(text), weights) as DecoderLM;
    expect(loaded.config.useBias).toBe(true);
    loaded.dispose();
    expect(({} as Record<string, unknown>).useBias).toBeUndefined();
  });

  it('a truncated config.json names the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tformer-hostile-'));
    try {
      await writeFile(join(dir, 'config.json'), '{"format": "tformer", "vers');
      await writeFile(join(dir, 'model.safetensors'), encodeSafetensors({}));
      const e = await loadModel(dir).catch((error: unknown) => error);
      expect(e).toBeInstanceOf(SavedModelError);
      expect((e as Error).message).toContain(join(dir, 'config.json'));
      expect((e as Error).message).toContain('not valid JSON');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
