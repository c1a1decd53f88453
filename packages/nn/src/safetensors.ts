import * as tf from '@tensorflow/tfjs-core';
import { SafetensorsError } from './errors.js';

/**
 * The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * u64 N, N bytes of JSON header `{name: {dtype, shape, data_offsets: [begin, end]}, …,
 * "__metadata__"?: {string: string}}`, then the little-endian data; offsets are relative to the
 * first byte after the header. Everything here works on `Uint8Array`s: no file system.
 */

/** Element types this module reads. */
export type SafetensorsDtype =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'I32'
  | 'I16'
  | 'I8'
  | 'U8'
  | 'BOOL';
/** Element types this module writes. */
export type SafetensorsWriteDtype = 'F32' | 'F16' | 'BF16' | 'I32' | 'I8' | 'U8';

const ITEM_SIZE: Record<SafetensorsDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** The header size limit of the reference implementation (100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

/** One decoded tensor: floats widen or narrow to float32, integers to int32, BOOL to bool. */
export interface DecodedTensor {
  /** The dtype stored in the file. */
  dtype: SafetensorsDtype;
  shape: number[];
  /** The tfjs dtype of `data`. */
  tfDtype: 'float32' | 'int32' | 'bool';
  data: Float32Array | Int32Array | Uint8Array;
}

export interface DecodedSafetensors {
  /** Tensors in the order of their data offsets. */
  tensors: Record<string, DecodedTensor>;
  /** `__metadata__`, if present. */
  metadata?: Record<string, string>;
}

/**
 * A tensor to encode: float data is written as `dtype` (default F32); `Int32Array` data as I32,
 * `Int8Array` as I8 and `Uint8Array` as U8 (byte data, e.g. quantized weights).
 */
export interface TensorToEncode {
  shape: readonly number[];
  data: Float32Array | Int32Array | Int8Array | Uint8Array;
  dtype?: SafetensorsWriteDtype;
}

/** The one dtype integer data is written as; float data may take `F32`, `F16` or `BF16`. */
function integerDtype(data: TensorToEncode['data']): SafetensorsWriteDtype | undefined {
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Int8Array) return 'I8';
  if (data instanceof Uint8Array) return 'U8';
  return undefined;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** One entry of a safetensors header, checked against the buffer but not decoded. */
export interface SafetensorsHeaderEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte range of the data, relative to the first byte after the header. */
  begin: number;
  end: number;
}

/** A parsed and checked safetensors header: what {@link decodeSafetensors} would decode. */
export interface SafetensorsHeader {
  /** Entries in the order of their data offsets. */
  entries: SafetensorsHeaderEntry[];
  metadata?: Record<string, string>;
  /** Offset of the data section in the buffer (8 + the header length). */
  dataStart: number;
}

/**
 * Parses and checks a safetensors header (names, dtypes, shapes, offsets against the buffer's
 * length, no overlaps) without decoding or copying any tensor data: a cheap look at what a file
 * holds before anything is allocated for it. Throws {@link SafetensorsError} naming the tensor.
 */
