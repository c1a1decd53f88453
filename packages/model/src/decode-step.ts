import * as tf from '@tensorflow/tfjs-core';
import type { MultiHeadAttention } from '@tformer/attention';
import { type Dense, FeedForward, LayerNorm, type RMSNorm, rowPicker } from '@tformer/nn';
import type { DecoderCache } from './decoder-cache.js';
import type { DecoderLM } from './decoder-lm.js';

/** Added to the scores of hidden keys: finite, and exp(−1e9 − max) is an exact 0 in float32. */
const MASKED = -1e9;

type Norm = LayerNorm | RMSNorm;

/** A product `x·w + bias` whose weights already hold a norm's gain/shift and any fixed scale. */
interface Projection {
  w: tf.Tensor2D;
  bias: tf.Tensor1D | undefined;
}

/** The FFN of one layer: specialised activations on folded weights, or the block's own FFN. */
type Ffn =
  | { kind: 'gelu' | 'gelu_tanh' | 'relu'; up: Projection; down: Projection }
  | { kind: 'module'; apply: (x: tf.Tensor) => tf.Tensor };

/** k = √(2/π) of GELU's tanh form, whose ½(1 + tanh y) is σ(2y). */
const K = Math.sqrt(2 / Math.PI);
/**
 * The factors folded into the FFN's first product (`input`) and second (`output`): GELU's
 * argument w = x/√2 of erf, whose w(1 + erf w) is √2·gelu(x); or w = 2k·x, so that
 * 2k(x + 0.044715x³) = w + TANH_CUBIC·w³ and w·σ(that) is 2k·gelu_tanh(x).
 */
const GELU_SCALE = {
  gelu: { input: Math.SQRT1_2, output: Math.SQRT1_2 },
  gelu_tanh: { input: 2 * K, output: 1 / (2 * K) },
  relu: { input: 1, output: 1 },
} as const;
const TANH_CUBIC = 0.044715 / (2 * K) ** 2;

interface Layer {
  norm1: Norm;
  qkv: Projection;
  out: Projection;
  norm2: Norm;
  ffn: Ffn;
}

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
 * path launched ~280, mostly reshapes, casts, per-head slices and element-wise norm pieces):
 *
 * - the residual stream stays `[B, C + 1]` (no reshapes around every projection);
 * - query, key and value are one product on `[Wq·s | Wk | Wv]` (s = 1/√d, the attention scale),
 *   cut with three slices; RoPE's rotate-half is folded into extra columns `Wq·R`, `Wk·R`, so
 *   rotating is x·cos + (x·R)·sin with host-made cos/sin;
 * - a norm's gain and shift are folded into the product after it (`diag(γ)·W`, `β·W + b`); the
 *   stream is kept centred (every product writing into it has centred columns), so a LayerNorm
 *   needs no mean, and its extra column √(C·ε) puts the ε into the sum of squares: a norm is a
 *   dot product (Σ of squares when B > 1), rsqrt and a multiply, its 1/C folded in as √C; on
 *   node it is one `LRN` kernel (local response normalisation with a window over the whole
 *   row, β = ½), the stream then being `[B, 1, 1, C + 1]` as that kernel takes rank 4 — node
 *   pays ~40 µs per kernel whatever its size: 118 → 101 kernels per token at batch 1;
 * - GELU's input scale and output scale are folded into the FFN's two products;
 * - padding and ALiBi are one additive `[B, Hkv, g, S]` bias per step made on the host, shared
 *   by every layer; grouped-query heads attend as `[B, Hkv, g, d]` without repeating keys.
 *
 * The values are those of `model.hidden` up to float32 rounding (the folds reassociate products).
 * Eval mode only (no dropout). It owns the rearranged weights: call {@link dispose}.
 */
export class DecodeStep {
  readonly #model: DecoderLM;
  readonly #layers: Layer[];
  readonly #owned: tf.Tensor[] = [];
  /** `[V (+ L), C + 1]`: token rows, then position rows (learned or sinusoidal) if any. */
  readonly #table: tf.Tensor;
  readonly #logits: Projection;
  /** The C model columns of the stream, and a module's output made a centred stream row. */
  readonly #stream: { slice(h: tf.Tensor): tf.Tensor; widen(x: tf.Tensor): tf.Tensor };
  /** LayerNorm models keep the residual stream centred (x·(I − 1/C)); RMSNorm ones do not. */
  readonly #centred: boolean;
  /** The ε of the final norm, carried by the stream's extra column (see the constructor). */
  readonly #eps: number;
  readonly #heads: { H: number; Hkv: number; d: number; rope: boolean; base: number };
  /**
   * Norms as one `LRN` kernel (node only: on wasm it costs 3.7× the kernels it replaces at
   * batch 8, 28× at d 768; cpu 1.05–1.85×), with the stream `[B, 1, 1, C + 1]`; else `[B, C + 1]`.
   */
  readonly #lrn = tf.getBackend() === 'tensorflow';

