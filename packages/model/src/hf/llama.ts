import * as tf from '@tensorflow/tfjs-core';
import type { StateDict } from '@tformer/nn';
import type { DecoderLMConfig, ResolvedDecoderLMConfig } from '../decoder-lm-config.js';
import { ModelConfigError } from '../errors.js';
import { readHfConfig } from './hf-config.js';
import {
  fromLinearNames,
  type LinearName,
  type MappedState,
  toLinearNames,
} from './linear-names.js';

/**
 * {@link DecoderLM} with `position: 'rope'`, `norm: 'rms'`, `activation: 'swiglu'` (and any
 * `numKeyValueHeads`) ↔ Hugging Face `LlamaForCausalLM`. Llama's `nn.Linear` weights are
 * `[out, in]`, the transpose of a `Dense` kernel. Our RoPE pairs dimension i with i + hs/2 (the
 * `half` style), which is transformers' `rotate_half`, so q_proj/k_proj copy without the row
 * permutation that Meta's interleaved checkpoints need. Llama has dropout on attention
 * probabilities only: `dropout` maps to `attention_dropout` (inference is unaffected).
 */

/** The RoPE base our attention uses (MultiHeadAttention's default `ropeBase`). */
const ROPE_THETA = 10000;

/** Fails in one line naming the first field of `c` that Llama cannot express. */
export function assertLlamaMappable(c: ResolvedDecoderLMConfig): void {
  const need = (field: keyof ResolvedDecoderLMConfig, ok: boolean, expected: string) => {
    if (!ok) {
      throw new ModelConfigError(
        field,
        `LlamaForCausalLM needs ${expected}, got ${JSON.stringify(c[field])}`,
      );
    }
  };
  need('position', c.position === 'rope', "'rope'");
  need('norm', c.norm === 'rms', "'rms'");
  need('activation', c.activation === 'swiglu', "'swiglu'");
  need('window', c.window === 0, '0 (no sliding window)');
}

/** Llama's config.json for `c` (`LlamaConfig` fields). */
export function llamaConfig(c: ResolvedDecoderLMConfig): Record<string, unknown> {
  assertLlamaMappable(c);
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: c.vocabSize,
    hidden_size: c.dModel,
    intermediate_size: c.dFF,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    num_key_value_heads: c.numKeyValueHeads,
    head_dim: c.dModel / c.numHeads,
    hidden_act: 'silu',
    max_position_embeddings: c.maxLength,
    rms_norm_eps: c.layerNormEps,
    rope_theta: ROPE_THETA,
    rope_scaling: null,
    attention_bias: c.useBias,
    mlp_bias: c.useBias,
    attention_dropout: c.dropout,
    tie_word_embeddings: c.tieEmbeddings,
    initializer_range: 0.02,
    pretraining_tp: 1,
    use_cache: true,
  };
}

/** The DecoderLM config of a Llama config.json; a field with no equivalent fails naming it. */
export function fromLlamaConfig(raw: Record<string, unknown>, source: string): DecoderLMConfig {
  const r = readHfConfig(raw, source);
  const dModel = r.int('hidden_size');
  const numHeads = r.int('num_attention_heads');
  const act = r.str('hidden_act', 'silu');
  if (act !== 'silu') r.fail('hidden_act', `'${act}' has no DecoderLM equivalent (only 'silu')`);
  const headDim = r.optionalInt('head_dim');
  if (headDim !== undefined && headDim * numHeads !== dModel) {
    r.fail('head_dim', `${headDim} ≠ hidden_size / num_attention_heads (${dModel / numHeads})`);
  }
  // transformers ≥ 5 nests the RoPE settings in rope_parameters; earlier versions keep them flat.
  const rope = (raw.rope_parameters ?? {}) as Record<string, unknown>;
  const theta = (rope.rope_theta ?? raw.rope_theta ?? ROPE_THETA) as unknown;
  if (theta !== ROPE_THETA) r.fail('rope_theta', `${theta} ≠ ${ROPE_THETA}, the only base we use`);
  const ropeType = rope.rope_type ?? (raw.rope_scaling as { rope_type?: string } | null)?.rope_type;
  if (ropeType !== undefined && ropeType !== 'default') {
    r.fail('rope_scaling', `rope_type '${ropeType}' has no DecoderLM equivalent (only 'default')`);
  }
  r.expect('pretraining_tp', 1);
  const useBias = r.bool('attention_bias', false);
  if (r.bool('mlp_bias', false) !== useBias) {
    r.fail('mlp_bias', `must equal attention_bias (${useBias}): DecoderLM has one useBias`);
  }
  return {
    vocabSize: r.int('vocab_size'),
    maxLength: r.int('max_position_embeddings'),
    numLayers: r.int('num_hidden_layers'),
    numHeads,
    numKeyValueHeads: r.optionalInt('num_key_value_heads') ?? numHeads,
    dModel,
    dFF: r.int('intermediate_size'),
    activation: 'swiglu',
    position: 'rope',
    norm: 'rms',
    useBias,
    tieEmbeddings: r.bool('tie_word_embeddings', false),
    layerNormEps: r.num('rms_norm_eps', 1e-6),
    dropout: r.num('attention_dropout', 0),
  };
}

