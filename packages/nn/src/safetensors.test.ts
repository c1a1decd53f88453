import * as tf from '@tensorflow/tfjs-core';
import {
  assertNoLeaks,
  describeWithBackends,
  expectTensorsClose,
  safetensorsBytes,
  thrownError,
} from '@tformer/test-utils';
import { describe, expect, it } from 'vitest';
import {
  Dense,
  decodeSafetensors,
  encodeSafetensors,
  LayerNorm,
  loadSafetensors,
  Module,
  SafetensorsError,
  StateDictError,
  safetensorsToStateDict,
  stateDictToSafetensors,
} from './index.js';
import { f16ToF32, f32ToBf16, f32ToF16 } from './safetensors.js';

const errorOf = (f: () => unknown) => thrownError(f, SafetensorsError);

describe('half and bfloat16 conversions', () => {
  it('decode F16 exactly on known bit patterns', () => {
    const known: [number, number][] = [
      [0x0000, 0],
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125],
      [0x7bff, 65504],
      [0x0400, 2 ** -14],
      [0x0001, 2 ** -24],
      [0x03ff, 1023 * 2 ** -24],
      [0x7c00, Number.POSITIVE_INFINITY],
      [0xfc00, Number.NEGATIVE_INFINITY],
    ];
    for (const [bits, value] of known) {
      expect(f16ToF32(bits)).toBe(value);
      expect(f32ToF16(value)).toBe(bits);
    }
    expect(Object.is(f16ToF32(0x8000), -0)).toBe(true);
    expect(f16ToF32(0x7e00)).toBeNaN();
    expect(f32ToF16(Number.NaN) & 0x7c00).toBe(0x7c00);
    expect(f32ToF16(1e6)).toBe(0x7c00); // overflow → inf
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00); // tie rounds to even
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(f32ToF16(2 ** -26)).toBe(0); // below half the smallest subnormal
  });

  it('round-trips every finite half through float', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const v = f16ToF32(bits);
      if (Number.isNaN(v)) continue;
      expect(f32ToF16(v)).toBe(bits);
    }
  });

  it('encodes BF16 with round-to-nearest-even', () => {
    expect(f32ToBf16(1)).toBe(0x3f80);
    expect(f32ToBf16(-2)).toBe(0xc000);
    expect(f32ToBf16(3.140625)).toBe(0x4049);
    expect(f32ToBf16(1 + 2 ** -8)).toBe(0x3f80); // tie → even
    expect(f32ToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(f32ToBf16(Number.NaN) & 0x7f80).toBe(0x7f80);
  });
});

