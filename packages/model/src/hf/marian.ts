import * as tf from '@tensorflow/tfjs-core';
import type { StateDict } from '@tformer/nn';
import type {
  EncoderDecoderConfig,
  ResolvedEncoderDecoderConfig,
} from '../encoder-decoder-config.js';
import { ModelConfigError } from '../errors.js';
import { HF_ACTIVATIONS, readHfConfig } from './hf-config.js';

/**
 * {@link EncoderDecoder} (post-LN, √d_model-scaled embeddings, sinusoidal positions) ↔ Hugging
 * Face `MarianMTModel`. Both compute the same function, up to one difference of layout: our
 * sinusoid interleaves sin/cos (dimension 2i sin, 2i+1 cos, as the paper), Marian's puts every sin
 * in the first half and every cos in the second, and Marian never stores its table (it rebuilds it
 * on load). A model is the same function under any fixed permutation of its residual dimensions
 * (LayerNorm and the residual adds act per dimension; attention heads and the FFN's hidden units
 * are not permuted), so the export reorders every residual axis — embedding columns, the input
 * axis of q/k/v/fc1/lm_head, the output axis of out_proj/fc2, LayerNorm and output biases — to
 * Marian's order, and the import reorders back. Marian's `nn.Linear` weights are `[out, in]`, the
 * transpose of a Dense kernel; it always has biases (a bias-free model exports zeros) and its
 * LayerNorms use eps 1e-5.
 */

/** `nn.LayerNorm`'s default, which Marian's layers use (MarianConfig has no field for it). */
export const MARIAN_LAYER_NORM_EPS = 1e-5;

/** Token ids MarianConfig needs beyond the model's own `padTokenId`. */
export interface MarianTokenIds {
  decoderStart: number;
  bos?: number;
  eos?: number;
}

/** Fails in one line naming the first field of `c` that Marian cannot express. */
export function assertMarianMappable(c: ResolvedEncoderDecoderConfig): void {
  const fail = (field: string, why: string) => {
    throw new ModelConfigError(field, `MarianMTModel ${why}`);
  };
  if (c.preNorm) fail('preNorm', 'has post-LN layers only, got preNorm: true');
  if (!(c.activation in HF_ACTIVATIONS)) fail('activation', `has no '${c.activation}' FFN`);
  if (c.layerNormEps !== MARIAN_LAYER_NORM_EPS) {
    fail('layerNormEps', `LayerNorms use eps 1e-5 (nn.LayerNorm's default), got ${c.layerNormEps}`);
  }
  if (c.dModel % 2 !== 0) fail('dModel', `splits its sinusoid in halves: needs an even dModel`);
}

/** MarianConfig's fields for `c` (its dropout rates all `c.dropout`, as our blocks use it). */
export function marianConfig(
  c: ResolvedEncoderDecoderConfig,
  ids: MarianTokenIds,
): Record<string, unknown> {
  assertMarianMappable(c);
  if (c.padTokenId !== undefined && c.padTokenId === ids.decoderStart) {
    // Our decoder masks padding keys; Marian's does not, so a start token equal to the pad
    // token would be hidden from every later position on our side only.
    throw new ModelConfigError(
      'padTokenId',
      `equals the decoder start token ${ids.decoderStart}: tformer masks it in the decoder, MarianMTModel does not`,
    );
  }
  return {
    architectures: ['MarianMTModel'],
    model_type: 'marian',
    vocab_size: c.srcVocabSize,
    decoder_vocab_size: c.tgtVocabSize,
    share_encoder_decoder_embeddings: c.shareEmbeddings,
    tie_word_embeddings: c.tieOutput,
    max_position_embeddings: c.maxLength,
    d_model: c.dModel,
    encoder_layers: c.numLayers,
    decoder_layers: c.numDecoderLayers,
    encoder_attention_heads: c.numHeads,
    decoder_attention_heads: c.numHeads,
    encoder_ffn_dim: c.dFF,
    decoder_ffn_dim: c.dFF,
    activation_function: HF_ACTIVATIONS[c.activation as keyof typeof HF_ACTIVATIONS],
    dropout: c.dropout,
    attention_dropout: c.dropout,
    activation_dropout: 0,
    encoder_layerdrop: 0,
    decoder_layerdrop: 0,
    scale_embedding: true,
    init_std: 0.02,
    is_encoder_decoder: true,
    use_cache: true,
    pad_token_id: c.padTokenId ?? null,
    decoder_start_token_id: ids.decoderStart,
    bos_token_id: ids.bos ?? null,
    eos_token_id: ids.eos ?? null,
    // MarianConfig defaults this to 0, which would force token 0 at the last generated position.
    forced_eos_token_id: null,
  };
}

