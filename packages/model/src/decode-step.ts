import * as tf from '@tensorflow/tfjs-core';
import type { KVCache } from '@tformer/attention';
import { rowPicker } from '@tformer/nn';
import {
  type AttentionInput,
  arrangeWeights,
  type Layer,
  type StepWeights,
} from './decode-step-weights.js';
import {
  attentionBias,
  cube,
  type Norm,
  type Projection,
  project,
  rotationAngles,
  TANH_CUBIC,
} from './decode-weights.js';
import type { DecoderCache } from './decoder-cache.js';
import type { DecoderLM } from './decoder-lm.js';

/** This step's keys and values: packed `[k | v]` (node) or apart. */
type KeysValues = { kv: tf.Tensor } | { k: tf.Tensor; v: tf.Tensor };
type Angles = ReturnType<typeof rotationAngles>;

/** One step's inputs, one entry per batch row. */
export interface StepInput {
  /** The new token of each row. */
  ids: readonly number[];
  /** Its absolute position (learned/sinusoidal tables, RoPE angles). */
  positions: readonly number[];
  /** `visible(b, j)`: row b may attend to the j-th of the S cached keys (after this step's). */
  visible?: (b: number, j: number) => boolean;
}

/**
 * The decoding step of a {@link DecoderLM} for one new token per row, on the model's weights
 * rearranged once per `generate` call so that a step launches few kernels (a step of the layer
 * path launched ~280, mostly reshapes, casts, per-head slices and element-wise norm pieces;
 * node pays ~27 µs per kernel whatever its size, so its time per token is mostly their count):
 *
 * - on node the residual stream stays `[1, 1, B, C + 1]`, whose products with rank-2 weights are
 *   one matrix product each, and is read by the per-head weights `[heads, C + 1, w]` as
 *   `[B, 1, 1, C + 1]` (free when B = 1), which they broadcast into `[B, heads, 1, w]` (elsewhere
 *   `[B, C + 1]`, see `#rows`);
 * - on node the cache is packed, one `[B, Hkv, S, 2d]` tensor of `[k | v]` per position
 *   (`KVCache.updatePacked`): keys/values are one product straight into that shape and one
 *   concat; the queries `[q·s | 0]` (s = 1/√d) meet the values with zeros, so the scores are
 *   q·kᵀ exactly, and p·[k | v] feeds an output product whose rows for the key halves are zero:
 *   a layer's attention is 8 kernels where slices and two caches took 13. Elsewhere one
 *   `[q·s | k | v]` product and three slices (split products took webgpu 1.5× the time per
 *   token), keys and values cached apart. RoPE's rotate-half is
 *   folded into extra columns (`[q | q·R]`, `[k | k·R | v]`): rotating is one multiply by
 *   host-made `[cos | sin (| 1)]` and one product with a 0/1 matrix summing the halves;
 * - a norm's gain and shift are folded into the product after it (`diag(γ)·W`, `β·W + b`); the
 *   stream is kept centred (every product writing into it has centred columns), so a LayerNorm
 *   needs no mean, and its extra column √(C·ε) puts the ε into the sum of squares: a norm is a
 *   dot product (Σ of squares when B > 1), rsqrt and a multiply, its 1/C folded in as √C; on
 *   node it is one `LRN` kernel (local response normalisation with a window over the whole
 *   row, β = ½), and GELU's w + c·w³ = w·(1 + c·w²)¹ another (window 0, β = −1);
 * - GELU's input scale and output scale are folded into the FFN's two products;
 * - padding and ALiBi are one additive `[B, Hkv, g, S]` bias per step made on the host, shared
 *   by every layer; grouped-query heads attend as `[B, Hkv, g, 2d]` without repeating keys.
 *
 * The values are those of `model.hidden` up to float32 rounding (the folds reassociate products).
 * Eval mode only (no dropout). It owns the rearranged weights: call {@link dispose}.
 */
