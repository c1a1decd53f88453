/**
 * Quantized models in safetensors: which tensors are quantized, how they are laid out in the file
 * (see docs/efficiency.md, "File layout"), and the on-device dequantization that turns them back
 * into the float32 state a model loads.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DecodedSafetensors, DecodedTensor, TensorToEncode } from '@tformer/nn';
import { ModelArgumentError, SavedModelError } from '../errors.js';
import {
  INT4_GROUP_SIZES,
  INT4_OFFSET,
  type QuantizationScheme,
  quantizableInt4,
  quantizeMatrix,
} from './quantize-weights.js';

/** The `__metadata__` key whose JSON value ({@link QuantizationMetadata}) marks a quantized file. */
export const QUANTIZATION_METADATA_KEY = 'tformer.quantization';
/** Suffixes of a quantized parameter's two tensors in the file. */
export const QWEIGHT_SUFFIX = '.qweight';
export const SCALES_SUFFIX = '.scales';

/** How one parameter was quantized. */
export interface QuantizedTensorInfo {
  scheme: QuantizationScheme;
  /** int4 only. */
  groupSize?: number;
  /** The parameter's own shape (a Dense kernel's `[in, out]`, an embedding's `[rows, dModel]`). */
  shape: [number, number];
  /** `true`: stored transposed, channels-major `[out, in]` (Dense kernels); `false`: as is. */
  transposed: boolean;
}

/** The JSON of {@link QUANTIZATION_METADATA_KEY}. */
export interface QuantizationMetadata {
  version: 1;
  tensors: Record<string, QuantizedTensorInfo>;
}

/** Options of quantizing a model's weights. */
export interface QuantizeOptions {
  /** `int8` (per output channel) or `int4` (group-wise). */
  scheme: QuantizationScheme;
  /** int4 group size along the reduction dimension: 32, 64 (default) or 128. */
  groupSize?: number;
}

/**
 * Whether parameter `name` of `shape` is quantized: every rank-2 Dense kernel (`*.kernel`,
 * output channels are its columns) and embedding table (`*.embeddings`, channels are its rows:
 * a tied embedding's rows are the output projection's channels). Biases and norms stay float32.
 */
function quantizedLayout(name: string, shape: readonly number[]): boolean | undefined {
  if (shape.length !== 2) return undefined;
  if (name.endsWith('.kernel')) return true;
  if (name.endsWith('.embeddings')) return false;
  return undefined;
}

/**
 * The safetensors tensors and `__metadata__` of a quantized state: float tensors first, then the
 * F32 scales, then the I8/U8 values, so every F32 tensor's data stays 4-byte aligned.
 */
export async function quantizeState(
  state: Record<string, tf.Tensor>,
  { scheme, groupSize = 64 }: QuantizeOptions,
): Promise<{ tensors: Record<string, TensorToEncode>; metadata: QuantizationMetadata }> {
  if (scheme !== 'int8' && scheme !== 'int4') {
    throw new ModelArgumentError('options.scheme', "'int8' or 'int4'", scheme);
  }
  if (scheme === 'int4' && !(INT4_GROUP_SIZES as readonly number[]).includes(groupSize)) {
    throw new ModelArgumentError(
      'options.groupSize',
      `one of ${INT4_GROUP_SIZES.join(', ')}`,
      groupSize,
    );
  }
  const floats: Record<string, TensorToEncode> = {};
  const scales: Record<string, TensorToEncode> = {};
  const values: Record<string, TensorToEncode> = {};
  const infos: Record<string, QuantizedTensorInfo> = {};
  for (const [name, t] of Object.entries(state)) {
    const transposed = t.dtype === 'float32' ? quantizedLayout(name, t.shape) : undefined;
    if (transposed === undefined) {
      floats[name] = { shape: t.shape, data: (await t.data()) as Float32Array | Int32Array };
      continue;
    }
    const shape = t.shape as [number, number];
    const [channels, k] = transposed ? [shape[1], shape[0]] : shape;
    const matrix = transposed ? tf.transpose(t) : t; // [channels, k]
    const data = (await matrix.data()) as Float32Array;
    if (matrix !== t) matrix.dispose();
    // int4 falls back to int8 where the reduction size is not a multiple of the group size.
    const own = scheme === 'int4' && quantizableInt4(k, groupSize) ? 'int4' : 'int8';
    const q = quantizeMatrix(data, channels, k, own, groupSize);
    const groups = own === 'int4' ? [k / groupSize] : [];
    scales[`${name}${SCALES_SUFFIX}`] = { shape: [channels, ...groups], data: q.scales };
    values[`${name}${QWEIGHT_SUFFIX}`] = {
      shape: [channels, own === 'int4' ? k / 2 : k],
      data: q.values,
    };
    infos[name] =
      own === 'int4'
        ? { scheme: own, groupSize, shape, transposed }
        : { scheme: own, shape, transposed };
  }
  return {
    tensors: { ...floats, ...scales, ...values },
    metadata: { version: 1, tensors: infos },
  };
}

