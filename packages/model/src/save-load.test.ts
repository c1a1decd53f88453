import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { decodeSafetensors, encodeSafetensors, type TensorToEncode } from '@tformer/nn';
import {
  describeWithBackends,
  expectTensorsClose,
  maxAbsDiff,
  randomFloats,
  randomizeParameters,
  refGpt2Forward,
  temporaryDirectory,
} from '@tformer/test-utils';
import { expect, it } from 'vitest';
import {
  DecoderLM,
  EncoderClassifier,
  EncoderDecoder,
  ModelConfigError,
  SavedModelError,
  upgradeModelConfig,
} from './index.js';
import { loadModel, saveModel } from './node.js';

const dims = { V: 9, C: 8, H: 2, L: 2, P: 6 };

/** A GPT-2 checkpoint as Hugging Face stores it (Conv1D weights [in, out]), random values. */
function gpt2Weights(): Record<string, { shape: number[]; values: Float64Array }> {
  const { V, C, L, P } = dims;
  const shapes: Record<string, number[]> = { 'wte.weight': [V, C], 'wpe.weight': [P, C] };
  for (let i = 0; i < L; i++) {
    Object.assign(shapes, {
      [`h.${i}.ln_1.weight`]: [C],
      [`h.${i}.ln_1.bias`]: [C],
      [`h.${i}.attn.c_attn.weight`]: [C, 3 * C],
      [`h.${i}.attn.c_attn.bias`]: [3 * C],
      [`h.${i}.attn.c_proj.weight`]: [C, C],
      [`h.${i}.attn.c_proj.bias`]: [C],
      [`h.${i}.ln_2.weight`]: [C],
      [`h.${i}.ln_2.bias`]: [C],
      [`h.${i}.mlp.c_fc.weight`]: [C, 4 * C],
      [`h.${i}.mlp.c_fc.bias`]: [4 * C],
      [`h.${i}.mlp.c_proj.weight`]: [4 * C, C],
      [`h.${i}.mlp.c_proj.bias`]: [C],
    });
  }
  Object.assign(shapes, { 'ln_f.weight': [C], 'ln_f.bias': [C] });
  return Object.fromEntries(
    Object.entries(shapes).map(([name, shape], k) => {
      const values = randomFloats(
        shape.reduce((a, b) => a * b, 1),
        1000 + k,
        0.5,
      );
      if (/ln_.*weight/.test(name)) for (let j = 0; j < values.length; j++) values[j]! += 1;
      return [name, { shape, values }];
    }),
  );
}

function hfConfig(): Record<string, unknown> {
  return {
    model_type: 'gpt2',
    vocab_size: dims.V,
    n_positions: dims.P,
    n_embd: dims.C,
    n_layer: dims.L,
    n_head: dims.H,
    layer_norm_epsilon: 1e-5,
  };
}

async function writeHfDir(
  dir: string,
  tensors: Record<string, TensorToEncode>,
  config = hfConfig(),
): Promise<void> {
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  await writeFile(join(dir, 'model.safetensors'), encodeSafetensors(tensors, { format: 'pt' }));
}

const root = temporaryDirectory('tformer-save-');

