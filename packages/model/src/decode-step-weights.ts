import * as tf from '@tensorflow/tfjs-core';
import { type Dense, FeedForward, LayerNorm } from '@tformer/nn';
import {
  attentionWeights,
  foldNorm,
  fusedAttentionWeights,
  GELU_SCALE,
  type Norm,
  type Projection,
  rotationSum,
  toHeads,
  valueRows,
} from './decode-weights.js';
import type { DecoderLM } from './decoder-lm.js';
import { centreRows, padZeros, scaleRows } from './fold-ops.js';
import type { TransformerBlock } from './transformer-block.js';

// The weights of `DecodeStep` arranged once per `generate` call: the folds its doc lists, in
// the layouts its kernels read. Internal to the one-token decoding path.

/** The FFN of one layer: specialised activations on folded weights, or the block's own FFN. */
export type Ffn =
  | {
      kind: 'gelu' | 'gelu_tanh' | 'relu';
      /** `[C + 1, dFF]`; on node transposed, `[dFF, C + 1]` and bias `[dFF, 1]` (columns). */
      up: Projection;
      down: Projection;
    }
  | { kind: 'module'; apply: (x: tf.Tensor) => tf.Tensor };

/**
 * Off node without RoPE one flat `[C + 1, (H + 2Hkv)·d]` product `[q·s | k | v]`. Else queries
 * `[H, C + 1, 2d]` on node, `[q·s | 0]` per head (RoPE: `[q | q·R]`), flat `[C + 1, H·2d]` with
 * RoPE elsewhere; and `[k | v]` per head, `[Hkv, C + 1, 2d]` on node (RoPE: `[k | k·R | v]`).
 */
export type AttentionInput = { qkv: Projection } | { query: Projection; keyValue: Projection };

export interface Layer {
  norm1: Norm;
  attention: AttentionInput;
  /** `[H·2d, C + 1]` on node, zero rows meeting the packed outputs' key halves; else `[H·d, C + 1]`. */
  out: Projection;
  norm2: Norm;
  ffn: Ffn;
}

export interface StepWeights {
  layers: Layer[];
  /** `[V (+ L), C + 1]`: token rows, then position rows (learned or sinusoidal) if any. */
  table: tf.Tensor;
  /** `[C + 1, V]`, the final norm folded in. */
  logits: Projection;
  /** RoPE's `[n·d, 2d]` sums of rotated halves ({@link rotationSum}) for queries and keys/values. */
  rotationSums: { query: tf.Tensor; keyValue: tf.Tensor } | undefined;
  /** A module's output `[B, C]` as centred stream columns `[B, C + 1]`. */
  streamColumns(x: tf.Tensor): tf.Tensor;
  /** Every tensor made here (kept out of any tidy): disposed with the step. */
  owned: tf.Tensor[];
}

/**
 * `model`'s weights for `DecodeStep`, `node` choosing tfjs-node's layouts (per-head weights the
 * product broadcasts over the heads, a packed `[k | v]` cache, transposed FFN up weights).
 *
 * What writes into the residual stream's C columns is centred here (LayerNorm models), so the
 * norms need no mean (a LayerNorm of x is that of x·(I − 1/C), and the stream is only read
 * through norms and sums); its last column is the constant √(C·ε) of the final norm, written by
 * the embedding only and read by nothing (zero rows), so that Σ of the squared stream is already
 * Σx² + C·ε and a norm needs no addition. Always new tensors: what is kept here is disposed with
 * the step, never a model weight.
 */
