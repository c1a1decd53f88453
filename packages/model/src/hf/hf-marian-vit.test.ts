import * as tf from '@tensorflow/tfjs-core';
import { decodeSafetensors, stateDictToSafetensors } from '@tformer/nn';
import { describeWithBackends, randomizeParameters } from '@tformer/test-utils';
import { expect, it } from 'vitest';
import {
  decodeHuggingFace,
  EncoderDecoder,
  type EncoderDecoderConfig,
  encodeHuggingFace,
  SavedModelError,
  VisionTransformer,
  type VisionTransformerConfig,
} from '../index.js';

const MARIAN: EncoderDecoderConfig = {
  srcVocabSize: 13,
  tgtVocabSize: 11,
  numLayers: 2,
  numDecoderLayers: 1,
  dModel: 8,
  numHeads: 2,
  dFF: 12,
  maxLength: 6,
  dropout: 0,
  tieOutput: false,
  layerNormEps: 1e-5,
};
const VIT: VisionTransformerConfig = {
  imageSize: 4,
  patchSize: 2,
  channels: 3,
  dModel: 8,
  numHeads: 2,
  numLayers: 1,
  numClasses: 3,
};
const START = { specialTokenIds: { decoderStart: 1 } };

async function seq2seqLogits(model: EncoderDecoder): Promise<number[]> {
  const src = tf.tensor2d([[3, 7, 2, 12]], undefined, 'int32');
  const tgt = tf.tensor2d([[1, 4, 9]], undefined, 'int32');
  const out = model.apply(src, tgt);
  const data = Array.from(await out.data());
  tf.dispose([src, tgt, out]);
  return data;
}

async function imageLogits(model: VisionTransformer): Promise<number[]> {
  const images = tf.tensor4d(
    Float32Array.from({ length: 2 * 4 * 4 * 3 }, (_, i) => Math.cos(i)),
    [2, 4, 4, 3],
  );
  const out = model.apply(images);
  const data = Array.from(await out.data());
  tf.dispose([images, out]);
  return data;
}

function close(a: number[], b: number[]): void {
  expect(a.length).toBe(b.length);
  expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBeLessThan(1e-5);
}

