import * as tf from '@tensorflow/tfjs-core';
import type { StateDict } from '@tformer/nn';
import type { DecoderLMConfig, ResolvedDecoderLMConfig } from '../decoder-lm-config.js';
import { ModelConfigError } from '../errors.js';
import { HF_ACTIVATIONS, type HfConfigReader, readHfConfig } from './hf-config.js';

/**
 * {@link DecoderLM} ↔ Hugging Face `GPT2LMHeadModel`: config.json fields and the tensors of
 * model.safetensors. GPT-2 always has biases (linear layers and LayerNorms): a model without them
 * exports exact zeros there and imports back with `useBias: true` (the same function, with biases
 * that can now train). GPT-2's `Conv1D` weights are `[in, out]` like a `Dense` kernel; `c_attn`
 * fuses q|k|v along the output axis; the untied `lm_head` is an `nn.Linear` (`[out, in]`, no bias).
 */

/** Fails in one line naming the first field of `c` that GPT-2 cannot express. */
export function assertGPT2Mappable(c: ResolvedDecoderLMConfig): void {
  const fail = (field: string, why: string) => {
    throw new ModelConfigError(field, `GPT2LMHeadModel ${why}`);
  };
  if (c.position !== 'learned') fail('position', `has learned positions only, got '${c.position}'`);
  if (c.window !== 0) fail('window', `has no sliding-window attention, got window ${c.window}`);
  if (c.numKeyValueHeads !== c.numHeads) {
    fail('numKeyValueHeads', `has no grouped-query attention (${c.numKeyValueHeads} ≠ numHeads)`);
  }
  if (!(c.activation in HF_ACTIVATIONS)) {
    fail('activation', `has no '${c.activation}' MLP (use the llama format for swiglu)`);
  }
}

/** GPT-2's config.json for `c` (`GPT2Config` fields; dropout rates all `c.dropout`). */
export function gpt2Config(c: ResolvedDecoderLMConfig): Record<string, unknown> {
  assertGPT2Mappable(c);
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: c.vocabSize,
    n_positions: c.maxLength,
    n_embd: c.dModel,
    n_layer: c.numLayers,
    n_head: c.numHeads,
    n_inner: c.dFF,
    activation_function: HF_ACTIVATIONS[c.activation as keyof typeof HF_ACTIVATIONS],
    resid_pdrop: c.dropout,
    embd_pdrop: c.dropout,
    attn_pdrop: c.dropout,
    layer_norm_epsilon: c.layerNormEps,
    initializer_range: 0.02,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: false,
    reorder_and_upcast_attn: false,
    tie_word_embeddings: c.tieEmbeddings,
    use_cache: true,
  };
}

/** The DecoderLM config of a GPT-2 config.json; a field with no equivalent fails naming it. */
export function fromGPT2Config(raw: Record<string, unknown>, source: string): DecoderLMConfig {
  const r: HfConfigReader = readHfConfig(raw, source);
  const dModel = r.int('n_embd');
  const activation = r.activation('gelu_new');
  r.expect('scale_attn_weights', true);
  r.expect('scale_attn_by_inverse_layer_idx', false);
  r.expect('add_cross_attention', false);
  return {
    vocabSize: r.int('vocab_size'),
    maxLength: r.int('n_positions'),
    numLayers: r.int('n_layer'),
    numHeads: r.int('n_head'),
    dModel,
    dFF: r.optionalInt('n_inner') ?? 4 * dModel,
    activation,
    position: 'learned',
    useBias: true,
    tieEmbeddings: r.bool('tie_word_embeddings', true),
    layerNormEps: r.num('layer_norm_epsilon', 1e-5),
    dropout: r.num('resid_pdrop', 0),
  };
}

/**
 * Our state dict in `GPT2LMHeadModel`'s names (`transformer.h.0.attn.c_attn.weight`, …). Every
 * tensor is new (fused, transposed, zeros for a bias-free model, or a copy): the caller disposes
 * the result.
 */