/** Ours → Llama's name and whether the tensor transposes (a Dense kernel ↔ an nn.Linear weight). */
function layerNames(i: number, c: ResolvedDecoderLMConfig): LinearName[] {
  const o = `blocks.${i}.`;
  const h = `model.layers.${i}.`;
  const out: LinearName[] = [
    [`${o}ln1.gamma`, `${h}input_layernorm.weight`, false],
    [`${o}ln2.gamma`, `${h}post_attention_layernorm.weight`, false],
  ];
  const linears = [
    ['attn.query', 'self_attn.q_proj'],
    ['attn.key', 'self_attn.k_proj'],
    ['attn.value', 'self_attn.v_proj'],
    ['attn.output', 'self_attn.o_proj'],
    ['ffn.gate', 'mlp.gate_proj'],
    ['ffn.up', 'mlp.up_proj'],
    ['ffn.down', 'mlp.down_proj'],
  ];
  for (const [ours, hf] of linears) {
    out.push([`${o}${ours}.kernel`, `${h}${hf}.weight`, true]);
    if (c.useBias) out.push([`${o}${ours}.bias`, `${h}${hf}.bias`, false]);
  }
  return out;
}

function allNames(c: ResolvedDecoderLMConfig): LinearName[] {
  const names: LinearName[] = [['wte.embeddings', 'model.embed_tokens.weight', false]];
  for (let i = 0; i < c.numLayers; i++) names.push(...layerNames(i, c));
  names.push(['lnF.gamma', 'model.norm.weight', false]);
  if (!c.tieEmbeddings) names.push(['head.kernel', 'lm_head.weight', true]);
  return names;
}

/** Our state dict in `LlamaForCausalLM`'s names; every tensor is new (the caller disposes them). */
export function llamaState(state: StateDict, c: ResolvedDecoderLMConfig): StateDict {
  assertLlamaMappable(c);
  return tf.tidy(() => toLinearNames(state, allNames(c)));
}

/**
 * A Llama state dict in our names for `c` (from {@link fromLlamaConfig}). An untied head with
 * biases gets a zero `head.bias` (Llama's `lm_head` has none); a tied checkpoint's stored head is
 * skipped. `created` lists the new tensors; names Llama does not have are in `unexpected`.
 */
export function fromLlamaState(state: StateDict, c: ResolvedDecoderLMConfig): MappedState {
  const mapped = fromLinearNames(
    state,
    allNames(c),
    // The stored tied head, and the rotary buffer older versions saved.
    (name) =>
      (name === 'lm_head.weight' && c.tieEmbeddings) || /\.rotary_emb\.inv_freq$/.test(name),
  );
  if (!c.tieEmbeddings && c.useBias) {
    const zero = tf.zeros([c.vocabSize]);
    mapped.created.push(zero);
    mapped.state['head.bias'] = zero;
  }
  return mapped;
}
