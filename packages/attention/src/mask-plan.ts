import * as tf from '@tensorflow/tfjs-core';
import { AttentionArgumentError, AttentionShapeError } from './errors.js';

/**
 * Scores of masked entries get this bias. Finite (not -Infinity) so that a fully masked row's
 * softmax stays finite; its probabilities are then zeroed by `keep`, so the row returns zeros.
 * User additive masks at or below MASKED / 2 (including -Infinity) count as masked.
 */
export const MASKED = -1e9;

/** Everything that decides which keys a query may see, validated against the attention dims. */
export interface MaskPlan {
  causal: boolean;
  window: number | undefined;
  queryOffset: number;
  /** The user mask as `[Bm, Hm, Tm, S]` (bool/int = keep, float = additive), if any. */
  mask: tf.Tensor4D | undefined;
  /** ALiBi: head h's scores get −slope_h·|query position − key position|. */
  alibiSlopes: readonly number[] | undefined;
}

export interface AttentionDims {
  B: number;
  H: number;
  Hkv: number;
  T: number;
  S: number;
}

/** Validates the mask options and returns the plan; a rank-2 mask is key padding `[B, S]`. */
export function planMask(
  dims: AttentionDims,
  options: {
    mask?: tf.Tensor;
    causal?: boolean;
    window?: number;
    queryOffset?: number;
    alibiSlopes?: readonly number[];
  },
): MaskPlan {
  const { B, H, T, S } = dims;
  const { mask, causal = false, window, queryOffset = S - T, alibiSlopes } = options;
  if (
    alibiSlopes !== undefined &&
    (alibiSlopes.length !== H || !alibiSlopes.every(Number.isFinite))
  ) {
    throw new AttentionArgumentError(
      'options.alibiSlopes',
      `${H} finite numbers (one per query head)`,
      alibiSlopes,
    );
  }
  if (window !== undefined && (!Number.isInteger(window) || window < 1)) {
    throw new AttentionArgumentError('options.window', 'a positive integer', window);
  }
  if (!Number.isInteger(queryOffset))
    throw new AttentionArgumentError('options.queryOffset', 'an integer', queryOffset);
  let mask4: tf.Tensor4D | undefined;
  if (mask !== undefined) {
    const expected = `[B, S] = [${B}, ${S}] (key padding) or [B|1, H|1, T|1, S] = [${B}|1, ${H}|1, ${T}|1, ${S}]`;
    if (mask.dtype === 'string' || mask.dtype === 'complex64') {
      throw new AttentionArgumentError(
        'options.mask',
        'a bool, int32 or float32 tensor',
        mask.dtype,
      );
    }
    if (mask.rank === 2 && mask.shape[0] === B && mask.shape[1] === S) {
      mask4 = tf.reshape(mask, [B, 1, 1, S]); // [B, 1, 1, S]
    } else if (
      mask.rank === 4 &&
      [B, H, T].every((d, i) => mask.shape[i] === d || mask.shape[i] === 1) &&
      mask.shape[3] === S
    ) {
      mask4 = mask as tf.Tensor4D;
    } else {
      throw new AttentionShapeError('options.mask', expected, mask.shape);
    }
  }
  return { causal, window, queryOffset, mask: mask4, alibiSlopes };
}

/** What a kernel adds to the scores (`bias`) and multiplies the probabilities by (`keep`, 0/1). */
export interface MaskTerms {
  bias?: tf.Tensor;
  keep?: tf.Tensor;
}

/**
 * The masks of a plan in the shapes the kernels need: per (batch, head) rank-2 tiles, cached per
 * distinct mask row so heads that share a mask share its tensors (all kept across the kernels'
 * per-head `tf.tidy` scopes; `dispose` frees them), or the whole `[B|1, H|1, T|1, S]` terms.
 */
export class HeadMasks {
  private readonly blocks = new Map<number, tf.Tensor>();
  /** The user mask as 0/1 keep floats, or additive values clamped so -Infinity stays finite. */
  private readonly values: tf.Tensor4D | undefined;
  private readonly additive: boolean;

  constructor(
    private readonly plan: MaskPlan,
    private readonly dims: AttentionDims,
  ) {
    const mask = plan.mask;
    this.additive = mask?.dtype === 'float32';
    if (mask) {
      const values = this.additive
        ? tf.maximum(mask, MASKED)
        : tf.cast(tf.notEqual(mask, 0), 'float32');
      this.values = tf.keep(values) as tf.Tensor4D; // [Bm, Hm, Tm, S]
    }
  }