export function readSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  if (!(bytes instanceof Uint8Array))
    throw new SafetensorsError('invalid-header', 'expected a Uint8Array');
  if (bytes.length < 8) {
    throw new SafetensorsError(
      'truncated',
      `buffer of ${bytes.length} bytes is shorter than the 8-byte header length`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(
      'header-too-large',
      `header length ${headerLength} exceeds the limit of ${MAX_HEADER_BYTES} bytes`,
    );
  }
  const n = Number(headerLength);
  if (8 + n > bytes.length) {
    throw new SafetensorsError(
      'truncated',
      `header length ${n} runs past the end of the ${bytes.length}-byte buffer`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new SafetensorsError(
      'invalid-header',
      `header is not UTF-8 JSON (${(e as Error).message})`,
    );
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new SafetensorsError('invalid-header', 'header is not a JSON object');
  }
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const entries: SafetensorsHeaderEntry[] = [];
  let metadata: Record<string, string> | undefined;
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = checkMetadata(raw);
      continue;
    }
    if (typeof raw !== 'object' || raw === null) {
      throw new SafetensorsError('invalid-header', 'entry is not an object', name);
    }
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    // An own-property check: `"__proto__"` or `"toString"` is not a dtype.
    if (typeof dtype !== 'string' || !Object.hasOwn(ITEM_SIZE, dtype)) {
      throw new SafetensorsError(
        'unsupported-dtype',
        `dtype ${JSON.stringify(dtype)} is not one of ${Object.keys(ITEM_SIZE).join(', ')}`,
        name,
      );
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(
        'invalid-shape',
        `shape ${JSON.stringify(shape)} is not a list of sizes`,
        name,
      );
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
    ) {
      throw new SafetensorsError(
        'invalid-header',
        `data_offsets ${JSON.stringify(offsets)} is not [begin, end]`,
        name,
      );
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataLength) {
      throw new SafetensorsError(
        'offsets-out-of-range',
        `data_offsets [${begin}, ${end}] out of range for ${dataLength} bytes of data`,
        name,
      );
    }
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = count * ITEM_SIZE[dtype as SafetensorsDtype];
    if (end - begin !== expected) {
      throw new SafetensorsError(
        'size-mismatch',
        `data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but ${dtype} [${shape.join(', ')}] needs ${expected}`,
        name,
      );
    }
    entries.push({ name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < entries.length; i++) {
    const prev = entries[i - 1]!;
    const cur = entries[i]!;
    if (cur.begin < prev.end) {
      throw new SafetensorsError(
        'overlap',
        `data [${cur.begin}, ${cur.end}] overlaps '${prev.name}' [${prev.begin}, ${prev.end}]`,
        cur.name,
      );
    }
  }
  return metadata === undefined ? { entries, dataStart } : { entries, metadata, dataStart };
}

/** Parses and checks a safetensors buffer; throws {@link SafetensorsError} naming the tensor. */
export function decodeSafetensors(bytes: Uint8Array): DecodedSafetensors {
  const { entries, metadata, dataStart } = readSafetensorsHeader(bytes);
  const tensors: Record<string, DecodedTensor> = {};
  for (const { name, dtype, shape, begin, end } of entries) {
    // slice() copies into a fresh, aligned buffer.
    const chunk = bytes.slice(dataStart + begin, dataStart + end);
    // defineProperty: a tensor named `__proto__` is an own entry, not the record's prototype.
    defineEntry(tensors, name, { dtype, shape, ...decodeData(chunk, dtype, name) });
  }
  return metadata === undefined ? { tensors } : { tensors, metadata };
}

/** `record[name] = value` as an own, enumerable property, even for `__proto__`. */
function defineEntry<T>(record: Record<string, T>, name: string, value: T): void {
  Object.defineProperty(record, name, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function checkMetadata(raw: unknown): Record<string, string> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SafetensorsError('invalid-metadata', '__metadata__ is not an object');
  }
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') {
      throw new SafetensorsError(
        'invalid-metadata',
        `__metadata__.${k} is not a string (got ${typeof v})`,
      );
    }
  }
  return raw as Record<string, string>;
}

function decodeData(
  chunk: Uint8Array,
  dtype: SafetensorsDtype,
  name: string,
): Pick<DecodedTensor, 'tfDtype' | 'data'> {
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const n = chunk.byteLength / ITEM_SIZE[dtype];
  switch (dtype) {
    case 'F32':
      return {
        tfDtype: 'float32',
        data: LITTLE_ENDIAN
          ? new Float32Array(chunk.buffer, chunk.byteOffset, n)
          : mapView(n, (i) => view.getFloat32(4 * i, true)),
      };
    case 'F64':
      return { tfDtype: 'float32', data: mapView(n, (i) => view.getFloat64(8 * i, true)) };
    case 'F16':
      return { tfDtype: 'float32', data: mapView(n, (i) => f16ToF32(view.getUint16(2 * i, true))) };
    case 'BF16': {
      const bits = new Uint32Array(n);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      return { tfDtype: 'float32', data: new Float32Array(bits.buffer) };
    }
    case 'I32':
      return {
        tfDtype: 'int32',
        data: LITTLE_ENDIAN
          ? new Int32Array(chunk.buffer, chunk.byteOffset, n)
          : Int32Array.from({ length: n }, (_, i) => view.getInt32(4 * i, true)),
      };
    case 'I64': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = view.getBigInt64(8 * i, true);
        if (v > 2147483647n || v < -2147483648n) {
          throw new SafetensorsError(
            'value-out-of-range',
            `I64 value ${v} at index ${i} does not fit int32`,
            name,
          );
        }
        out[i] = Number(v);
      }
      return { tfDtype: 'int32', data: out };
    }
    case 'I16':
      return {
        tfDtype: 'int32',
        data: Int32Array.from({ length: n }, (_, i) => view.getInt16(2 * i, true)),
      };
    case 'I8':
      return {
        tfDtype: 'int32',
        data: Int32Array.from(new Int8Array(chunk.buffer, chunk.byteOffset, n)),
      };
    case 'U8':
      return { tfDtype: 'int32', data: Int32Array.from(chunk) };
    case 'BOOL':
      return { tfDtype: 'bool', data: Uint8Array.from(chunk, (b) => (b ? 1 : 0)) };
  }
}

function mapView(n: number, f: (i: number) => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = f(i);
  return out;
}

/** IEEE 754 half → float (exact). */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float → IEEE 754 half bits, rounding to nearest even; overflow → ±inf. */
export function f32ToF16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // underflows to ±0
    mant |= 0x800000; // implicit bit
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  const rest = mant & 0x1fff;
  let half = (e << 10) | (mant >>> 13);
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++; // may carry into the exponent: fine
  e = half >> 10;
  return sign | (e >= 0x1f ? 0x7c00 : half);
}