  constructor(model: DecoderLM) {
    this.#model = model;
    const c = model.config;
    const C = c.dModel;
    const first = model.blocks.at(0).attn;
    this.#heads = {
      H: first.config.numHeads,
      Hkv: first.config.numKeyValueHeads,
      d: first.config.headSize,
      rope: first.rotary !== undefined,
      base: first.config.ropeBase,
    };
    const own = <T extends tf.Tensor>(t: T): T => {
      this.#owned.push(tf.keep(t));
      return t;
    };
    this.#centred = model.lnF instanceof LayerNorm;
    this.#eps = model.lnF.eps;
    // The residual stream is [B, C + 1]. What writes into its C columns is centred once here, so
    // the norms need no mean (a LayerNorm of x is that of x·(I − 1/C), and the stream is only
    // read through norms and sums); its last column is the constant √(C·ε), written by the
    // embedding only and read by nothing (zero rows below), so that Σ of the squared stream is
    // already Σx² + C·ε and a norm needs no addition. Always new tensors: what is kept here is
    // disposed with the step, never a model weight.
    const centre = (x: tf.Tensor) =>
      this.#centred ? tf.sub(x, tf.mean(x, -1, true)) : tf.clone(x); // [·, C]
    const noColumn = (x: tf.Tensor) =>
      tf.pad(
        x,
        Array.from({ length: x.rank }, (_, i): [number, number] => [0, i === x.rank - 1 ? 1 : 0]),
      ); // [·, C + 1]
    // Every rearranged weight is made in a tidy and kept: nothing else outlives the constructor.
    const keep = (p: Projection): Projection => ({ w: own(p.w), bias: p.bias && own(p.bias) });
    /** A product reading the stream: the norm folded in, and a zero row for the ε column. */
    const reader = (p: Projection): Projection =>
      keep({
        w: tf.pad(p.w, [
          [0, 1],
          [0, 0],
        ]) as tf.Tensor2D,
        bias: p.bias,
      });
    const fold = (norm: Norm, w: tf.Tensor, bias?: tf.Tensor, scale = 1): Projection =>
      tf.tidy(() => reader(foldNorm(norm, w, bias, scale)) as never);
    /** The weights of a product writing into the stream, times `scale`, centred. */
    const writer = (dense: Dense, scale = 1): Projection =>
      tf.tidy(
        () =>
          keep({
            w: noColumn(centre(tf.mul(dense.kernel, scale))) as tf.Tensor2D,
            bias: dense.bias && (noColumn(centre(dense.bias)) as tf.Tensor1D),
          }) as never,
      );
    this.#stream = {
      slice: (h) => tf.slice(this.#lrn ? tf.reshape(h, [-1, C + 1]) : h, [0, 0], [-1, C]), // [B, C]
      widen: (x) => this.#rows(noColumn(centre(x))), // the stream's shape
    };
    this.#layers = [...model.blocks].map((block) => {
      const ffn = block.ffn;
      const kind = ffn instanceof FeedForward ? ffn.activation : undefined;
      return {
        norm1: block.ln1,
        qkv: tf.tidy(() => {
          const { w, bias } = attentionWeights(block.attn);
          return reader(foldNorm(block.ln1, w, bias)) as never;
        }),
        out: writer(block.attn.output),
        norm2: block.ln2,
        ffn:
          ffn instanceof FeedForward && (kind === 'gelu' || kind === 'gelu_tanh' || kind === 'relu')
            ? {
                kind,
                up: fold(block.ln2, ffn.up.kernel, ffn.up.bias, GELU_SCALE[kind].input),
                down: writer(ffn.down, GELU_SCALE[kind].output),
              }
            : { kind: 'module', apply: (x: tf.Tensor) => block.ffn.apply(x) },
      };
    });
    this.#table = own(
      tf.tidy(() => {
        const e = model.wte;
        const tokens = e.scaleBySqrtDModel ? tf.mul(e.embeddings, Math.sqrt(C)) : e.embeddings;
        const positions = model.wpe?.embeddings ?? model.sinusoid?.encoding(c.maxLength);
        const column = tf.fill([c.vocabSize, 1], Math.sqrt(C * this.#eps)); // the ε column
        const rows = tf.concat([centre(tokens), column], 1); // [V, C + 1]
        // Position rows add 0 to the ε column: a row of the stream is one token + one position.
        const table = positions ? tf.concat([rows, noColumn(centre(positions))], 0) : rows;
        return this.#rows(table); // a gather of its rows is already the stream's shape
      }),
    ); // [V (+ L), C + 1], or [V (+ L), 1, 1, C + 1] with LRN
    const head = model.head;
    this.#logits = head
      ? fold(model.lnF, head.kernel, head.bias)
      : tf.tidy(
          () => reader(foldNorm(model.lnF, tf.transpose(model.wte.embeddings), undefined)) as never,
        ); // [C + 1, V]
  }

  /** Logits `[B, V]` of the new tokens; appends their keys/values to `cache` (caller-owned). */
  logits(input: StepInput, cache: DecoderCache): tf.Tensor2D {
    const B = input.ids.length;
    const { H, Hkv, d } = this.#heads;
    const S = cache.length + 1;
    return tf.tidy(() => {
      const bias = this.#bias(input, S); // [B|1, Hkv, g, S]
      const rope = this.#heads.rope ? this.#rotation(input.positions) : undefined;
      let h = this.#embed(input); // the stream: [B, C + 1], or [B, 1, 1, C + 1] with LRN
      this.#layers.forEach((layer, i) => {
        const n = this.#normalize(h, layer.norm1); // [B, C], divided by √C
        const qkv = project(n, layer.qkv); // [B, (H + 2Hkv)·d] (+ (H + Hkv)·d rotated columns)
        let q: tf.Tensor;
        let k: tf.Tensor;
        let v: tf.Tensor;
        // Slices, not tf.split: wasm's SplitV costs ~10× three Slice kernels (bench decode.ts).
        const heads = (x: tf.Tensor, from: number, count: number) =>
          tf.slice(x, [0, from, 0, 0], [B, count, 1, d]); // [B, count, 1, d]
        if (rope) {
          const parts = tf.reshape(qkv, [B, 2 * H + 3 * Hkv, 1, d]); // [B, heads, 1, d]
          const [qk, turned] = [heads(parts, 0, H + Hkv), heads(parts, H + Hkv, H + Hkv)];
          const rotated = tf.add(tf.mul(qk, rope.cos), tf.mul(turned, rope.sin)); // [B, H + Hkv, 1, d]
          [q, k, v] = [
            heads(rotated, 0, H),
            heads(rotated, H, Hkv),
            heads(parts, 2 * (H + Hkv), Hkv),
          ];
        } else {
          const parts = tf.reshape(qkv, [B, H + 2 * Hkv, 1, d]); // [B, heads, 1, d]
          [q, k, v] = [heads(parts, 0, H), heads(parts, H, Hkv), heads(parts, H + Hkv, Hkv)];
        }
        const { keys, values } = cache.layers[i]!.self.update(k, v); // [B, Hkv, S, d]
        // Query heads sharing a key/value head are its g = H / Hkv rows: [B, Hkv, g, d].
        if (Hkv !== H) q = tf.reshape(q, [B, Hkv, H / Hkv, d]);
        let scores = tf.matMul(q, keys, false, true); // [B, Hkv, g, S]; q holds the 1/√d
        if (bias) scores = tf.add(scores, bias);
        const p = tf.softmax(scores); // [B, Hkv, g, S]
        // g = 1: vᵀ·pᵀ [B, H, d, 1] has the memory of p·v [B, H, 1, d] and is ~10× faster on wasm.
        const out = Hkv === H ? tf.matMul(values, p, true, true) : tf.matMul(p, values);
        h = tf.add(h, project(this.#rows(out), layer.out)); // the stream
        h = tf.add(h, this.#feedForward(h, layer));
      });
      const logits = project(this.#normalize(h, this.#model.lnF), this.#logits);
      return (this.#lrn ? tf.reshape(logits, [B, -1]) : logits) as tf.Tensor2D; // [B, V]
    });
  }

  dispose(): void {
    tf.dispose(this.#owned);
  }

  /** `x` `[B, …]` as rows of the stream's rank: `[B, 1, 1, N]` with LRN, else `[B, N]`. */
  #rows(x: tf.Tensor): tf.Tensor {
    // The LRN stream is [B, 1, 1, N]: its products broadcast the rank-2 weights over [B, 1].
    const B = x.shape[0]!;
    if (this.#lrn) return tf.reshape(x, [B, 1, 1, -1]);
    return x.rank === 2 ? x : tf.reshape(x, [B, -1]);
  }

  /**
   * Token rows (+ position rows) summed: one gather ({@link rowPicker}: `gatherND` on wasm and
   * node, `[1089, 129]` table, 8 rows × 2: 0.088 → 0.022 ms on wasm with the sum) and, with a
   * position table, one sum.
   */
  #embed({ ids, positions }: StepInput): tf.Tensor {
    const B = ids.length;
    const V = this.#model.config.vocabSize;
    if (this.#table.shape[0] === V) return rowPicker(ids)(this.#table); // [B, (1, 1,) C + 1]
    const rows = ids.flatMap((id, b) => [id, V + positions[b]!]);
    return tf.sum(rowPicker(rows, [B, 2])(this.#table), 1); // [B, 2, (1, 1,) C + 1] → [B, (1, 1,) C + 1]
  }

  /**
   * x/√(Σx² + C·ε) of the (centred, for LayerNorm) stream: the norm divided by √C, which the
   * folded weights multiply back (its ε column meets zero rows). B = 1 takes the sum of squares
   * as one dot product.
   */
  #normalize(x: tf.Tensor, norm: Norm): tf.Tensor {
    // Σ holds C·ε of the final norm (the ε column); a block norm with another ε adds the rest.
    const rest = this.#model.config.dModel * (norm.eps - this.#eps);
    if (this.#lrn) {
      // x/(rest + Σ over a window of radius C + 1, i.e. the whole row, of x²)^½
      const C1 = x.shape.at(-1)!;
      return tf.localResponseNormalization(x as tf.Tensor4D, C1, rest, 1, 0.5); // [B, 1, 1, C + 1]
    }
    let sumSquares =
      x.shape[0] === 1
        ? tf.matMul(x, x, false, true) // [1, 1]
        : tf.sum(tf.square(x), -1, true); // [B, 1]
    if (rest !== 0) sumSquares = tf.add(sumSquares, rest);
    return tf.mul(x, tf.rsqrt(sumSquares)); // [B, C + 1]
  }

  /** The FFN branch `[B, C]` (to add to the residual). */
  #feedForward(h: tf.Tensor, layer: Layer): tf.Tensor {
    const { ffn } = layer;
    if (ffn.kind === 'module') {
      return this.#stream.widen(ffn.apply(layer.norm2.apply(this.#stream.slice(h))));
    }
    const n = this.#normalize(h, layer.norm2);
    if (ffn.kind === 'relu') return project(project(n, ffn.up, 'relu'), ffn.down);
    const w = project(n, ffn.up); // [B, dFF]: the FFN input times GELU_SCALE[kind].input
    const a =
      ffn.kind === 'gelu'
        ? tf.mul(w, tf.add(tf.erf(w), 1)) // w(1 + erf w) = √2·gelu(x), w = x/√2
        : tf.mul(w, tf.sigmoid(tf.add(w, tf.mul(cube(w), TANH_CUBIC)))); // w·σ(w + c·w³) = 2k·gelu_tanh(x)
    return project(a, ffn.down); // the down weights hold GELU_SCALE[kind].output
  }

  /**
   * The step's additive attention bias (padding and ALiBi) `[B, Hkv, g, S]`, or undefined when
   * there is none. Made whole on the host: a broadcasting add is several times slower on wasm.
   */
  #bias({ ids, visible }: StepInput, S: number): tf.Tensor | undefined {
    const slopes = this.#model.blocks.at(0).attn.alibi?.slopes;
    if (!visible && !slopes) return undefined;
    const { H, Hkv } = this.#heads;
    const B = ids.length;
    const values = new Float32Array(B * H * S);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        for (let j = 0; j < S; j++) {
          const hidden = visible !== undefined && !visible(b, j);
          // ALiBi: −m_h·|query − key|; the query is the newest key, S − 1 − j positions later.
          const alibi = slopes ? -slopes[h]! * (S - 1 - j) : 0;
          values[(b * H + h) * S + j] = hidden ? MASKED + alibi : alibi;
        }
      }
    }
    return tf.tensor4d(values, [B, Hkv, H / Hkv, S]); // head h = kv·g + row
  }

  /** cos/sin `[B, 1, 1, d]` of each row's position (both halves of a head share an angle). */
  #rotation(positions: readonly number[]): { cos: tf.Tensor; sin: tf.Tensor } {
    const { d, base } = this.#heads;
    const half = d / 2;
    const cos = new Float32Array(positions.length * d);
    const sin = new Float32Array(positions.length * d);
    positions.forEach((p, b) => {
      for (let i = 0; i < half; i++) {
        // The angle in float64, as RotaryEmbedding's table: no float32 drift at large positions.
        const angle = p * base ** ((-2 * i) / d);
        cos[b * d + i] = cos[b * d + half + i] = Math.cos(angle);
        sin[b * d + i] = sin[b * d + half + i] = Math.sin(angle);
      }
    });
    const shape: [number, number, number, number] = [positions.length, 1, 1, d];
    return { cos: tf.tensor4d(cos, shape), sin: tf.tensor4d(sin, shape) };
  }
}

