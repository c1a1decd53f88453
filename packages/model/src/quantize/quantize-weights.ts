/**
 * Weight quantization of one matrix laid out channels-major, `[channels, K]` row-major: each row
 * is one output channel (a Dense kernel's column, an embedding table's row) and `K` its
 * reduction dimension. Symmetric (no zero point): a value is `q · scale`.
 *
 * - int8, per output channel: `scale[c] = max_k |w[c, k]| / 127`, `q = round(w / scale)` in
 *   [−127, 127].
 * - int4, group-wise: each run of `groupSize` values along K has its own
 *   `scale[c, g] = max |w| / 7`, `q` in [−7, 7]; two values share a byte, stored as `q + 8`
 *   (1…15): the even k in the low nibble, the odd k in the high one.
 *
 * Rounding error is at most half a step, `scale / 2`, per element. An all-zero channel or group
 * gets scale 0 and q 0. Plain TypeScript on host arrays: quantizing happens once, at save time.
 */
import { ModelArgumentError } from '../errors.js';

/** The quantization schemes of {@link quantizeMatrix}. */
export type QuantizationScheme = 'int8' | 'int4';

/** Group sizes the int4 scheme accepts. */
export const INT4_GROUP_SIZES = [32, 64, 128] as const;

/** A quantized `[channels, K]` matrix. */
export interface QuantizedMatrix {
  /** int8: `Int8Array [channels·K]`; int4: `Uint8Array [channels·K/2]` of packed nibbles. */
  values: Int8Array | Uint8Array;
  /** int8: `[channels]`; int4: `[channels, K / groupSize]`. */
  scales: Float32Array;
}

const INT8_MAX = 127;
const INT4_MAX = 7;
/** The offset that makes an int4 value q ∈ [−7, 7] an unsigned nibble. */
export const INT4_OFFSET = 8;

/**
 * Quantizes `data` (`[channels, k]` row-major) with `scheme`; int4 needs `k` divisible by
 * `groupSize` (and so even). Throws {@link ModelArgumentError} on a size that does not fit.
 */
export function quantizeMatrix(
  data: Float32Array,
  channels: number,
  k: number,
  scheme: QuantizationScheme,
  groupSize = 64,
): QuantizedMatrix {
  if (data.length !== channels * k) {
    throw new ModelArgumentError('data', `${channels}·${k} values`, data.length);
  }
  if (scheme === 'int8') return quantizeInt8(data, channels, k);
  if (scheme !== 'int4') throw new ModelArgumentError('scheme', "'int8' or 'int4'", scheme);
  if (!quantizableInt4(k, groupSize)) {
    throw new ModelArgumentError(
      'groupSize',
      `one of ${INT4_GROUP_SIZES.join(', ')} dividing the reduction size ${k}`,
      groupSize,
    );
  }
  return quantizeInt4(data, channels, k, groupSize);
}

/** Whether an int4 matrix with reduction size `k` can use `groupSize`. */
export function quantizableInt4(k: number, groupSize: number): boolean {
  return (INT4_GROUP_SIZES as readonly number[]).includes(groupSize) && k % groupSize === 0;
}

/** The largest |value| of `data[from, to)`. */
function maxAbs(data: Float32Array, from: number, to: number): number {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(data[i]!));
  return m;
}

/** round(x / scale) clamped to ±limit, with the scale as stored (float32). */
function level(x: number, scale: number, limit: number): number {
  if (scale === 0) return 0;
  return Math.max(-limit, Math.min(limit, Math.round(x / scale)));
}

function quantizeInt8(data: Float32Array, channels: number, k: number): QuantizedMatrix {
  const values = new Int8Array(channels * k);
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    scales[c] = maxAbs(data, c * k, (c + 1) * k) / INT8_MAX;
    const s = scales[c]!;
    for (let i = c * k; i < (c + 1) * k; i++) values[i] = level(data[i]!, s, INT8_MAX);
  }
  return { values, scales };
}

function quantizeInt4(
  data: Float32Array,
  channels: number,
  k: number,
  groupSize: number,
): QuantizedMatrix {
  const groups = k / groupSize;
  const values = new Uint8Array((channels * k) / 2);
  const scales = new Float32Array(channels * groups);
  for (let c = 0; c < channels; c++) {
    for (let g = 0; g < groups; g++) {
      const from = c * k + g * groupSize;
      scales[c * groups + g] = maxAbs(data, from, from + groupSize) / INT4_MAX;
      const s = scales[c * groups + g]!;
      // groupSize is even, so a byte never straddles two groups.
      for (let i = from; i < from + groupSize; i += 2) {
        const low = level(data[i]!, s, INT4_MAX) + INT4_OFFSET;
        const high = level(data[i + 1]!, s, INT4_MAX) + INT4_OFFSET;
        values[i / 2] = low | (high << 4);
      }
    }
  }
  return { values, scales };
}