/**
 * The EncoderDecoder config of a Marian config.json; a field with no equivalent fails naming it.
 * `padTokenId` is taken from `pad_token_id` unless it is also the decoder start token (Marian's
 * own convention), which our decoder would mask: then the model has no `padTokenId` and callers
 * pass source attention through lengths instead (as transformers' attention_mask does).
 */
export function fromMarianConfig(
  raw: Record<string, unknown>,
  source: string,
): { config: EncoderDecoderConfig; decoderStart: number } {
  const r = readHfConfig(raw, source, 'EncoderDecoder');
  const activation = r.activation('gelu');
  if (!r.bool('scale_embedding', false)) {
    r.fail(
      'scale_embedding',
      'false has no EncoderDecoder equivalent (embeddings are scaled by √d_model)',
    );
  }
  const same = (a: string, b: string) => {
    const x = r.int(a);
    if (r.int(b) !== x) r.fail(b, `${raw[b]} ≠ ${a} ${x}: EncoderDecoder has one value for both`);
    return x;
  };
  const dModel = r.int('d_model');
  if (dModel % 2 !== 0) r.fail('d_model', `${dModel} is odd (the sinusoid splits in halves)`);
  r.expect('normalize_before', false);
  r.expect('add_final_layer_norm', false);
  r.expect('layernorm_embedding', false);
  const vocab = r.int('vocab_size');
  const shared = r.bool('share_encoder_decoder_embeddings', true);
  const decoderStart = raw.decoder_start_token_id;
  if (!Number.isInteger(decoderStart) || (decoderStart as number) < 0) {
    r.fail('decoder_start_token_id', `expected a token id, got ${JSON.stringify(decoderStart)}`);
  }
  const pad = raw.pad_token_id;
  const padTokenId =
    Number.isInteger(pad) && (pad as number) >= 0 && pad !== decoderStart
      ? (pad as number)
      : undefined;
  return {
    decoderStart: decoderStart as number,
    config: {
      srcVocabSize: vocab,
      tgtVocabSize: shared ? vocab : (r.optionalInt('decoder_vocab_size') ?? vocab),
      shareEmbeddings: shared,
      tieOutput: r.bool('tie_word_embeddings', true),
      maxLength: r.int('max_position_embeddings'),
      dModel,
      numLayers: r.int('encoder_layers'),
      numDecoderLayers: r.int('decoder_layers'),
      numHeads: same('encoder_attention_heads', 'decoder_attention_heads'),
      dFF: same('encoder_ffn_dim', 'decoder_ffn_dim'),
      activation,
      dropout: r.num('dropout', 0.1),
      preNorm: false,
      useBias: true,
      layerNormEps: MARIAN_LAYER_NORM_EPS,
      ...(padTokenId === undefined ? {} : { padTokenId }),
    },
  };
}

/**
 * How a tensor's axes relate to the residual stream: `embed` `[V, d]`; `in` an nn.Linear reading
 * it (`[out, d]`); `out` one writing it (`[d, in]`); `vec` a `[d]` vector (LayerNorm, output
 * bias); `bias` a bias of another width; `logits` final_logits_bias `[1, V]` ↔ our `[V]`.
 */
type Kind = 'embed' | 'in' | 'out' | 'vec' | 'bias' | 'logits';