/**
 * `x·w + bias` (then ReLU when asked). Not `tf.fused.matMul`: its op reshapes both operands and
 * the result to rank 3, four kernels where a plain product is one.
 */
function project(x: tf.Tensor, p: Projection, activation?: 'relu'): tf.Tensor {
  const y = tf.matMul(x as tf.Tensor2D, p.w);
  const biased = p.bias ? tf.add(y, p.bias) : y;
  return activation ? tf.relu(biased) : biased;
}

/**
 * The weights `[C, N]` and bias `[N]` of `(norm(x)·w + bias)·scale` applied to the normalised x
 * divided by √C (see `#normalize`): `diag(γ)·w·√C·scale` and `(β·w + bias)·scale`.
 */
function foldNorm(norm: Norm, w: tf.Tensor, bias: tf.Tensor | undefined, scale = 1): Projection {
  const C = w.shape[0]!;
  const gamma = norm.gamma && tf.reshape(norm.gamma, [C, 1]); // [C, 1]
  const weights = tf.mul(gamma ? tf.mul(w, gamma) : w, Math.sqrt(C) * scale) as tf.Tensor2D; // [C, N]
  const beta = norm instanceof LayerNorm ? norm.beta : undefined;
  let shift = beta && tf.reshape(tf.matMul(tf.reshape(beta, [1, C]), w), [-1]); // [N]
  if (bias) shift = shift ? tf.add(shift, bias) : bias;
  return { w: weights, bias: shift && (tf.mul(shift, scale) as tf.Tensor1D) };
}