export function gpt2State(state: StateDict, c: ResolvedDecoderLMConfig): StateDict {
  assertGPT2Mappable(c);
  return tf.tidy(() => {
    const out: StateDict = {};
    const get = (name: string) => state[name]!;
    // A bias-free model writes GPT-2's biases and LayerNorm betas as exact zeros.
    const bias = (name: string, width: number) =>
      c.useBias ? tf.clone(get(name)) : tf.zeros([width]);
    const d = c.dModel;
    const kv = c.numKeyValueHeads * (d / c.numHeads);
    const put = (name: string, t: tf.Tensor) => {
      out[`transformer.${name}`] = t;
    };
    put('wte.weight', tf.clone(get('wte.embeddings')));
    put('wpe.weight', tf.clone(get('wpe.embeddings')));
    for (let i = 0; i < c.numLayers; i++) {
      const o = `blocks.${i}.`;
      const h = `h.${i}.`;
      const qkv = ['query', 'key', 'value'];
      put(
        `${h}attn.c_attn.weight`,
        tf.concat(
          qkv.map((p) => get(`${o}attn.${p}.kernel`)),
          1,
        ),
      ); // [C, 3C]
      put(
        `${h}attn.c_attn.bias`,
        tf.concat(
          qkv.map((p, j) => bias(`${o}attn.${p}.bias`, j === 0 ? d : kv)),
          0,
        ),
      ); // [3C]
      for (const [ours, hf, width] of [
        ['attn.output', 'attn.c_proj', d],
        ['ffn.up', 'mlp.c_fc', c.dFF],
        ['ffn.down', 'mlp.c_proj', d],
      ] as const) {
        put(`${h}${hf}.weight`, tf.clone(get(`${o}${ours}.kernel`)));
        put(`${h}${hf}.bias`, bias(`${o}${ours}.bias`, width));
      }
      for (const [ours, hf] of [
        ['ln1', 'ln_1'],
        ['ln2', 'ln_2'],
      ] as const) {
        put(`${h}${hf}.weight`, tf.clone(get(`${o}${ours}.gamma`)));
        put(`${h}${hf}.bias`, bias(`${o}${ours}.beta`, d));
      }
    }
    put('ln_f.weight', tf.clone(get('lnF.gamma')));
    put('ln_f.bias', bias('lnF.beta', d));
    if (!c.tieEmbeddings) out['lm_head.weight'] = tf.transpose(get('head.kernel')); // [V, C]
    return out;
  });
}

/**
 * A `GPT2LMHeadModel` state dict (with or without the `transformer.` prefix) in our names for `c`
 * (from {@link fromGPT2Config}: biases on). `c_attn` splits into q, k, v; the untied `lm_head.weight`
 * `[V, C]` becomes `head.kernel` `[C, V]` with a zero `head.bias` (GPT-2's head has none); a tied
 * checkpoint's stored copy of the head and the causal-mask buffers are skipped. `created` lists
 * the new tensors (the caller disposes them); names GPT-2 does not have are in `unexpected`.
 */
export function fromGPT2State(
  state: StateDict,
  c: ResolvedDecoderLMConfig,
): { state: StateDict; created: tf.Tensor[]; unexpected: string[] } {
  const out: StateDict = {};
  const created: tf.Tensor[] = [];
  const unexpected: string[] = [];
  const keep = (t: tf.Tensor) => {
    created.push(t);
    return t;
  };
  for (const [raw, tensor] of Object.entries(state)) {
    const name = raw.replace(/^transformer\./, '');
    if (/^h\.\d+\.attn\.(bias|masked_bias)$/.test(name)) continue;
    if (name === 'lm_head.weight') {
      if (c.tieEmbeddings) continue;
      out['head.kernel'] = keep(tf.transpose(tensor)); // [V, C] → [C, V]
      out['head.bias'] = keep(tf.zeros([tensor.shape[0] ?? 0]));
      continue;
    }
    const top = TOP[name];
    if (top) {
      out[top] = tensor;
      continue;
    }
    const m = /^h\.(\d+)\.(.+)\.(weight|bias)$/.exec(name);
    const ours = m && LAYER[m[2]!];
    if (!m || !ours) {
      unexpected.push(raw);
      continue;
    }
    const o = `blocks.${m[1]}.`;
    const isWeight = m[3] === 'weight';
    if (ours === 'attn.qkv') {
      const axis = isWeight ? 1 : 0;
      const kind = isWeight ? 'kernel' : 'bias';
      // A fused tensor of the wrong width stays whole under the q name: the shape check names it.
      if ((tensor.shape[axis] ?? 0) % 3 !== 0) {
        out[`${o}attn.query.${kind}`] = tensor;
        continue;
      }
      const parts = tf.split(tensor, 3, axis); // q | k | v, each [C, C] or [C]
      ['query', 'key', 'value'].forEach((p, j) => {
        out[`${o}attn.${p}.${kind}`] = keep(parts[j]!);
      });
      continue;
    }
    const norm = ours === 'ln1' || ours === 'ln2';
    out[`${o}${ours}.${norm ? (isWeight ? 'gamma' : 'beta') : isWeight ? 'kernel' : 'bias'}`] =
      tensor;
  }
  return { state: out, created, unexpected };
}

const TOP: Record<string, string> = {
  'wte.weight': 'wte.embeddings',
  'wpe.weight': 'wpe.embeddings',
  'ln_f.weight': 'lnF.gamma',
  'ln_f.bias': 'lnF.beta',
};
const LAYER: Record<string, string> = {
  'attn.c_attn': 'attn.qkv',
  'attn.c_proj': 'attn.output',
  'mlp.c_fc': 'ffn.up',
  'mlp.c_proj': 'ffn.down',
  ln_1: 'ln1',
  ln_2: 'ln2',
};
