import * as tf from '@tensorflow/tfjs-core';
import { decodeSafetensors } from '@tformer/nn';
import { describeWithBackends, randomizeParameters } from '@tformer/test-utils';
import { expect, it } from 'vitest';
import {
  DecoderLM,
  type DecoderLMConfig,
  decodeHuggingFace,
  decoderLMParameterCount,
  EncoderClassifier,
  encodeHuggingFace,
  ModelConfigError,
  SavedModelError,
} from '../index.js';

const GPT2: DecoderLMConfig = { vocabSize: 11, maxLength: 6, numLayers: 2, numHeads: 2, dModel: 8 };
const LLAMA: DecoderLMConfig = {
  ...GPT2,
  numHeads: 4,
  numKeyValueHeads: 2,
  dFF: 12,
  position: 'rope',
  norm: 'rms',
  activation: 'swiglu',
  useBias: false,
  tieEmbeddings: false,
};

/** The DecoderLM a gpt2 or llama folder decodes to. */
function decodeLM(config: Record<string, unknown>, weights: Uint8Array, source?: string) {
  const decoded = decodeHuggingFace(config, weights, source);
  if (!(decoded.model instanceof DecoderLM)) throw new Error(`not a DecoderLM: ${decoded.format}`);
  return { model: decoded.model, format: decoded.format };
}

async function logits(model: DecoderLM): Promise<Float32Array> {
  const ids = tf.tensor2d([[1, 5, 2, 9, 0, 10]], undefined, 'int32');
  const out = model.apply(ids);
  const data = (await out.data()) as Float32Array;
  tf.dispose([ids, out]);
  return data;
}

describeWithBackends('Hugging Face folders (no Python)', () => {
  it.each([
    ['gpt2', GPT2, 'GPT2LMHeadModel'],
    ['llama', LLAMA, 'LlamaForCausalLM'],
  ] as const)(
    '%s: encode → decode gives the same model and logits, no leaks',
    async (format, config, cls) => {
      const before = tf.memory().numTensors;
      const model = new DecoderLM(config, { rng: 1 });
      randomizeParameters(model, 7);
      const folder = await encodeHuggingFace(model);
      expect(folder['config.json']).toMatchObject({ model_type: format, architectures: [cls] });
      expect(folder['generation_config.json']).toMatchObject({ do_sample: false, max_length: 6 });
      const { model: back, format: read } = decodeLM(
        folder['config.json'],
        folder['model.safetensors'],
      );
      expect(read).toBe(format);
      expect(back.config).toEqual(model.config);
      expect(Array.from(await logits(back))).toEqual(Array.from(await logits(model)));
      expect(back.parameterCount()).toBe(decoderLMParameterCount(config));
      model.dispose();
      back.dispose();
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('gpt2: a bias-free model exports zero biases and imports with useBias true, same logits', async () => {
    const model = new DecoderLM({ ...GPT2, useBias: false }, { rng: 2 });
    const folder = await encodeHuggingFace(model);
    const { tensors } = decodeSafetensors(folder['model.safetensors']);
    expect(Object.keys(tensors)).toContain('transformer.h.1.attn.c_attn.bias');
    expect([...tensors['transformer.h.1.attn.c_attn.bias']!.data].every((v) => v === 0)).toBe(true);
    expect(tensors['transformer.h.0.attn.c_attn.weight']!.shape).toEqual([8, 24]);
    const { model: back } = decodeLM(folder['config.json'], folder['model.safetensors']);
    expect(back.config.useBias).toBe(true);
    expect(Array.from(await logits(back))).toEqual(Array.from(await logits(model)));
    model.dispose();
    back.dispose();
  });

  it('llama: nn.Linear layouts [out, in], GQA widths', async () => {
    const model = new DecoderLM(LLAMA, { rng: 3 });
    const { tensors } = decodeSafetensors((await encodeHuggingFace(model))['model.safetensors']);
    expect(tensors['model.layers.0.self_attn.q_proj.weight']!.shape).toEqual([8, 8]);
    expect(tensors['model.layers.0.self_attn.k_proj.weight']!.shape).toEqual([4, 8]);
    expect(tensors['model.layers.0.mlp.down_proj.weight']!.shape).toEqual([8, 12]);
    expect(tensors['lm_head.weight']!.shape).toEqual([11, 8]);
    model.dispose();
  });

  it('what cannot map fails in one line naming the field', async () => {
    const rope = new DecoderLM({ ...GPT2, position: 'rope' });
    await expect(encodeHuggingFace(rope, { format: 'gpt2' })).rejects.toThrow(
      /^position: GPT2LMHeadModel has learned positions only, got 'rope'$/,
    );
    await expect(encodeHuggingFace(rope)).rejects.toThrow(
      /^norm: LlamaForCausalLM needs 'rms', got "layer"$/,
    );
    rope.dispose();
    const untied = new DecoderLM({ ...GPT2, tieEmbeddings: false });
    tf.tidy(() => untied.head!.bias!.assign(tf.onesLike(untied.head!.bias!)));
    await expect(encodeHuggingFace(untied)).rejects.toThrow(
      /^useBias: GPT2LMHeadModel's untied lm_head has no bias/,
    );
    untied.dispose();
    const classifier = new EncoderClassifier({
      vocabSize: 5,
      maxLength: 4,
      dModel: 4,
      numHeads: 1,
      dFF: 4,
      numClasses: 2,
    });
    await expect(encodeHuggingFace(classifier)).rejects.toThrow(
      /^className: EncoderClassifier has no Hugging Face mapping/,
    );
    classifier.dispose();

    const model = new DecoderLM(LLAMA);
    const folder = await encodeHuggingFace(model);
    const weights = folder['model.safetensors'];
    const bad = (patch: Record<string, unknown>) => () =>
      decodeHuggingFace({ ...folder['config.json'], ...patch }, weights, 'dir');
    expect(bad({ rope_theta: 500000 })).toThrow(/^dir\/config.json: rope_theta: 500000 ≠ 10000/);
    expect(bad({ hidden_act: 'gelu' })).toThrow(
      /^dir\/config.json: hidden_act: 'gelu' has no DecoderLM/,
    );
    expect(bad({ mlp_bias: true })).toThrow(
      /^dir\/config.json: mlp_bias: must equal attention_bias/,
    );
    expect(bad({ model_type: 'bert' })).toThrow(
      /^dir\/config.json: model_type: "bert" has no tformer mapping/,
    );
    expect(bad({ num_hidden_layers: 3 })).toThrow(SavedModelError);
    expect(bad({ num_hidden_layers: 3 })).toThrow(/missing 'blocks.2.attn.query.kernel'/);
    expect(bad({ hidden_size: 'x' })).toThrow(ModelConfigError);
    model.dispose();
  });
});