/**
 * `[Wq·s | Wk | Wv]` `[C, (H + 2Hkv)·d]` with s = 1/√d, or with RoPE `[Wq·s | Wk | Wq·s·R | Wk·R
 * | Wv]`, R being rotate-half per head (x·R = [−x₂, x₁]), and the biases in the same order.
 */
function attentionWeights(attn: MultiHeadAttention): { w: tf.Tensor; bias?: tf.Tensor } {
  const { headSize: d } = attn.config;
  const s = 1 / Math.sqrt(d);
  const part = (get: (dense: Dense) => tf.Tensor | undefined) => {
    const q = tf.mul(get(attn.query)!, s);
    const [k, v] = [get(attn.key)!, get(attn.value)!];
    return attn.rotary
      ? tf.concat([q, k, rotateHalf(q, d), rotateHalf(k, d), v], -1)
      : tf.concat([q, k, v], -1);
  };
  return { w: part((x) => x.kernel), bias: attn.query.bias && part((x) => x.bias) };
}

/** Columns of `x` `[..., heads·d]` per head: [x₁, x₂] → [−x₂, x₁] (halves of d). */
function rotateHalf(x: tf.Tensor, d: number): tf.Tensor {
  const lead = x.shape.slice(0, -1);
  const halves = tf.reshape(x, [...lead, x.shape.at(-1)! / d, 2, d / 2]); // [..., heads, 2, d/2]
  const [x1, x2] = tf.split(halves, 2, -2);
  return tf.reshape(tf.concat([tf.neg(x2!), x1!], -2), x.shape); // [..., heads·d]
}

/** w³ as w²·w: wasm's Pow is ~50× slower than two multiplies at [8, 512]. */
function cube(w: tf.Tensor): tf.Tensor {
  return tf.mul(tf.square(w), w);
}