describe('safetensors bytes', () => {
  it('reads a hand-built file: F32, F16, BF16 and I32 with the right values and metadata', () => {
    const bytes = [
      ...[0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0], // F32 [1, -2]
      ...[0x00, 0x3c, 0x00, 0xc0, 0x55, 0x35], // F16 [1, -2, 0.333251953125]
      ...[0x80, 0x3f, 0x49, 0x40], // BF16 [1, 3.140625]
      ...[0xff, 0xff, 0xff, 0xff, 0x07, 0x00, 0x00, 0x00], // I32 [-1, 7]
    ];
    const file = safetensorsBytes(
      {
        __metadata__: { format: 'pt' },
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        h: { dtype: 'F16', shape: [1, 3], data_offsets: [8, 14] },
        b: { dtype: 'BF16', shape: [2, 1], data_offsets: [14, 18] },
        i: { dtype: 'I32', shape: [2], data_offsets: [18, 26] },
      },
      bytes,
    );
    const { tensors, metadata } = decodeSafetensors(file);
    expect(metadata).toEqual({ format: 'pt' });
    expect(Array.from(tensors.a!.data)).toEqual([1, -2]);
    expect(Array.from(tensors.h!.data)).toEqual([1, -2, 0.333251953125]);
    expect(tensors.h!.shape).toEqual([1, 3]);
    expect(Array.from(tensors.b!.data)).toEqual([1, 3.140625]);
    expect(tensors.i!.tfDtype).toBe('int32');
    expect(Array.from(tensors.i!.data)).toEqual([-1, 7]);
    expect(Object.keys(tensors)).toEqual(['a', 'h', 'b', 'i']);
  });

  it('reads F64, I64, I16, I8, U8 and BOOL, and rejects I64 values beyond int32', () => {
    const data = new Uint8Array(8 + 8 + 2 + 1 + 1 + 1);
    const v = new DataView(data.buffer);
    v.setFloat64(0, 0.5, true);
    v.setBigInt64(8, -5n, true);
    v.setInt16(16, -300, true);
    v.setInt8(18, -7);
    v.setUint8(19, 250);
    v.setUint8(20, 1);
    const header = {
      f: { dtype: 'F64', shape: [], data_offsets: [0, 8] },
      l: { dtype: 'I64', shape: [1], data_offsets: [8, 16] },
      s: { dtype: 'I16', shape: [1], data_offsets: [16, 18] },
      c: { dtype: 'I8', shape: [1], data_offsets: [18, 19] },
      u: { dtype: 'U8', shape: [1], data_offsets: [19, 20] },
      z: { dtype: 'BOOL', shape: [1], data_offsets: [20, 21] },
    };
    const { tensors } = decodeSafetensors(safetensorsBytes(header, data));
    expect(Object.values(tensors).map((t) => t.data[0])).toEqual([0.5, -5, -300, -7, 250, 1]);
    v.setBigInt64(8, 2n ** 40n, true);
    const e = errorOf(() => decodeSafetensors(safetensorsBytes(header, data)));
    expect(e.reason).toBe('value-out-of-range');
    expect(e.tensor).toBe('l');
  });

  it('round-trips F32, F16, BF16 and I32 with metadata', () => {
    const floats = Float32Array.from([0, 1, -2.5, 3.140625, 65504, 1e-3]);
    for (const dtype of ['F32', 'F16', 'BF16'] as const) {
      const bytes = encodeSafetensors(
        {
          w: { shape: [2, 3], data: floats, dtype },
          ids: { shape: [3], data: Int32Array.from([-1, 0, 2 ** 31 - 1]) },
        },
        { note: dtype },
      );
      const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect(headerLength % 8).toBe(0);
      const { tensors, metadata } = decodeSafetensors(bytes);
      expect(metadata).toEqual({ note: dtype });
      expect(tensors.w!.dtype).toBe(dtype);
      expect(tensors.w!.shape).toEqual([2, 3]);
      const expected = Array.from(floats, (x) =>
        dtype === 'F32'
          ? x
          : dtype === 'F16'
            ? f16ToF32(f32ToF16(x))
            : new Float32Array(new Uint32Array([f32ToBf16(x) << 16]).buffer)[0]!,
      );
      expect(Array.from(tensors.w!.data)).toEqual(expected);
      expect(Array.from(tensors.ids!.data)).toEqual([-1, 0, 2 ** 31 - 1]);
    }
  });

  it('writes Int8Array as I8 and Uint8Array as U8, byte for byte, after the float data', () => {
    const bytes = encodeSafetensors({
      s: { shape: [1], data: Float32Array.from([0.5]) },
      q: { shape: [2, 2], data: Int8Array.from([-128, -1, 0, 127]) },
      p: { shape: [3], data: Uint8Array.from([0, 0x8f, 255]) },
    });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.q).toEqual({ dtype: 'I8', shape: [2, 2], data_offsets: [4, 8] });
    expect(header.p).toEqual({ dtype: 'U8', shape: [3], data_offsets: [8, 11] });
    expect(Array.from(bytes.subarray(8 + n + 4))).toEqual([128, 255, 0, 127, 0, 0x8f, 255]);
    const { tensors } = decodeSafetensors(bytes);
    expect(Array.from(tensors.q!.data)).toEqual([-128, -1, 0, 127]);
    expect(Array.from(tensors.p!.data)).toEqual([0, 0x8f, 255]);
    expect(
      errorOf(() => encodeSafetensors({ q: { shape: [1], data: new Int8Array(1), dtype: 'U8' } }))
        .reason,
    ).toBe('unsupported-dtype');
  });

  it('malformed files raise SafetensorsError naming the tensor', () => {
    const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
    const data = new Uint8Array(8);
    expect(errorOf(() => decodeSafetensors(new Uint8Array(5))).reason).toBe('truncated');
    // Header length overflow: a u64 far past the buffer, and one past the 100 MB limit.
    expect(errorOf(() => decodeSafetensors(safetensorsBytes(ok, data, 2n ** 63n))).reason).toBe(
      'header-too-large',
    );
    expect(errorOf(() => decodeSafetensors(safetensorsBytes(ok, data, 1000n))).reason).toBe(
      'truncated',
    );
    expect(errorOf(() => decodeSafetensors(safetensorsBytes('{"a": ', data))).reason).toBe(
      'invalid-header',
    );
    const cases: [object, string, string][] = [
      [{ a: { dtype: 'F32', shape: [2], data_offsets: [0, 16] } }, 'offsets-out-of-range', 'a'],
      [{ a: { dtype: 'F32', shape: [2], data_offsets: [8, 4] } }, 'offsets-out-of-range', 'a'],
      [{ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 'size-mismatch', 'a'],
      [{ a: { dtype: 'Q4', shape: [2], data_offsets: [0, 8] } }, 'unsupported-dtype', 'a'],
      [{ a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, 'invalid-shape', 'a'],
      [
        {
          a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
          b: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        },
        'overlap',
        'b',
      ],
    ];
    for (const [header, code, tensor] of cases) {
      const e = errorOf(() => decodeSafetensors(safetensorsBytes(header, data)));
      expect(e.reason).toBe(code);
      expect(e.tensor).toBe(tensor);
      expect(e.message).toContain(`tensor '${tensor}'`);
    }
    expect(
      errorOf(() => decodeSafetensors(safetensorsBytes({ __metadata__: { n: 1 } }, data))).reason,
    ).toBe('invalid-metadata');
    expect(
      errorOf(() => encodeSafetensors({ w: { shape: [3], data: new Float32Array(2) } })).message,
    ).toBe("tensor 'w': shape [3] needs 3 values, data has 2");
  });
});

class Tiny extends Module {
  readonly proj = this.addModule('proj', new Dense({ inputDim: 3, outputDim: 2, rng: 1 }));
  readonly norm = this.addModule('norm', new LayerNorm({ dModel: 2 }));
}

describeWithBackends('state dict ↔ safetensors', () => {
  it('a module round-trips through bytes, and loading checks shapes', async () => {
    const a = new Tiny();
    const b = new Tiny();
    b.proj.kernel.assign(tf.zeros([3, 2]));
    await assertNoLeaks(async () => {
      const bytes = await stateDictToSafetensors(a.stateDict(), { metadata: { model: 'tiny' } });
      expect(loadSafetensors(b, bytes)).toEqual({ model: 'tiny' });
      for (const [name, v] of Object.entries(a.stateDict())) {
        await expectTensorsClose(b.stateDict()[name]!, v.dataSync(), { atol: 0, rtol: 0 });
      }
      const transposed = tf.transpose(a.proj.kernel);
      const wrong = await stateDictToSafetensors({ ...a.stateDict(), 'proj.kernel': transposed });
      transposed.dispose();
      expect(() => loadSafetensors(b, wrong)).toThrow(StateDictError);
      expect(() => loadSafetensors(b, wrong)).toThrow(
        "parameter 'proj.kernel': shape mismatch, model has [3, 2], state dict has [2, 3]",
      );
    });
    a.dispose();
    b.dispose();
  });

  it('safetensorsToStateDict returns caller-owned tensors; BF16 storage halves the size', async () => {
    const a = new Tiny();
    const f32 = await stateDictToSafetensors(a.stateDict());
    const bf16 = await stateDictToSafetensors(a.stateDict(), { dtype: 'BF16' });
    expect(bf16.length).toBeLessThan(f32.length);
    await assertNoLeaks(async () => {
      const { state } = safetensorsToStateDict(bf16);
      expect(state['proj.kernel']!.dtype).toBe('float32');
      await expectTensorsClose(state['proj.kernel']!, a.proj.kernel.dataSync(), {
        atol: 0,
        rtol: 2 ** -8,
      });
      tf.dispose(Object.values(state));
    });
    a.dispose();
  });
});