  /** The terms of one tile for every head; free them with the returned `dispose`. */
  tile(tile: Tile): { forHead(b: number, h: number): MaskTerms; dispose(): void } {
    const structural = this.structural(tile);
    const slopes = this.plan.alibiSlopes;
    const distance = slopes && this.distance(tile); // [R, C]
    const cache = new Map<string, MaskTerms>();
    const owned: tf.Tensor[] = [structural?.keep, structural?.bias, distance].filter(
      (t): t is tf.Tensor => t !== undefined,
    );
    return {
      forHead: (b, h) => {
        const row = this.maskRow(b, h);
        const key = slopes ? `${row}:${h}` : `${row}`; // ALiBi differs per head
        let terms = cache.get(key);
        if (!terms) {
          // (tidy's TensorContainer type has no optional fields, hence the casts)
          const made = tf.tidy(() => {
            const masked = combine(structural, this.userTile(row, tile), this.additive);
            if (!distance) return masked as tf.TensorContainer;
            const alibi = tf.mul(distance, -slopes![h]!); // [R, C]
            return {
              ...masked,
              bias: masked.bias ? tf.add(masked.bias, alibi) : alibi,
            } as tf.TensorContainer;
          }) as MaskTerms;
          terms = made;
          // The structural tile and the cached user blocks have owners already.
          const shared = new Set<tf.Tensor | undefined>([
            structural?.keep,
            structural?.bias,
            ...this.blocks.values(),
          ]);
          for (const t of [terms.bias, terms.keep]) if (t && !shared.has(t)) owned.push(tf.keep(t));
          cache.set(key, terms);
        }
        return terms;
      },
      dispose: () => tf.dispose(owned),
    };
  }

  /** The terms for the whole score matrix, broadcastable to `[B, H, T, S]`. Caller-owned. */
  whole(): MaskTerms {
    const { H, T, S } = this.dims;
    const tile = { rowStart: 0, rowCount: T, keyStart: 0, keyCount: S };
    const structural = this.structural(tile);
    // [T, S] structural terms broadcast against [B, H, T, S] scores as they are.
    const terms = combine(structural, this.values, this.additive); // [T, S] or [B|1, H|1, T|1, S]
    const slopes = this.plan.alibiSlopes;
    if (!slopes) return terms;
    const negSlopes = tf.tensor4d(
      slopes.map((m) => -m),
      [1, H, 1, 1],
    );
    const alibi = tf.mul(negSlopes, tf.reshape(this.distance(tile), [1, 1, T, S])); // [1, H, T, S]
    return { ...terms, bias: terms.bias ? tf.add(terms.bias, alibi) : alibi };
  }

  /**
   * True when causal / window masking hides every key of the tile from every query of it, so a
   * tiled kernel can skip the tile (it would contribute exact zeros).
   */
  hides(tile: Tile): boolean {
    const { causal, window, queryOffset } = this.plan;
    const firstQuery = queryOffset + tile.rowStart;
    const lastQuery = firstQuery + tile.rowCount - 1;
    const [firstKey, lastKey] = [tile.keyStart, tile.keyStart + tile.keyCount - 1];
    if (causal && firstKey > lastQuery) return true;
    if (window === undefined) return false;
    return firstQuery - lastKey >= window || (!causal && firstKey - lastQuery >= window);
  }

  dispose(): void {
    this.values?.dispose();
    for (const block of this.blocks.values()) block.dispose();
    this.blocks.clear();
  }

  /** Which `[Tm, S]` block of the user mask head (b, h) reads; -1 without a user mask. */
  private maskRow(b: number, h: number): number {
    if (!this.values) return -1;
    const [bm, hm] = this.values.shape;
    return (bm === 1 ? 0 : b) * hm + (hm === 1 ? 0 : h);
  }

  /** The user mask's `[R|1, C]` part for a tile, from its `[Tm, S]` block (gathered once). */
  private userTile(row: number, tile: Tile): tf.Tensor | undefined {
    if (!this.values || row < 0) return undefined;
    const [bm, hm, tm, s] = this.values.shape;
    let block = this.blocks.get(row);
    if (!block) {
      const flat = tf.reshape(this.values, [bm * hm, tm * s]); // [Bm·Hm, Tm·S]
      block = tf.keep(tf.reshape(tf.gather(flat, [row], 0), [tm, s])); // [Tm, S]
      this.blocks.set(row, block);
    }
    const [rowStart, rows] = tm === 1 ? [0, 1] : [tile.rowStart, tile.rowCount];
    if (rows === tm && tile.keyCount === s) return block;
    return tf.slice(block, [rowStart, tile.keyStart], [rows, tile.keyCount]); // [R|1, C]
  }