/** The quantization metadata of a decoded file, or undefined for a plain float file. */
export function readQuantizationMetadata(
  decoded: Pick<DecodedSafetensors, 'metadata'>,
  source: string,
): QuantizationMetadata | undefined {
  const raw = decoded.metadata?.[QUANTIZATION_METADATA_KEY];
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new SavedModelError(source, [], `${source}: ${QUANTIZATION_METADATA_KEY} is not JSON`);
  }
  const meta = parsed as Partial<QuantizationMetadata>;
  if (meta.version !== 1 || typeof meta.tensors !== 'object' || meta.tensors === null) {
    throw new SavedModelError(
      source,
      [],
      `${source}: ${QUANTIZATION_METADATA_KEY} is not {version: 1, tensors: {...}}`,
    );
  }
  return meta as QuantizationMetadata;
}

/**
 * The float32 state of a quantized file, dequantized on the active backend: plain tensors as
 * they are, each quantized parameter rebuilt from its values and scales. The caller owns the
 * tensors. Throws {@link SavedModelError} naming a missing or mis-shaped part.
 */
export function dequantizeState(
  decoded: DecodedSafetensors,
  metadata: QuantizationMetadata,
  source: string,
): Record<string, tf.Tensor> {
  const parts = new Set<string>();
  for (const name of Object.keys(metadata.tensors)) {
    parts.add(`${name}${QWEIGHT_SUFFIX}`);
    parts.add(`${name}${SCALES_SUFFIX}`);
  }
  const state: Record<string, tf.Tensor> = {};
  try {
    for (const [name, t] of Object.entries(decoded.tensors)) {
      if (!parts.has(name)) state[name] = tf.tensor(t.data, t.shape, t.tfDtype);
    }
    for (const [name, info] of Object.entries(metadata.tensors)) {
      const values = decoded.tensors[`${name}${QWEIGHT_SUFFIX}`];
      const scales = decoded.tensors[`${name}${SCALES_SUFFIX}`];
      state[name] = dequantizeTensor(name, info, values, scales, source);
    }
  } catch (error) {
    tf.dispose(Object.values(state));
    throw error;
  }
  return state;
}

function dequantizeTensor(
  name: string,
  info: QuantizedTensorInfo,
  values: DecodedTensor | undefined,
  scales: DecodedTensor | undefined,
  source: string,
): tf.Tensor {
  const [rows, cols] = info.shape;
  const [channels, k] = info.transposed ? [cols, rows] : [rows, cols];
  const int4 = info.scheme === 'int4';
  const groupSize = info.groupSize ?? 0;
  if (int4 && !quantizableInt4(k, groupSize)) {
    throw new SavedModelError(source, [], `${source}: '${name}' has int4 group size ${groupSize}`);
  }
  const want: [string, DecodedTensor | undefined, string, number[]][] = [
    [QWEIGHT_SUFFIX, values, int4 ? 'U8' : 'I8', [channels, int4 ? k / 2 : k]],
    [SCALES_SUFFIX, scales, 'F32', int4 ? [channels, k / groupSize] : [channels]],
  ];
  for (const [suffix, t, dtype, shape] of want) {
    const actual = t === undefined ? 'nothing' : `${t.dtype} [${t.shape.join(', ')}]`;
    if (actual !== `${dtype} [${shape.join(', ')}]`) {
      throw new SavedModelError(source, [
        { name: `${name}${suffix}`, kind: 'shape', expected: `${dtype} [${shape}]`, actual },
      ]);
    }
  }
  return tf.tidy(() => {
    const s = tf.tensor(scales!.data, scales!.shape, 'float32');
    let w: tf.Tensor;
    if (!int4) {
      const q = tf.tensor2d(values!.data, [channels, k], 'int32');
      w = tf.mul(tf.cast(q, 'float32'), tf.reshape(s, [channels, 1])); // [channels, k]
    } else {
      // Bytes 0…255 are exact in float32, as are their nibbles.
      const packed = tf.cast(tf.tensor2d(values!.data, [channels, k / 2], 'int32'), 'float32');
      const high = tf.floor(tf.div(packed, 16));
      const low = tf.sub(packed, tf.mul(high, 16));
      // Low nibble = even k, high nibble = odd k: [channels, k/2, 2] → [channels, k].
      const pairs = tf.stack([low, high], 2);
      const q = tf.sub(tf.reshape(pairs, [channels, k]), INT4_OFFSET);
      const grouped = tf.reshape(q, [channels, k / groupSize, groupSize]);
      const scaled = tf.mul(grouped, tf.reshape(s, [channels, k / groupSize, 1]));
      w = tf.reshape(scaled, [channels, k]);
    }
    return info.transposed ? tf.transpose(w) : w; // [in, out] for a Dense kernel
  });
}
