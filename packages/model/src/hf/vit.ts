import * as tf from '@tensorflow/tfjs-core';
import type { StateDict } from '@tformer/nn';
import { ModelConfigError } from '../errors.js';
import type {
  ResolvedVisionTransformerConfig,
  VisionTransformerConfig,
} from '../vision-transformer.js';
import { readHfConfig } from './hf-config.js';
import {
  fromLinearNames,
  type LinearName,
  type MappedState,
  toLinearNames,
} from './linear-names.js';

/**
 * {@link VisionTransformer} ↔ Hugging Face `ViTForImageClassification` (pre-LN blocks, exact
 * GELU, a `[class]` token, learned positions, a final LayerNorm and a linear classifier on the
 * `[class]` token: the same function). Layouts: our patch projection is a Dense over each patch
 * flattened in (row, column, channel) order, kernel `[P·P·C, d]`; ViT's is a Conv2d weight
 * `[d, C, P, P]` — the same numbers reshaped to `[P, P, C, d]` and transposed. ViT's `nn.Linear`
 * weights are `[out, in]`. Images are `[B, H, W, C]` for us and `pixel_values` `[B, C, H, W]` for
 * transformers. Names are transformers 5's (`vit.layers.N.attention.q_proj`); the import also
 * reads the 4.x names (`vit.encoder.layer.N.attention.attention.query`).
 */

/**
 * ViT's config.json for `c` (`ViTConfig` fields; every field of ours maps), with `labels` as
 * `id2label`/`label2id` (default `LABEL_i`); a label list of the wrong length fails naming it.
 */
export function vitConfig(
  c: ResolvedVisionTransformerConfig,
  labels?: readonly string[],
): Record<string, unknown> {
  if (labels && labels.length !== c.numClasses) {
    throw new ModelConfigError(
      'labels',
      `expected ${c.numClasses} class names, got ${labels.length}`,
    );
  }
  const names = labels ?? Array.from({ length: c.numClasses }, (_, i) => `LABEL_${i}`);
  return {
    architectures: ['ViTForImageClassification'],
    model_type: 'vit',
    image_size: c.imageSize,
    patch_size: c.patchSize,
    num_channels: c.channels,
    hidden_size: c.dModel,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    intermediate_size: c.dFF,
    hidden_act: 'gelu',
    hidden_dropout_prob: c.dropout,
    attention_probs_dropout_prob: c.dropout,
    layer_norm_eps: c.layerNormEps,
    qkv_bias: true,
    initializer_range: 0.02,
    encoder_stride: c.patchSize,
    id2label: Object.fromEntries(names.map((name, i) => [i, name])),
    label2id: Object.fromEntries(names.map((name, i) => [name, i])),
  };
}

/** The VisionTransformer config of a ViT config.json; a field with no equivalent fails naming it. */
export function fromViTConfig(
  raw: Record<string, unknown>,
  source: string,
): VisionTransformerConfig {
  const r = readHfConfig(raw, source, 'VisionTransformer');
  const act = r.str('hidden_act', 'gelu');
  if (act !== 'gelu')
    r.fail('hidden_act', `'${act}' has no VisionTransformer equivalent (only exact 'gelu')`);
  r.expect('qkv_bias', true);
  const square = (field: string) => {
    const v = raw[field];
    if (Array.isArray(v)) {
      if (v.length !== 2 || v[0] !== v[1]) r.fail(field, `${JSON.stringify(v)} is not square`);
      return readHfConfig({ [field]: v[0] }, source, 'VisionTransformer').int(field);
    }
    return r.int(field);
  };
  const id2label = raw.id2label;
  const numClasses =
    id2label && typeof id2label === 'object'
      ? Object.keys(id2label).length
      : (r.optionalInt('num_labels') ?? 2);
  if (numClasses < 1) r.fail('id2label', 'needs at least one label');
  return {
    imageSize: square('image_size'),
    patchSize: square('patch_size'),
    channels: r.optionalInt('num_channels') ?? 3,
    dModel: r.int('hidden_size'),
    numLayers: r.int('num_hidden_layers'),
    numHeads: r.int('num_attention_heads'),
    dFF: r.int('intermediate_size'),
    numClasses,
    dropout: r.num('hidden_dropout_prob', 0),
    layerNormEps: r.num('layer_norm_eps', 1e-12),
  };
}

