import * as tf from '@tensorflow/tfjs-core';
import type { StateDict } from '@tformer/nn';
import type { ResolvedDecoderLMConfig } from './decoder-lm-config.js';
import { ModelConfigError } from './errors.js';

/**
 * Hugging Face GPT-2 tensor names ↔ {@link DecoderLM} parameter names.
 *
 * HF's `gpt2` `model.safetensors` stores `GPT2Model`'s tensors without a prefix (`wte.weight`,
 * `h.0.attn.c_attn.weight`, …); checkpoints saved from `GPT2LMHeadModel` carry `transformer.` and
 * some also the causal-mask buffers `h.N.attn.bias` / `h.N.attn.masked_bias` and a tied
 * `lm_head.weight`. GPT-2's `Conv1D` stores its weight as `[in, out]`, the layout of a `Dense`
 * kernel, so weights copy without a transpose; `c_attn` fuses q|k|v along the output axis.
 */

/** Fails unless the model has GPT-2's shape: biases, learned positions, MHA, GELU MLP, tied head. */
export function assertGPT2Compatible(c: ResolvedDecoderLMConfig): void {
  const rules: [keyof ResolvedDecoderLMConfig, boolean, string][] = [
    ['useBias', c.useBias, 'true'],
    ['position', c.position === 'learned', "'learned'"],
    ['numKeyValueHeads', c.numKeyValueHeads === c.numHeads, `numHeads (${c.numHeads})`],
    [
      'headSize',
      c.headSize * c.numHeads === c.dModel,
      `dModel / numHeads (${c.dModel / c.numHeads})`,
    ],
    ['activation', c.activation === 'gelu_tanh' || c.activation === 'gelu', "'gelu_tanh'"],
    ['tieEmbeddings', c.tieEmbeddings, 'true'],
  ];
  for (const [field, ok, expected] of rules) {
    if (!ok) {
      throw new ModelConfigError(
        field,
        `gpt2 naming needs ${expected}, got ${JSON.stringify(c[field])}`,
      );
    }
  }
}

/** Tensors of GPT-2 checkpoints that are not parameters (mask buffers, the tied head). */
export function isGPT2Buffer(name: string): boolean {
  return /^h\.\d+\.attn\.(bias|masked_bias)$/.test(name) || name === 'lm_head.weight';
}

/**
 * Our state dict in GPT-2's names. Fused `c_attn` tensors are new (the caller disposes what
 * `created` lists); the others are the live parameters.
 */
export function decoderLMStateToGPT2(
  state: StateDict,
  c: ResolvedDecoderLMConfig,
): { state: StateDict; created: tf.Tensor[] } {
  assertGPT2Compatible(c);
  const out: StateDict = {};
  const created: tf.Tensor[] = [];
  const get = (name: string) => state[name]!;
  out['wte.weight'] = get('wte.embeddings');
  out['wpe.weight'] = get('wpe.embeddings');
  for (let i = 0; i < c.numLayers; i++) {
    const ours = `blocks.${i}.`;
    const hf = `h.${i}.`;
    for (const kind of ['kernel', 'bias'] as const) {
      const hfKind = kind === 'kernel' ? 'weight' : 'bias';
      const axis = kind === 'kernel' ? 1 : 0;
      const fused = tf.concat(
        ['query', 'key', 'value'].map((p) => get(`${ours}attn.${p}.${kind}`)),
        axis,
      ); // [C, 3C] or [3C]
      created.push(fused);
      out[`${hf}attn.c_attn.${hfKind}`] = fused;
      for (const [o, h] of PER_LAYER) out[`${hf}${h}.${hfKind}`] = get(`${ours}${o}.${kind}`);
    }
    for (const [o, h] of NORMS) {
      out[`${hf}${h}.weight`] = get(`${ours}${o}.gamma`);
      out[`${hf}${h}.bias`] = get(`${ours}${o}.beta`);
    }
  }
  out['ln_f.weight'] = get('lnF.gamma');
  out['ln_f.bias'] = get('lnF.beta');
  return { state: out, created };
}

/**
 * A GPT-2 state dict (with or without the `transformer.` prefix) in our names. Buffers are
 * skipped; names that GPT-2 does not have are returned in `unexpected`; `c_attn` is split into
 * new q, k, v tensors listed in `created` (the caller disposes them).
 */
export function gpt2StateToDecoderLM(
  state: StateDict,
  c: ResolvedDecoderLMConfig,
): { state: StateDict; created: tf.Tensor[]; unexpected: string[] } {
  assertGPT2Compatible(c);
  const out: StateDict = {};
  const created: tf.Tensor[] = [];
  const unexpected: string[] = [];
  for (const [rawName, tensor] of Object.entries(state)) {
    const name = rawName.replace(/^transformer\./, '');
    if (isGPT2Buffer(name)) continue;
    const ours = ourName(name);
    if (ours === undefined) {
      unexpected.push(rawName);
      continue;
    }
    const fused = /^h\.(\d+)\.attn\.c_attn\.(weight|bias)$/.exec(name);
    if (!fused) {
      out[ours] = tensor;
      continue;
    }
    const axis = fused[2] === 'weight' ? 1 : 0;
    const width = tensor.shape[axis]!;
    // A fused tensor of the wrong width is left whole under its q name so the shape check reports it.
    if (width % 3 !== 0) {
      out[ours] = tensor;
      continue;
    }
    const parts = tf.split(tensor, 3, axis); // q | k | v, each [C, C] or [C]
    created.push(...parts);
    const kind = axis === 1 ? 'kernel' : 'bias';
    ['query', 'key', 'value'].forEach((p, j) => {
      out[`blocks.${fused[1]}.attn.${p}.${kind}`] = parts[j]!;
    });
  }
  return { state: out, created, unexpected };
}

const PER_LAYER = [
  ['attn.output', 'attn.c_proj'],
  ['ffn.up', 'mlp.c_fc'],
  ['ffn.down', 'mlp.c_proj'],
] as const;
const NORMS = [
  ['ln1', 'ln_1'],
  ['ln2', 'ln_2'],
] as const;

/** Our name of a GPT-2 tensor (for c_attn: the query's), or undefined if GPT-2 has no such. */
function ourName(name: string): string | undefined {
  const top: Record<string, string> = {
    'wte.weight': 'wte.embeddings',
    'wpe.weight': 'wpe.embeddings',
    'ln_f.weight': 'lnF.gamma',
    'ln_f.bias': 'lnF.beta',
  };
  if (top[name]) return top[name];
  const m = /^h\.(\d+)\.(.+)\.(weight|bias)$/.exec(name);
  if (!m) return undefined;
  const [, i, module, kind] = m;
  if (module === 'attn.c_attn')
    return `blocks.${i}.attn.query.${kind === 'weight' ? 'kernel' : 'bias'}`;
  const linear = PER_LAYER.find(([, h]) => h === module);
  if (linear) return `blocks.${i}.${linear[0]}.${kind === 'weight' ? 'kernel' : 'bias'}`;
  const norm = NORMS.find(([, h]) => h === module);
  if (norm) return `blocks.${i}.${norm[0]}.${kind === 'weight' ? 'gamma' : 'beta'}`;
  return undefined;
}