/** float → bfloat16 bits, rounding to nearest even; NaN stays NaN. */
export function f32ToBf16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Encodes tensors (and optional string metadata) as safetensors bytes. */
export function encodeSafetensors(
  tensors: Record<string, TensorToEncode>,
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header.__metadata__ = checkMetadata(metadata);
  const plan: [TensorToEncode, SafetensorsWriteDtype, number][] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '__metadata__')
      throw new SafetensorsError('invalid-header', 'reserved tensor name', name);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new SafetensorsError(
        'size-mismatch',
        `shape [${t.shape.join(', ')}] needs ${count} values, data has ${t.data.length}`,
        name,
      );
    }
    const integer = integerDtype(t.data);
    const dtype: SafetensorsWriteDtype = integer ?? t.dtype ?? 'F32';
    if (
      integer !== undefined
        ? t.dtype !== undefined && t.dtype !== integer
        : dtype === 'I32' || dtype === 'I8' || dtype === 'U8'
    ) {
      throw new SafetensorsError(
        'unsupported-dtype',
        `cannot write ${t.data.constructor.name} as ${t.dtype}`,
        name,
      );
    }
    const size = count * ITEM_SIZE[dtype];
    defineEntry(header, name, {
      dtype,
      shape: [...t.shape],
      data_offsets: [offset, offset + size],
    });
    plan.push([t, dtype, offset]);
    offset += size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8; // the data starts 8-byte aligned, as the reference pads
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  const base = 8 + json.length;
  for (const [t, dtype, at] of plan) {
    const start = base + at;
    const n = t.data.length;
    switch (dtype) {
      case 'F32':
      case 'I32':
        if (LITTLE_ENDIAN) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, 4 * n), start);
        else
          for (let i = 0; i < n; i++)
            dtype === 'F32'
              ? view.setFloat32(start + 4 * i, t.data[i]!, true)
              : view.setInt32(start + 4 * i, t.data[i]!, true);
        break;
      case 'I8':
      case 'U8':
        out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, n), start);
        break;
      case 'F16':
        for (let i = 0; i < n; i++) view.setUint16(start + 2 * i, f32ToF16(t.data[i]!), true);
        break;
      case 'BF16':
        for (let i = 0; i < n; i++) view.setUint16(start + 2 * i, f32ToBf16(t.data[i]!), true);
        break;
    }
  }
  return out;
}

export interface StateDictToSafetensorsOptions {
  /** How float tensors are stored (default F32); int32 tensors are always I32. */
  dtype?: 'F32' | 'F16' | 'BF16';
  /** String key/values for `__metadata__`. */
  metadata?: Record<string, string>;
}

/**
 * Serialises named tensors (e.g. `module.stateDict()`) to safetensors bytes. Reads every tensor
 * back from the backend (`await data()`); the tensors are not disposed.
 */
export async function stateDictToSafetensors(
  state: Record<string, tf.Tensor>,
  { dtype = 'F32', metadata }: StateDictToSafetensorsOptions = {},
): Promise<Uint8Array> {
  const tensors: Record<string, TensorToEncode> = {};
  for (const [name, t] of Object.entries(state)) {
    if (t.dtype !== 'float32' && t.dtype !== 'int32') {
      throw new SafetensorsError('unsupported-dtype', `cannot write tfjs dtype ${t.dtype}`, name);
    }
    const data = (await t.data()) as Float32Array | Int32Array;
    tensors[name] = { shape: t.shape, data, dtype: t.dtype === 'int32' ? 'I32' : dtype };
  }
  return encodeSafetensors(tensors, metadata);
}

/**
 * Reads safetensors bytes into new tensors (float32, int32 or bool); the caller owns them. Pass
 * the result to `module.loadStateDict(...)`, then dispose it.
 */
export function safetensorsToStateDict(bytes: Uint8Array): {
  state: Record<string, tf.Tensor>;
  metadata?: Record<string, string>;
} {
  const decoded = decodeSafetensors(bytes);
  const state: Record<string, tf.Tensor> = {};
  for (const [name, t] of Object.entries(decoded.tensors))
    defineEntry(state, name, tf.tensor(t.data, t.shape, t.tfDtype));
  return decoded.metadata === undefined ? { state } : { state, metadata: decoded.metadata };
}

/**
 * Loads safetensors bytes into anything with `loadStateDict` (a `Module`): decodes, checks and
 * assigns, then disposes the temporary tensors. Returns the file's `__metadata__`, if any.
 */
export function loadSafetensors(
  target: { loadStateDict(state: Record<string, tf.Tensor>, options?: { strict?: boolean }): void },
  bytes: Uint8Array,
  options?: { strict?: boolean },
): Record<string, string> | undefined {
  const { state, metadata } = safetensorsToStateDict(bytes);
  try {
    target.loadStateDict(state, options);
  } finally {
    tf.dispose(Object.values(state));
  }
  return metadata;
}
