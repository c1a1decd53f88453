import * as tf from '@tensorflow/tfjs-core';
import { AttentionArgumentError, AttentionShapeError } from './errors.js';
import { positionDelta } from './masks.js';

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
  options: { mask?: tf.Tensor; causal?: boolean; window?: number; queryOffset?: number },
): MaskPlan {
  const { B, H, T, S } = dims;
  const { mask, causal = false, window, queryOffset = S - T } = options;
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
  return { causal, window, queryOffset, mask: mask4 };
}

/**
 * Per-(batch, head) rank-2 views of the user mask, gathered once and reused for every key chunk
 * (kept across the kernels' per-head `tf.tidy` scopes; {@link HeadMasks.dispose} frees them).
 */
export class HeadMasks {
  private readonly blocks = new Map<number, tf.Tensor>();
  private readonly flat: tf.Tensor | undefined;
  private readonly additive: boolean;

  constructor(private readonly plan: MaskPlan) {
    const mask = plan.mask;
    this.additive = mask?.dtype === 'float32';
    if (mask) {
      const [bm, hm, tm, s] = mask.shape;
      // Keep masks become 0/1 floats; additive ones are clamped so that -Infinity stays finite.
      const values = this.additive
        ? tf.maximum(mask, MASKED)
        : tf.cast(tf.notEqual(mask, 0), 'float32');
      this.flat = tf.keep(tf.reshape(values, [bm * hm, tm * s])); // [Bm·Hm, Tm·S]
    }
  }

  /**
   * Bias to add to the `[R, C]` scores of head (b, h) on a tile (queries `rowStart …`, keys
   * `keyStart …`), and the 0/1 `keep` factor for the probabilities; both undefined when nothing is
   * masked. `structural` is {@link HeadMasks.structural} of the same tile.
   */
  forHead(b: number, h: number, tile: Tile, structural: tf.Tensor | undefined) {
    const { mask } = this.plan;
    let keep = structural;
    let additive: tf.Tensor | undefined;
    if (mask && this.flat) {
      const [bm, hm, tm, s] = mask.shape;
      const row = (bm === 1 ? 0 : b) * hm + (hm === 1 ? 0 : h);
      let block = this.blocks.get(row);
      if (!block) {
        block = tf.keep(tf.reshape(tf.gather(this.flat, [row], 0), [tm, s])); // [Tm, S]
        this.blocks.set(row, block);
      }
      const [rowStart, rows] = tm === 1 ? [0, 1] : [tile.rowStart, tile.rowCount];
      const whole = rows === tm && tile.keyCount === s;
      const part = whole
        ? block
        : tf.slice(block, [rowStart, tile.keyStart], [rows, tile.keyCount]); // [R|1, C]
      if (this.additive) {
        additive = part;
        const userKeep = tf.cast(tf.greater(part, MASKED / 2), 'float32');
        keep = keep ? tf.mul(keep, userKeep) : userKeep;
      } else {
        keep = keep ? tf.mul(keep, part) : part;
      }
    }
    if (!keep) return { bias: undefined, keep: undefined };
    const keepBias = tf.mul(tf.sub(keep, 1), -MASKED); // 0 where kept, MASKED where not
    return { bias: additive ? tf.add(additive, keepBias) : keepBias, keep };
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
    this.flat?.dispose();
    for (const block of this.blocks.values()) block.dispose();
    this.blocks.clear();
  }

  /** The causal / window part of a tile, shared by all heads: 0/1 `[R, C]`, or undefined. */
  structural(tile: Tile): tf.Tensor | undefined {
    const { causal, window, queryOffset } = this.plan;
    if (!causal && window === undefined) return undefined;
    const delta = positionDelta(
      tile.rowCount,
      tile.keyStart,
      tile.keyCount,
      queryOffset + tile.rowStart,
    ); // [R, C]
    let keep: tf.Tensor = causal ? tf.greaterEqual(delta, 0) : tf.onesLike(delta);
    if (window !== undefined) {
      const near = causal ? tf.less(delta, window) : tf.less(tf.abs(delta), window);
      keep = tf.logicalAnd(tf.cast(keep, 'bool'), near);
    }
    return tf.cast(keep, 'float32');
  }
}

/** A block of the score matrix: queries `rowStart … + rowCount − 1`, keys `keyStart … + keyCount − 1`. */
export interface Tile {
  rowStart: number;
  rowCount: number;
  keyStart: number;
  keyCount: number;
}