describeWithBackends('MarianMTModel and ViT folders (no Python)', () => {
  it('marian: encode → decode gives the same logits; Marian names, layouts and order', async () => {
    const before = tf.memory().numTensors;
    const model = new EncoderDecoder(MARIAN, { rng: 1 });
    randomizeParameters(model, 3);
    const folder = await encodeHuggingFace(model, START);
    expect(folder['config.json']).toMatchObject({
      model_type: 'marian',
      architectures: ['MarianMTModel'],
      share_encoder_decoder_embeddings: false,
      tie_word_embeddings: false,
      decoder_start_token_id: 1,
      forced_eos_token_id: null,
      scale_embedding: true,
    });
    const { tensors } = decodeSafetensors(folder['model.safetensors']);
    expect(tensors['model.encoder.layers.0.fc1.weight']!.shape).toEqual([12, 8]);
    expect(tensors.final_logits_bias!.shape).toEqual([1, 11]);
    // Residual dimension 2 (the second sin) is Marian's 1; dimension 1 (the first cos) its 4.
    const first = tf.slice(model.stateDict()['tgtEmbed.embeddings']!, [0, 0], [1, 8]);
    const row0 = Array.from(await first.data());
    first.dispose();
    const marian = Array.from(tensors['model.decoder.embed_tokens.weight']!.data).slice(0, 8);
    expect([marian[0], marian[1], marian[4], marian[7]]).toEqual([
      row0[0],
      row0[2],
      row0[1],
      row0[7],
    ]);
    const decoded = decodeHuggingFace(folder['config.json'], folder['model.safetensors']);
    expect(decoded.format).toBe('marian');
    const back = decoded.model as EncoderDecoder;
    expect(back.config).toMatchObject({ ...MARIAN, useBias: true, preNorm: false });
    close(await seq2seqLogits(back), await seq2seqLogits(model));
    model.dispose();
    back.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('vit: encode → decode gives the same logits; the patch weight is a Conv2d [d, C, P, P]', async () => {
    const before = tf.memory().numTensors;
    const model = new VisionTransformer(VIT, { rng: 2 });
    randomizeParameters(model, 5);
    const folder = await encodeHuggingFace(model);
    expect(folder['config.json']).toMatchObject({ model_type: 'vit', hidden_act: 'gelu' });
    expect(Object.keys(folder['config.json'].id2label as object)).toHaveLength(3);
    const { tensors } = decodeSafetensors(folder['model.safetensors']);
    expect(tensors['vit.embeddings.patch_embeddings.projection.weight']!.shape).toEqual([
      8, 3, 2, 2,
    ]);
    const decoded = decodeHuggingFace(folder['config.json'], folder['model.safetensors']);
    expect(decoded.format).toBe('vit');
    const back = decoded.model as VisionTransformer;
    expect(back.config).toEqual(model.config);
    close(await imageLogits(back), await imageLogits(model));
    model.dispose();
    back.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("vit: a folder with transformers 4.x names imports too; Marian's pad = start convention drops padTokenId", async () => {
    const vit = new VisionTransformer(VIT, { rng: 4 });
    randomizeParameters(vit, 6);
    const folder = await encodeHuggingFace(vit);
    const { tensors } = decodeSafetensors(folder['model.safetensors']);
    const legacy: Record<string, tf.Tensor> = {};
    for (const [name, t] of Object.entries(tensors)) {
      const old = name
        .replace(/^vit\.layers\.(\d+)\./, 'vit.encoder.layer.$1.')
        .replace(/attention\.([qkv])_proj/, (_, p: string) => {
          const full = { q: 'query', k: 'key', v: 'value' }[p as 'q' | 'k' | 'v'];
          return `attention.attention.${full}`;
        })
        .replace('attention.o_proj', 'attention.output.dense')
        .replace('mlp.fc1', 'intermediate.dense')
        .replace('mlp.fc2', 'output.dense');
      legacy[old] = tf.tensor(t.data, t.shape, t.tfDtype);
    }
    expect(Object.keys(legacy)).toContain('vit.encoder.layer.0.attention.attention.query.weight');
    const bytes = await stateDictToSafetensors(legacy);
    tf.dispose(Object.values(legacy));
    const back = decodeHuggingFace(folder['config.json'], bytes).model as VisionTransformer;
    close(await imageLogits(back), await imageLogits(vit));
    vit.dispose();
    back.dispose();

    const model = new EncoderDecoder({ ...MARIAN, padTokenId: 0 });
    const marian = await encodeHuggingFace(model, START);
    // A tied model has no output bias: a nonzero final_logits_bias cannot be dropped silently.
    const tied = new EncoderDecoder({ ...MARIAN, tieOutput: true });
    const tiedFolder = await encodeHuggingFace(tied, START);
    const withBias: Record<string, tf.Tensor> = {
      final_logits_bias: tf.fill([1, MARIAN.tgtVocabSize], 0.5),
    };
    for (const [name, t] of Object.entries(
      decodeSafetensors(tiedFolder['model.safetensors']).tensors,
    )) {
      withBias[name] = tf.tensor(t.data, t.shape, t.tfDtype);
    }
    const biased = await stateDictToSafetensors(withBias);
    tf.dispose(Object.values(withBias));
    expect(() => decodeHuggingFace(tiedFolder['config.json'], biased)).toThrow(
      /^final_logits_bias: is not zero, and a tied EncoderDecoder output has no bias/,
    );
    tied.dispose();
    const config = { ...marian['config.json'], pad_token_id: 1 };
    const decoded = decodeHuggingFace(config, marian['model.safetensors']).model as EncoderDecoder;
    expect(decoded.config.padTokenId).toBeUndefined();
    const kept = decodeHuggingFace(marian['config.json'], marian['model.safetensors']).model;
    expect((kept as EncoderDecoder).config.padTokenId).toBe(0);
    for (const m of [model, decoded, kept]) m.dispose();
  });

  it('what cannot map fails in one line naming the field', async () => {
    const cases: [Partial<EncoderDecoderConfig>, RegExp][] = [
      [{ preNorm: true }, /^preNorm: MarianMTModel has post-LN layers only/],
      [{ activation: 'swiglu' }, /^activation: MarianMTModel has no 'swiglu' FFN$/],
      [
        { layerNormEps: 1e-6 },
        /^layerNormEps: MarianMTModel LayerNorms use eps 1e-5 \(nn.LayerNorm's default\), got 0.000001$/,
      ],
      [{ padTokenId: 1 }, /^padTokenId: equals the decoder start token 1/],
    ];
    for (const [patch, message] of cases) {
      const model = new EncoderDecoder({ ...MARIAN, ...patch });
      await expect(encodeHuggingFace(model, START)).rejects.toThrow(message);
      model.dispose();
    }
    const model = new EncoderDecoder(MARIAN);
    await expect(encodeHuggingFace(model)).rejects.toThrow(
      /^specialTokenIds.decoderStart: MarianMTModel needs decoder_start_token_id/,
    );
    await expect(encodeHuggingFace(model, { format: 'gpt2' })).rejects.toThrow(
      /^format: EncoderDecoder maps to 'marian' only, got 'gpt2'$/,
    );
    const folder = await encodeHuggingFace(model, START);
    const weights = folder['model.safetensors'];
    const bad = (patch: Record<string, unknown>) => () =>
      decodeHuggingFace({ ...folder['config.json'], ...patch }, weights, 'dir');
    expect(bad({ activation_function: 'swish' })).toThrow(
      /^dir\/config.json: activation_function: 'swish' has no EncoderDecoder equivalent$/,
    );
    expect(bad({ scale_embedding: false })).toThrow(/^dir\/config.json: scale_embedding: false/);
    expect(bad({ decoder_ffn_dim: 16 })).toThrow(
      /^dir\/config.json: decoder_ffn_dim: 16 ≠ encoder_ffn_dim 12/,
    );
    expect(bad({ decoder_layers: 2 })).toThrow(SavedModelError);
    expect(bad({ decoder_layers: 2 })).toThrow(/missing 'decoder.layers.1.selfAttn.query.kernel'/);
    model.dispose();

    const vit = new VisionTransformer(VIT);
    const vitFolder = await encodeHuggingFace(vit);
    const badVit = (patch: Record<string, unknown>) => () =>
      decodeHuggingFace(
        { ...vitFolder['config.json'], ...patch },
        vitFolder['model.safetensors'],
        'dir',
      );
    expect(badVit({ hidden_act: 'gelu_new' })).toThrow(
      /^dir\/config.json: hidden_act: 'gelu_new' has no VisionTransformer/,
    );
    expect(badVit({ image_size: [4, 6] })).toThrow(
      /^dir\/config.json: image_size: \[4,6\] is not square$/,
    );
    expect(badVit({ qkv_bias: false })).toThrow(/^dir\/config.json: qkv_bias: false has no/);
    vit.dispose();
  });
});