export class DecodeStep {
  readonly #model: DecoderLM;
  /** The model's weights folded and laid out for this backend ({@link arrangeWeights}). */
  readonly #weights: StepWeights;
  /** The C model columns of the stream, and a module's output made a centred stream row. */
  readonly #stream: { slice(h: tf.Tensor): tf.Tensor; widen(x: tf.Tensor): tf.Tensor };
  /** The ε of the final norm, carried by the stream's extra column (see {@link arrangeWeights}). */
  readonly #eps: number;
  readonly #heads: { H: number; Hkv: number; d: number; rope: boolean; base: number };
  /**
   * Node: norms and GELU's cubic as one `LRN` kernel each (on wasm the norm's costs 3.7× the
   * kernels it replaces at batch 8, 28× at d 768; cpu 1.05–1.85×), and per-head weights that the
   * product broadcasts over the heads (cpu's and wasm's products broadcast `[B, 1]` against
   * `[heads]` batch dimensions wrongly when B > 1: they take a flat product and a reshape).
   */
  readonly #node = tf.getBackend() === 'tensorflow';

  constructor(model: DecoderLM) {
    this.#model = model;
    const first = model.blocks.at(0).attn;
    this.#heads = {
      H: first.config.numHeads,
      Hkv: first.config.numKeyValueHeads,
      d: first.config.headSize,
      rope: first.rotary !== undefined,
      base: first.config.ropeBase,
    };
    this.#eps = model.lnF.eps;
    this.#weights = arrangeWeights(model, this.#node);
    const C = model.config.dModel;
    this.#stream = {
      slice: (h) => tf.slice(tf.reshape(h, [-1, C + 1]), [0, 0], [-1, C]), // [B, C]
      widen: (x) => this.#rows(this.#weights.streamColumns(x)), // the stream's shape
    };
  }

  /** Logits `[B, V]` of the new tokens; appends their keys/values to `cache` (caller-owned). */
  logits(input: StepInput, cache: DecoderCache): tf.Tensor2D {
    const B = input.ids.length;
    const S = cache.length + 1;
    return tf.tidy(() => {
      const bias = attentionBias(
        input,
        S,
        this.#model.blocks.at(0).attn.alibi?.slopes,
        this.#heads,
      ); // [B, Hkv, g, S]
      const rope = this.#heads.rope ? rotationAngles(input.positions, this.#heads) : undefined;
      let h = this.#embed(input); // the stream: [1, 1, B, C + 1] (node) or [B, C + 1]
      this.#weights.layers.forEach((layer, i) => {
        const n = this.#normalize(h, layer.norm1); // the stream's shape, divided by √C
        const { q, kv } = this.#queriesKeysValues(n, layer.attention, rope);
        const out = this.#attend(q, kv, cache.layers[i]!.self, bias); // [1, 1, B, H·2d] | [B, H·d]
        h = tf.add(h, project(out, layer.out)); // the stream
        h = tf.add(h, this.#feedForward(h, layer));
      });
      const logits = project(this.#normalize(h, this.#model.lnF), this.#weights.logits); // [1, 1, B, V] | [B, V]
      return tf.reshape(logits, [B, -1]) as tf.Tensor2D; // [B, V]
    });
  }

  /**
   * Appends this step's `[k | v]` `[B, Hkv, 1, 2d]` to `cache` and attends to it. Node keeps the
   * cache packed, `[B, Hkv, S, 2d]` (one concat): the queries `[q·s | 0]` `[B, H, 1, 2d]` meet
   * its values with zeros, and the outputs `p·[k | v]` `[1, 1, B, H·2d]` meet the output
   * product's zero rows with their key halves. Elsewhere a kernel costs less than the doubled
   * width (wasm took 1.12× the time per token at context 1,024): keys and values are cut apart
   * and cached as two, the outputs `[B, H·d]`.
   */
  #attend(query: tf.Tensor, kv: KeysValues, cache: KVCache, bias?: tf.Tensor): tf.Tensor {
    const { H, Hkv, d } = this.#heads;
    let keys: tf.Tensor;
    let values: tf.Tensor;
    if ('kv' in kv)
      keys = values = cache.updatePacked(kv.kv, d); // [B, Hkv, S, 2d]
    else ({ keys, values } = cache.update(kv.k, kv.v)); // [B, Hkv, S, d] each
    // Query heads sharing a key/value head are its g = H / Hkv rows: [B, Hkv, g, 2d | d].
    const q = Hkv === H ? query : tf.reshape(query, [query.shape[0]!, Hkv, H / Hkv, -1]);
    let scores = tf.matMul(q, keys, false, true); // [B, Hkv, g, S] (node: q·kᵀ + 0·vᵀ)
    if (bias) scores = tf.add(scores, bias);
    const p = tf.softmax(scores); // [B, Hkv, g, S]
    // g = 1: vᵀ·pᵀ [B, H, ·, 1] has the memory of p·v [B, H, 1, ·] and is ~10× faster on wasm.
    const out = Hkv === H ? tf.matMul(values, p, true, true) : tf.matMul(p, values);
    return this.#rows(out); // [1, 1, B, H·2d] | [B, H·d]
  }

  /**
   * This step's queries `[B, H, 1, 2d | d]` and keys/values of the normalised stream `n`: packed
   * `[k | v]` `[B, Hkv, 1, 2d]` on node, else apart, `[B, Hkv, 1, d]` each. On node each row is
   * made a batch entry of its own, `[B, 1, 1, C + 1]`, which the per-head weights broadcast into
   * `[B, heads, 1, w]` (a reshape, and none when B = 1).
   */
  #queriesKeysValues(
    stream: tf.Tensor,
    a: AttentionInput,
    rope?: Angles,
  ): { q: tf.Tensor; kv: KeysValues } {
    const { H, Hkv, d } = this.#heads;
    const B = this.#node ? stream.shape[2]! : stream.shape[0]!;
    const n = this.#node && B > 1 ? tf.reshape(stream, [B, 1, 1, -1]) : stream; // [B, 1, 1, C + 1] | [B, C + 1]
    if ('qkv' in a) {
      const parts = tf.reshape(project(n, a.qkv), [B, H + 2 * Hkv, 1, d]); // [B, heads, 1, d]
      const heads = (from: number, count: number) =>
        tf.slice(parts, [0, from, 0, 0], [B, count, 1, d]); // [B, count, 1, d]
      return { q: heads(0, H), kv: { k: heads(H, Hkv), v: heads(H + Hkv, Hkv) } };
    }
    const kv = this.#rotate(this.#project(n, a.keyValue, Hkv), rope?.keyValue, 'keyValue'); // [B, Hkv, 1, 2d]
    const q = this.#rotate(this.#project(n, a.query, H), rope?.query, 'query'); // [B, H, 1, 2d | d]
    if (this.#node) return { q, kv: { kv } };
    const cut = (from: number) => tf.slice(kv, [0, 0, 0, from], [-1, -1, -1, d]); // [B, Hkv, 1, d]
    return { q, kv: { k: cut(0), v: cut(d) } };
  }

  /** The normalised rows `[B, 1, 1, C + 1]` | `[B, C + 1]` through per-head weights: `[B, heads, 1, w]`. */
  #project(n: tf.Tensor, p: Projection, heads: number): tf.Tensor {
    const y = project(n, p); // node: [B, heads, 1, w]; else [B, 1, 1, heads·w]
    return this.#node ? y : tf.reshape(y, [n.shape[0]!, heads, 1, -1]); // [B, heads, 1, w]
  }

  /**
   * RoPE: the product's per-head `[x | x·R (| v)]` times `[cos | sin (| 1)]`, summed by halves
   * into `[x·cos + x·R·sin | 0 (or v)]` `[B, heads, 1, 2d]`; without RoPE `x` as it is.
   */
  #rotate(x: tf.Tensor, angles: tf.Tensor | undefined, part: 'query' | 'keyValue'): tf.Tensor {
    if (!angles) return x;
    return tf.matMul(
      tf.mul(x, angles) as tf.Tensor4D,
      this.#weights.rotationSums![part] as tf.Tensor2D,
    );
  }

  dispose(): void {
    tf.dispose(this.#weights.owned);
  }

  /**
   * `x` `[B, …]` as rows of the stream: `[1, 1, B, N]` on node, a rank-4 tensor that LRN takes and
   * whose products with rank-2 weights are one matrix product (`[B, 1, 1, N]` rows were B
   * products of one row each: a batch-8 FFN took 185 µs, 129 as one product); else `[B, N]`,
   * since wasm runs a product with batch dimensions > 1 in its scalar loop (a `[8, 1, 1, C + 1]`
   * stream made batch-8 generation 3.5× slower there than rank-2 rows, which XNNPACK takes).
   */
  #rows(x: tf.Tensor): tf.Tensor {
    const B = x.shape[0]!;
    if (this.#node) return tf.reshape(x, [1, 1, B, -1]); // [1, 1, B, N]
    return x.rank === 2 ? x : tf.reshape(x, [B, -1]); // [B, N]
  }

  /**
   * Token rows (+ position rows) summed: one gather ({@link rowPicker}: `gatherND` on wasm and
   * node, `[1089, 129]` table, 8 rows × 2: 0.088 → 0.022 ms on wasm with the sum) and, with a
   * position table, one sum.
   */
  #embed({ ids, positions }: StepInput): tf.Tensor {
    const B = ids.length;
    const V = this.#model.config.vocabSize;
    const lead = this.#node ? [1, 1, B] : [B]; // the stream's leading dimensions
    if (this.#weights.table.shape[0] === V) return rowPicker(ids, lead)(this.#weights.table); // the stream
    const rows = ids.flatMap((id, b) => [id, V + positions[b]!]);
    return tf.sum(rowPicker(rows, [...lead, 2])(this.#weights.table), lead.length); // [...lead, 2, C + 1] → the stream
  }

  /**
   * x/√(Σx² + C·ε) of the (centred, for LayerNorm) stream: the norm divided by √C, which the
   * folded weights multiply back (its ε column meets zero rows). B = 1 takes the sum of squares
   * as one dot product.
   */
  #normalize(x: tf.Tensor, norm: Norm): tf.Tensor {
    // Σ holds C·ε of the final norm (the ε column); a block norm with another ε adds the rest.
    const rest = this.#model.config.dModel * (norm.eps - this.#eps);
    if (this.#node) {
      // x/(rest + Σ over a window of radius C + 1, i.e. the whole row, of x²)^½
      const C1 = x.shape.at(-1)!;
      return tf.localResponseNormalization(x as tf.Tensor4D, C1, rest, 1, 0.5); // [1, 1, B, C + 1]
    }
    let sumSquares =
      x.shape[0] === 1
        ? tf.matMul(x as tf.Tensor4D, x as tf.Tensor4D, false, true) // [1, 1]
        : tf.sum(tf.square(x), -1, true); // [B, 1]
    if (rest !== 0) sumSquares = tf.add(sumSquares, rest);
    return tf.mul(x, tf.rsqrt(sumSquares)); // [B, C + 1]
  }

  /**
   * The FFN branch in the stream's shape (to add to the residual). On node its hidden activations are
   * columns `[1, 1, dFF, B]` (the up product transposed, the down product reading it
   * transposed: no reshape), so that GELU's w + c·w³ is one `LRN` kernel acting per element,
   * w·(1 + c·w²)^−(−1) over a window of radius 0 (its cost grows with the depth B squared).
   */
  #feedForward(h: tf.Tensor, layer: Layer): tf.Tensor {
    const { ffn } = layer;
    if (ffn.kind === 'module') {
      return this.#stream.widen(ffn.apply(layer.norm2.apply(this.#stream.slice(h))));
    }
    const n = this.#normalize(h, layer.norm2) as tf.Tensor4D;
    // w: the FFN input times GELU_SCALE[kind].input, [1, 1, dFF, B] on node, else [B, dFF]
    let w = this.#node
      ? tf.matMul(ffn.up.w as tf.Tensor2D, n, false, true)
      : tf.matMul(n, ffn.up.w as tf.Tensor2D);
    if (ffn.up.bias) w = tf.add(w, ffn.up.bias);
    let a: tf.Tensor;
    if (ffn.kind === 'relu') a = tf.relu(w);
    else if (ffn.kind === 'gelu')
      a = tf.mul(w, tf.add(tf.erf(w), 1)); // w(1 + erf w) = √2·gelu(x), w = x/√2
    else {
      const cubic = this.#node
        ? tf.localResponseNormalization(w as tf.Tensor4D, 0, 1, TANH_CUBIC, -1)
        : tf.add(w, tf.mul(cube(w), TANH_CUBIC)); // w + c·w³
      a = tf.mul(w, tf.sigmoid(cubic)); // w·σ(w + c·w³) = 2k·gelu_tanh(x)
    }
    // The down weights hold GELU_SCALE[kind].output.
    const y = tf.matMul(a as tf.Tensor4D, ffn.down.w as tf.Tensor2D, this.#node, false); // the stream's shape
    return ffn.down.bias ? tf.add(y, ffn.down.bias) : y;
  }
}