  /**
   * |query position − key position| `[R, C]`, written on the host: a constant made from host
   * values costs an upload and no kernels (a range/sub/abs/cast chain cost five per call).
   */
  private distance(tile: Tile): tf.Tensor {
    const first = this.plan.queryOffset + tile.rowStart;
    return hostTile(tile, (q, k) => Math.abs(q - k), first);
  }

  /**
   * Causal/window keep mask `[R, C]` (1 kept, 0 hidden), written on the host; undefined when
   * there is no structural masking or when the tile hides nothing (a decoding step's query sees
   * every cached key), so those steps run without mask ops at all.
   */
  private structural(tile: Tile): StructuralTerms | undefined {
    const { causal, window, queryOffset } = this.plan;
    if (!causal && window === undefined) return undefined;
    // Kept key deltas (query − key position) are one interval: causal [0, window − 1], a
    // non-causal window [−(window − 1), window − 1].
    const high = window === undefined ? Number.POSITIVE_INFINITY : window - 1;
    const low = causal ? 0 : -high;
    const kept = (delta: number) => low <= delta && delta <= high;
    const first = queryOffset + tile.rowStart;
    const lastKey = tile.keyStart + tile.keyCount - 1;
    let hidesAny = false;
    let everyRowSees = true;
    for (let r = 0; r < tile.rowCount; r++) {
      // A row's deltas run from `nearest` to `farthest`: its two ends decide whether it hides any
      // key, and whether they meet the kept interval whether it sees one.
      const [nearest, farthest] = [first + r - lastKey, first + r - tile.keyStart];
      hidesAny ||= !kept(farthest) || !kept(nearest);
      everyRowSees &&= Math.max(low, nearest) <= Math.min(high, farthest);
    }
    if (!hidesAny) return undefined;
    // Without a user mask to combine with, `keep` is only needed for rows that see no key (see
    // `combine`): when every row sees one it is not even made.
    const needKeep = this.values !== undefined || !everyRowSees;
    return {
      keep: needKeep ? hostTile(tile, (q, k) => (kept(q - k) ? 1 : 0), first) : undefined,
      bias: hostTile(tile, (q, k) => (kept(q - k) ? 0 : MASKED), first),
    };
  }
}

/** A `[R, C]` float32 tensor of f(query position, key position), filled on the host. */
function hostTile(tile: Tile, f: (q: number, k: number) => number, firstQuery: number): tf.Tensor {
  const { rowCount: R, keyCount: C, keyStart } = tile;
  const values = new Float32Array(R * C);
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) values[r * C + c] = f(firstQuery + r, keyStart + c);
  }
  return tf.tensor2d(values, [R, C], 'float32'); // [R, C]
}

/** Causal/window terms: the bias always, `keep` when a user mask or a row that sees no key needs it. */
interface StructuralTerms extends MaskTerms {
  bias: tf.Tensor;
}

/**
 * Structural keep × user mask → additive bias (MASKED where hidden) and the 0/1 keep factor.
 * Without a user mask, when every row keeps a key, there is no `keep` (`structural` skips it):
 * the row's max is then a kept score, so exp(masked score − max) underflows to an exact 0 in
 * float32 and multiplying by `keep` would change nothing (one [B, H, T, S] kernel less per call,
 * forward). Rows that keep no key still need it, to become zeros instead of a uniform row.
 */
function combine(
  structural: StructuralTerms | undefined,
  user: tf.Tensor | undefined,
  additive: boolean,
): MaskTerms {
  if (!user) return structural ? { ...structural } : {};
  let keep = structural?.keep;
  let userBias: tf.Tensor | undefined;
  if (additive) {
    userBias = user;
    const userKeep = tf.cast(tf.greater(user, MASKED / 2), 'float32');
    keep = keep ? tf.mul(keep, userKeep) : userKeep;
  } else {
    keep = keep ? tf.mul(keep, user) : user;
  }
  const keepBias = tf.mul(tf.sub(keep, 1), -MASKED); // 0 where kept, MASKED where not
  return { bias: userBias ? tf.add(userBias, keepBias) : keepBias, keep };
}

/** A block of the score matrix: queries `rowStart … + rowCount − 1`, keys `keyStart … + keyCount − 1`. */
export interface Tile {
  rowStart: number;
  rowCount: number;
  keyStart: number;
  keyCount: number;
}