function names(c: ResolvedEncoderDecoderConfig): [string, string, Kind][] {
  const out: [string, string, Kind][] = c.shareEmbeddings
    ? [['srcEmbed.embeddings', 'model.shared.weight', 'embed']]
    : [
        ['srcEmbed.embeddings', 'model.encoder.embed_tokens.weight', 'embed'],
        ['tgtEmbed.embeddings', 'model.decoder.embed_tokens.weight', 'embed'],
      ];
  const attention = (ours: string, hf: string) => {
    for (const [o, h] of [
      ['query', 'q_proj'],
      ['key', 'k_proj'],
      ['value', 'v_proj'],
    ]) {
      out.push([`${ours}.${o}.kernel`, `${hf}.${h}.weight`, 'in']);
      out.push([`${ours}.${o}.bias`, `${hf}.${h}.bias`, 'bias']);
    }
    out.push([`${ours}.output.kernel`, `${hf}.out_proj.weight`, 'out']);
    out.push([`${ours}.output.bias`, `${hf}.out_proj.bias`, 'vec']);
  };
  const norm = (ours: string, hf: string) => {
    out.push([`${ours}.gamma`, `${hf}.weight`, 'vec']);
    out.push([`${ours}.beta`, `${hf}.bias`, 'vec']);
  };
  const ffn = (ours: string, hf: string) => {
    out.push([`${ours}ffn.up.kernel`, `${hf}fc1.weight`, 'in']);
    out.push([`${ours}ffn.up.bias`, `${hf}fc1.bias`, 'bias']);
    out.push([`${ours}ffn.down.kernel`, `${hf}fc2.weight`, 'out']);
    out.push([`${ours}ffn.down.bias`, `${hf}fc2.bias`, 'vec']);
  };
  for (let i = 0; i < c.numLayers; i++) {
    const o = `encoder.layers.${i}.`;
    const h = `model.encoder.layers.${i}.`;
    attention(`${o}attn`, `${h}self_attn`);
    norm(`${o}ln1`, `${h}self_attn_layer_norm`);
    ffn(o, h);
    norm(`${o}ln2`, `${h}final_layer_norm`);
  }
  for (let i = 0; i < c.numDecoderLayers; i++) {
    const o = `decoder.layers.${i}.`;
    const h = `model.decoder.layers.${i}.`;
    attention(`${o}selfAttn`, `${h}self_attn`);
    norm(`${o}ln1`, `${h}self_attn_layer_norm`);
    attention(`${o}crossAttn`, `${h}encoder_attn`);
    norm(`${o}ln2`, `${h}encoder_attn_layer_norm`);
    ffn(o, h);
    norm(`${o}ln3`, `${h}final_layer_norm`);
  }
  if (!c.tieOutput) {
    out.push(['generator.kernel', 'lm_head.weight', 'in']);
    out.push(['generator.bias', 'final_logits_bias', 'logits']);
  }
  return out;
}

/**
 * Marian's residual order as indices into ours: its dimension m < d/2 is our 2m (a sin), its
 * d/2 + i our 2i + 1 (the cos of the same frequency).
 */
function toMarianOrder(d: number): tf.Tensor1D {
  const idx = new Int32Array(d);
  for (let m = 0; m < d; m++) idx[m] = m < d / 2 ? 2 * m : 2 * (m - d / 2) + 1;
  return tf.tensor1d(idx, 'int32');
}

/** The inverse of {@link toMarianOrder}: ours as indices into Marian's. */
function fromMarianOrder(d: number): tf.Tensor1D {
  const idx = new Int32Array(d);
  for (let k = 0; k < d; k++) idx[k] = k % 2 === 0 ? k / 2 : d / 2 + (k - 1) / 2;
  return tf.tensor1d(idx, 'int32');
}

/** Our state dict in MarianMTModel's names and layouts; every tensor is new (the caller disposes). */
export function marianState(state: StateDict, c: ResolvedEncoderDecoderConfig): StateDict {
  assertMarianMappable(c);
  return tf.tidy(() => {
    const order = toMarianOrder(c.dModel);
    const out: StateDict = {};
    for (const [ours, hf, kind] of names(c)) {
      // A bias-free model has no biases or LayerNorm betas: Marian's are exact zeros then.
      const t = state[ours] ?? tf.zeros([kind === 'logits' ? c.tgtVocabSize : widthOf(ours, c)]);
      out[hf] = toMarian(t, kind, order);
    }
    return out;
  });
}

/** The width of a bias our bias-free model lacks: the FFN's hidden size for fc1, else dModel. */
function widthOf(name: string, c: ResolvedEncoderDecoderConfig): number {
  if (name.endsWith('ffn.up.bias')) return c.dFF;
  return c.dModel;
}