describeWithBackends('saveModel/loadModel', (backend) => {
  const ids = [
    [1, 8, 3, 0, 5],
    [2, 2, 7, 6, 4],
  ];

  it('round-trips a DecoderLM: same config, same logits, no temporary files', async () => {
    const dir = join(root(), `${backend}-native`);
    const model = new DecoderLM(
      {
        vocabSize: 11,
        maxLength: 8,
        numLayers: 2,
        numHeads: 2,
        dModel: 8,
        position: 'rope',
        useBias: false,
      },
      { rng: 1 },
    );
    randomizeParameters(model, 7);
    await saveModel(dir, model);
    await saveModel(dir, model); // replacing an earlier save
    expect((await readdir(dir)).sort()).toEqual(['config.json', 'model.safetensors']);
    const loaded = (await loadModel(dir)) as DecoderLM;
    expect(loaded.getConfig()).toEqual(model.getConfig());
    const input = tf.tensor2d([[1, 2, 3]], [1, 3], 'int32');
    const [a, b] = [model.apply(input), loaded.apply(input)];
    expect(await maxAbsDiff(a, b)).toBe(0);
    tf.dispose([a, b, input]);
    model.dispose();
    loaded.dispose();
  });

  it('loads a config.json written before the renames (blockSize, bias) with the same weights', async () => {
    const dir = join(root(), `${backend}-old-names`);
    const model = new DecoderLM(
      { vocabSize: 11, maxLength: 8, numLayers: 1, numHeads: 2, dModel: 8, useBias: false },
      { rng: 2 },
    );
    await saveModel(dir, model);
    // What an older version wrote: the same file with the old field names.
    const saved = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    const { maxLength, useBias, ...rest } = saved.config;
    saved.config = { ...rest, blockSize: maxLength, bias: useBias };
    await writeFile(join(dir, 'config.json'), JSON.stringify(saved));
    const loaded = (await loadModel(dir)) as DecoderLM;
    expect(loaded.getConfig()).toEqual(model.getConfig());
    expect(loaded.namedParameters().map(([n]) => n)).toContain('blocks.0.attn.query.kernel');
    expect(upgradeModelConfig('EncoderDecoder', { dModel: 8, bias: true })).toEqual({
      dModel: 8,
      useBias: true,
    });
    model.dispose();
    loaded.dispose();
  });

  it('round-trips an EncoderDecoder and an EncoderClassifier', async () => {
    const models = [
      new EncoderDecoder(
        { srcVocabSize: 7, tgtVocabSize: 9, numLayers: 1, dModel: 8, numHeads: 2, maxLength: 8 },
        { rng: 3 },
      ),
      new EncoderClassifier(
        { vocabSize: 7, maxLength: 5, dModel: 8, numHeads: 2, dFF: 8, numClasses: 3 },
        { rng: 4 },
      ),
    ] as const;
    const src = tf.tensor2d([[1, 2, 3]], [1, 3], 'int32');
    for (const [k, model] of models.entries()) {
      model.eval();
      const dir = join(root(), `${backend}-model-${k}`);
      await saveModel(dir, model);
      const loaded = await loadModel(dir);
      loaded.eval();
      expect(loaded.constructor).toBe(model.constructor);
      expect(loaded.getConfig()).toEqual(model.getConfig());
      const run = (m: typeof model | typeof loaded) =>
        m instanceof EncoderDecoder ? m.apply(src, src) : (m as EncoderClassifier).apply(src);
      const [a, b] = [run(model), run(loaded)];
      expect(await maxAbsDiff(a, b)).toBe(0);
      tf.dispose([a, b]);
      model.dispose();
      loaded.dispose();
    }
    src.dispose();
  });

  it.each(['', 'transformer.'])(
    "loads Hugging Face GPT-2 tensors (prefix '%s', mask buffers) and matches the float64 GPT-2",
    async (prefix) => {
      const dir = join(root(), `${backend}-hf-${prefix || 'bare'}`);
      await rm(dir, { recursive: true, force: true });
      await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
      const weights = gpt2Weights();
      const tensors: Record<string, TensorToEncode> = {};
      for (const [n, w] of Object.entries(weights)) {
        tensors[prefix + n] = { shape: w.shape, data: Float32Array.from(w.values) };
      }
      // The causal-mask buffer some GPT-2 checkpoints carry is not a parameter.
      tensors[`${prefix}h.0.attn.bias`] = {
        shape: [1, 1, dims.P, dims.P],
        data: new Float32Array(dims.P * dims.P),
      };
      await writeHfDir(dir, tensors);
      const model = (await loadModel(dir)) as DecoderLM;
      expect(model.config).toMatchObject({
        activation: 'gelu_tanh',
        useBias: true,
        layerNormEps: 1e-5,
      });
      const values = Object.fromEntries(Object.entries(weights).map(([n, w]) => [n, w.values]));
      const expected = refGpt2Forward(ids, values, dims);
      const input = tf.tensor2d(ids, undefined, 'int32');
      const logits = model.apply(input);
      await expectTensorsClose(logits, expected, { atol: 1e-4, rtol: 1e-4 });
      tf.dispose([input, logits]);

      // And back: saved with gpt2 naming, the file holds exactly GPT-2's tensors and values.
      const out = join(root(), `${backend}-hf-out-${prefix || 'bare'}`);
      await saveModel(out, model, { naming: 'gpt2' });
      const saved = decodeSafetensors(
        new Uint8Array(await readFile(join(out, 'model.safetensors'))),
      );
      expect(Object.keys(saved.tensors).sort()).toEqual(Object.keys(weights).sort());
      for (const [n, w] of Object.entries(weights)) {
        expect(saved.tensors[n]!.shape).toEqual(w.shape);
        expect(Array.from(saved.tensors[n]!.data)).toEqual(Array.from(Float32Array.from(w.values)));
      }
      const again = (await loadModel(out)) as DecoderLM;
      expect(again.getConfig()).toEqual(model.getConfig());
      model.dispose();
      again.dispose();
    },
  );

  it('reports every mismatch at once: shape, dtype, missing, unexpected', async () => {
    const dir = join(root(), `${backend}-bad`);
    await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
    const weights = gpt2Weights();
    const tensors: Record<string, TensorToEncode> = {};
    for (const [n, w] of Object.entries(weights)) {
      tensors[n] = { shape: w.shape, data: Float32Array.from(w.values) };
    }
    tensors['wpe.weight'] = {
      shape: [dims.P + 1, dims.C],
      data: new Float32Array((dims.P + 1) * dims.C),
    };
    tensors['ln_f.bias'] = { shape: [dims.C], data: new Int32Array(dims.C) };
    delete tensors['h.1.mlp.c_fc.bias'];
    tensors['h.0.extra.weight'] = { shape: [1], data: new Float32Array(1) };
    await writeHfDir(dir, tensors);
    const error = await loadModel(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SavedModelError);
    const mismatches = (error as SavedModelError).mismatches.map((m) => `${m.kind} ${m.name}`);
    expect(mismatches.sort()).toEqual(
      [
        'dtype lnF.beta',
        'missing blocks.1.ffn.up.bias',
        'shape wpe.embeddings',
        'unexpected h.0.extra.weight',
      ].sort(),
    );
    expect((error as Error).message).toContain(
      "shape 'wpe.embeddings': expected [6, 8], got [7, 8]",
    );
  });

  it('refuses gpt2 naming for a model GPT-2 cannot hold and leaves the earlier save intact', async () => {
    const dir = join(root(), `${backend}-keep`);
    const model = new DecoderLM(
      { vocabSize: 5, maxLength: 4, numLayers: 1, numHeads: 2, dModel: 4, position: 'rope' },
      { rng: 2 },
    );
    await saveModel(dir, model);
    const before = await readFile(join(dir, 'model.safetensors'));
    await expect(saveModel(dir, model, { naming: 'gpt2' })).rejects.toThrow(ModelConfigError);
    await expect(saveModel(dir, model, { naming: 'gpt2' })).rejects.toThrow(
      'position: gpt2 naming needs \'learned\', got "rope"',
    );
    expect(await readFile(join(dir, 'model.safetensors'))).toEqual(before);
    model.dispose();
  });
});