export function arrangeWeights(model: DecoderLM, node: boolean): StepWeights {
  const c = model.config;
  const C = c.dModel;
  const owned: tf.Tensor[] = [];
  const own = <T extends tf.Tensor>(t: T): T => {
    owned.push(tf.keep(t));
    return t;
  };
  const centred = model.lnF instanceof LayerNorm;
  const centre = (x: tf.Tensor) => (centred ? centreRows(x) : tf.clone(x)); // [·, C]
  const noColumn = (x: tf.Tensor) =>
    padZeros(
      x,
      Array.from({ length: x.rank }, (_, i): [number, number] => [0, i === x.rank - 1 ? 1 : 0]),
    ); // [·, C + 1]
  // Every arranged weight is made in a tidy and kept: nothing else outlives this call.
  const keep = (p: Projection): Projection => ({ w: own(p.w), bias: p.bias && own(p.bias) });
  /** A product reading the stream: the norm folded in, and a zero row for the ε column. */
  const padRow = (p: Projection): Projection => ({
    w: padZeros(p.w, [
      [0, 1],
      [0, 0],
    ]), // [C + 1, N]
    bias: p.bias,
  });
  const reader = (p: Projection): Projection => keep(padRow(p));
  /** The weights of a product writing into the stream, times `scale`, centred. */
  const writer = (dense: Dense, scale = 1, rows = (w: tf.Tensor) => w): Projection =>
    tf.tidy(
      () =>
        keep({
          w: rows(noColumn(centre(scaleRows(dense.kernel, scale)))),
          bias: dense.bias && noColumn(centre(dense.bias)),
        }) as never,
    );
  /** Products reading the stream into heads, the norm folded in: `[heads, C + 1, w]` on node. */
  const heads = (norm: Norm, p: Projection, count: number): Projection => {
    const flat = padRow(foldNorm(norm, p.w, p.bias)); // [C + 1, heads·w]
    return keep(node ? toHeads(flat, count) : flat);
  };
  const first = model.blocks.at(0).attn;
  const { numHeads: H, numKeyValueHeads: Hkv, headSize: d } = first.config;
  const rope = first.rotary !== undefined;

  const attention = (block: TransformerBlock): AttentionInput => {
    let input: AttentionInput | undefined;
    // heads() keeps what it makes: only the intermediates go with the tidy.
    tf.tidy(() => {
      if (!node && !rope) {
        input = { qkv: heads(block.ln1, fusedAttentionWeights(block.attn), H) };
        return;
      }
      const { query, keyValue } = attentionWeights(block.attn, node);
      input = { query: heads(block.ln1, query, H), keyValue: heads(block.ln1, keyValue, Hkv) };
    });
    return input!;
  };

  const feedForward = (block: TransformerBlock): Ffn => {
    const ffn = block.ffn;
    const kind = ffn instanceof FeedForward ? ffn.activation : undefined;
    if (
      !(ffn instanceof FeedForward) ||
      (kind !== 'gelu' && kind !== 'gelu_tanh' && kind !== 'relu')
    )
      return { kind: 'module', apply: (x: tf.Tensor) => block.ffn.apply(x) };
    const up = tf.tidy(() => {
      const p = padRow(foldNorm(block.ln2, ffn.up.kernel, ffn.up.bias, GELU_SCALE[kind].input));
      return keep(
        node ? { w: tf.transpose(p.w), bias: p.bias && tf.reshape(p.bias, [-1, 1]) } : p,
      ) as never;
    }) as Projection; // [C + 1, dFF] | node: [dFF, C + 1], bias [dFF, 1]
    return { kind, up, down: writer(ffn.down, GELU_SCALE[kind].output) };
  };

  const layers = [...model.blocks].map(
    (block): Layer => ({
      norm1: block.ln1,
      attention: attention(block),
      out: writer(block.attn.output, 1, (w) => (node ? valueRows(w, H) : w)),
      norm2: block.ln2,
      ffn: feedForward(block),
    }),
  );
  const table = own(
    tf.tidy(() => {
      const e = model.wte;
      const tokens = e.scaleBySqrtDModel ? scaleRows(e.embeddings, Math.sqrt(C)) : e.embeddings;
      const positions = model.wpe?.embeddings ?? model.sinusoid?.encoding(c.maxLength);
      const column = tf.fill([c.vocabSize, 1], Math.sqrt(C * model.lnF.eps)); // the ε column
      const rows = tf.concat([centre(tokens), column], 1); // [V, C + 1]
      // Position rows add 0 to the ε column: a row of the stream is one token + one position.
      return positions ? tf.concat([rows, noColumn(centre(positions))], 0) : rows;
    }),
  ); // [V (+ L), C + 1]
  const head = model.head;
  const logits = tf.tidy(
    () =>
      reader(
        head
          ? foldNorm(model.lnF, head.kernel, head.bias)
          : foldNorm(model.lnF, tf.transpose(model.wte.embeddings), undefined),
      ) as never,
  ) as Projection; // [C + 1, V]
  const rotationSums = rope
    ? {
        query: own(tf.tidy(() => rotationSum(2, node ? 2 : 1, d))),
        keyValue: own(tf.tidy(() => rotationSum(3, 2, d))),
      }
    : undefined;
  return {
    layers,
    table,
    logits,
    rotationSums,
    streamColumns: (x) => noColumn(centre(x)),
    owned,
  };
}