/** Ours → ViT's name and whether the tensor transposes (a Dense kernel ↔ an nn.Linear weight). */
function names(c: ResolvedVisionTransformerConfig): LinearName[] {
  const out: LinearName[] = [
    ['cls', 'vit.embeddings.cls_token', false],
    ['positions', 'vit.embeddings.position_embeddings', false],
    ['patchEmbed.proj.bias', 'vit.embeddings.patch_embeddings.projection.bias', false],
  ];
  for (let i = 0; i < c.numLayers; i++) {
    const o = `blocks.${i}.`;
    const h = `vit.layers.${i}.`;
    for (const [ours, hf] of [
      ['attn.query', 'attention.q_proj'],
      ['attn.key', 'attention.k_proj'],
      ['attn.value', 'attention.v_proj'],
      ['attn.output', 'attention.o_proj'],
      ['ffn.up', 'mlp.fc1'],
      ['ffn.down', 'mlp.fc2'],
    ]) {
      out.push([`${o}${ours}.kernel`, `${h}${hf}.weight`, true]);
      out.push([`${o}${ours}.bias`, `${h}${hf}.bias`, false]);
    }
    for (const [ours, hf] of [
      ['ln1', 'layernorm_before'],
      ['ln2', 'layernorm_after'],
    ]) {
      out.push([`${o}${ours}.gamma`, `${h}${hf}.weight`, false]);
      out.push([`${o}${ours}.beta`, `${h}${hf}.bias`, false]);
    }
  }
  out.push(['norm.gamma', 'vit.layernorm.weight', false]);
  out.push(['norm.beta', 'vit.layernorm.bias', false]);
  out.push(['head.kernel', 'classifier.weight', true]);
  out.push(['head.bias', 'classifier.bias', false]);
  return out;
}

const PATCH_KERNEL = 'patchEmbed.proj.kernel';
const PATCH_WEIGHT = 'vit.embeddings.patch_embeddings.projection.weight';

/** Our state dict in ViT's names and layouts; every tensor is new (the caller disposes them). */
export function vitState(state: StateDict, c: ResolvedVisionTransformerConfig): StateDict {
  const { patchSize: p, channels, dModel } = c;
  return tf.tidy(() => {
    const out = toLinearNames(state, names(c));
    const kernel = tf.reshape(state[PATCH_KERNEL]!, [p, p, channels, dModel]); // [P, P, C, d]
    out[PATCH_WEIGHT] = tf.transpose(kernel, [3, 2, 0, 1]); // [d, C, P, P]
    return out;
  });
}

/** transformers 4.x names → 5's (the layers' attention and MLP were renamed). */
function modernName(name: string): string {
  return name
    .replace(/^vit\.encoder\.layer\.(\d+)\./, 'vit.layers.$1.')
    .replace(
      /\.attention\.attention\.(query|key|value)\./,
      (_, p: string) => `.attention.${p[0]}_proj.`,
    )
    .replace(/\.attention\.output\.dense\./, '.attention.o_proj.')
    .replace(/\.intermediate\.dense\./, '.mlp.fc1.')
    .replace(/^(vit\.layers\.\d+)\.output\.dense\./, '$1.mlp.fc2.');
}

/**
 * A ViT state dict (names of transformers 5 or 4.x) in our names for `c`. `created` lists the new
 * tensors; names ViT's classifier does not have (a pooler, a mask token) are in `unexpected`. A
 * patch weight of the wrong shape passes through unchanged, so the caller's shape check names it.
 */
export function fromViTState(state: StateDict, c: ResolvedVisionTransformerConfig): MappedState {
  const { patchSize: p, channels, dModel } = c;
  const patchWeight = (name: string, tensor: tf.Tensor, mapped: MappedState): boolean => {
    if (name !== PATCH_WEIGHT) return false;
    const fits = tensor.shape.join() === [dModel, channels, p, p].join();
    const t = fits
      ? tf.tidy(() => tf.reshape(tf.transpose(tensor, [2, 3, 1, 0]), [p * p * channels, dModel])) // [d, C, P, P] → [P, P, C, d] → [P·P·C, d]
      : tensor;
    if (fits) mapped.created.push(t);
    mapped.state[PATCH_KERNEL] = t;
    return true;
  };
  return fromLinearNames(state, names(c), patchWeight, modernName);
}