function toMarian(t: tf.Tensor, kind: Kind, order: tf.Tensor1D): tf.Tensor {
  switch (kind) {
    case 'embed':
      return tf.gather(t, order, 1); // [V, d] columns in Marian's order
    case 'in':
      return tf.gather(tf.transpose(t), order, 1); // [in=d, out] → [out, d]
    case 'out':
      return tf.gather(tf.transpose(t), order, 0); // [in, out=d] → [d, in]
    case 'vec':
      return tf.gather(t, order);
    case 'bias':
      return tf.clone(t);
    case 'logits':
      return tf.reshape(t, [1, -1]); // [V] → [1, V]
  }
}

/**
 * A MarianMTModel state dict in our names for `c` (from {@link fromMarianConfig}). Tied copies
 * (the encoder's and decoder's `embed_tokens` of a shared vocabulary, a tied `lm_head`) and the
 * sinusoid tables some versions store are skipped. A tied model's `final_logits_bias` must be zero
 * (our tied projection has no bias): a nonzero one fails naming it. `created` lists the new
 * tensors; names Marian does not have are in `unexpected`. A tensor whose residual axis has the
 * wrong width passes through unchanged, so the caller's shape check names it.
 */
export function fromMarianState(
  state: StateDict,
  c: ResolvedEncoderDecoderConfig,
): { state: StateDict; created: tf.Tensor[]; unexpected: string[] } {
  const byHf = new Map(names(c).map(([ours, hf, kind]) => [hf, { ours, kind }]));
  const out: StateDict = {};
  const created: tf.Tensor[] = [];
  const unexpected: string[] = [];
  const order = fromMarianOrder(c.dModel);
  const d = c.dModel;
  try {
    for (const [name, tensor] of Object.entries(state)) {
      if (/^model\.(en|de)coder\.embed_positions\.weight$/.test(name)) continue;
      if (c.shareEmbeddings && /^model\.(en|de)coder\.embed_tokens\.weight$/.test(name)) {
        if (state['model.shared.weight'] !== undefined) continue;
      }
      if (c.tieOutput && name === 'lm_head.weight') continue;
      if (c.tieOutput && name === 'final_logits_bias') {
        assertZero(tensor, name);
        continue;
      }
      const m =
        byHf.get(name) ??
        (c.shareEmbeddings && /embed_tokens\.weight$/.test(name)
          ? byHf.get('model.shared.weight')
          : undefined);
      if (!m) {
        unexpected.push(name);
        continue;
      }
      const t = fromMarian(tensor, m.kind, order, d);
      if (t !== tensor) created.push(t);
      out[m.ours] = t;
    }
    if (!c.tieOutput && out['generator.bias'] === undefined) {
      const zero = tf.zeros([c.tgtVocabSize]); // transformers may leave the zero buffer out
      created.push(zero);
      out['generator.bias'] = zero;
    }
  } finally {
    order.dispose();
  }
  return { state: out, created, unexpected };
}

function fromMarian(t: tf.Tensor, kind: Kind, order: tf.Tensor1D, d: number): tf.Tensor {
  const fits = (axis: number, rank: number) => t.rank === rank && t.shape[axis] === d;
  return tf.tidy(() => {
    switch (kind) {
      case 'embed':
        return fits(1, 2) ? tf.gather(t, order, 1) : t;
      case 'in':
        return fits(1, 2) ? tf.transpose(tf.gather(t, order, 1)) : t; // [out, d] → [d, out]
      case 'out':
        return fits(0, 2) ? tf.transpose(tf.gather(t, order, 0)) : t; // [d, in] → [in, d]
      case 'vec':
        return fits(0, 1) ? tf.gather(t, order) : t;
      case 'bias':
        return t;
      case 'logits':
        return t.rank === 2 && t.shape[0] === 1 ? tf.reshape(t, [-1]) : t; // [1, V] → [V]
    }
  });
}

function assertZero(t: tf.Tensor, name: string): void {
  // sync-read-ok: decodeHuggingFace is synchronous; once per load, a [1, V] vector just made from the file's bytes
  const values = t.dataSync();
  if (values.some((v) => v !== 0)) {
    throw new ModelConfigError(
      name,
      'is not zero, and a tied EncoderDecoder output has no bias (set tie_word_embeddings false to keep it)',
    );
  }
}
