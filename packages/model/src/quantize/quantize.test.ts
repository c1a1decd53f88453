import * as tf from '@tensorflow/tfjs-core';
import { decodeSafetensors, encodeSafetensors, readSafetensorsHeader } from '@tformer/nn';
import {
  assertNoLeaks,
  describeWithBackends,
  randomFloats,
  randomizeParameters,
} from '@tformer/test-utils';
import { expect, it } from 'vitest';
import {
  DecoderLM,
  decodeModel,
  encodeModel,
  encodeQuantizedModel,
  ModelArgumentError,
  quantizationOf,
  SavedModelError,
} from '../index.js';
import { quantizeMatrix } from './quantize-weights.js';
import {
  dequantizeState,
  quantizeState,
  readQuantizationMetadata,
} from './quantized-safetensors.js';

/**
 * Float64 reference: per row (int8) or per group of `groupSize` (int4), scale = max|w| / limit
 * rounded to float32 (as stored), level = round(w / scale) clamped to ±limit; value = level·scale.
 */
function refQuantize(
  w: Float64Array,
  channels: number,
  k: number,
  limit: number,
  groupSize = k,
): { levels: number[]; scales: number[]; values: Float64Array } {
  const levels: number[] = [];
  const scales: number[] = [];
  const values = new Float64Array(w.length);
  for (let c = 0; c < channels; c++) {
    for (let g = 0; g < k / groupSize; g++) {
      const from = c * k + g * groupSize;
      let m = 0;
      for (let i = from; i < from + groupSize; i++) m = Math.max(m, Math.abs(w[i]!));
      const scale = Math.fround(m / limit);
      scales.push(scale);
      for (let i = from; i < from + groupSize; i++) {
        const q = scale === 0 ? 0 : Math.max(-limit, Math.min(limit, Math.round(w[i]! / scale)));
        levels.push(q);
        values[i] = q * scale;
      }
    }
  }
  return { levels, scales, values };
}

/** The channels-major matrix `w` [channels, k] as a Dense holds its kernel: [in = k, out = channels]. */
function kernelOf(w: Float64Array, channels: number, k: number): tf.Tensor2D {
  const kernel = new Float32Array(k * channels);
  for (let c = 0; c < channels; c++)
    for (let i = 0; i < k; i++) kernel[i * channels + c] = w[c * k + i]!;
  return tf.tensor2d(kernel, [k, channels]);
}

describeWithBackends('weight quantization', () => {
  it('int8 on an exact small case: levels, scales and dequantized values of the reference', () => {
    // Row 0: max 1.27 → scale 0.01; row 1: all zero → scale 0, levels 0.
    const w = Float64Array.from([1.27, -0.634, 0.0049, -1.27, 0, 0, 0, 0]);
    const q = quantizeMatrix(Float32Array.from(w), 2, 4, 'int8');
    expect(Array.from(q.values)).toEqual([127, -63, 0, -127, 0, 0, 0, 0]);
    expect(Array.from(q.scales)).toEqual([Math.fround(1.27 / 127), 0]);
    const ref = refQuantize(w, 2, 4, 127);
    expect(Array.from(q.values)).toEqual(ref.levels);
    expect(Array.from(q.scales)).toEqual(ref.scales);
  });

  it('int4 packs q + 8 two to a byte, even k in the low nibble, and matches the reference', () => {
    const k = 32;
    const w = new Float64Array(k);
    for (let i = 0; i < k; i++) w[i] = ((i % 15) - 7) * 0.5; // levels −7…7 exactly, scale 0.5
    const q = quantizeMatrix(Float32Array.from(w), 1, k, 'int4', 32);
    expect(Array.from(q.scales)).toEqual([0.5]);
    expect(q.values[0]).toBe(1 | (2 << 4)); // w[0] = −3.5 → q −7 → 1; w[1] = −3 → q −6 → 2
    const ref = refQuantize(w, 1, k, 7, 32);
    const unpacked = Array.from(q.values).flatMap((b) => [(b & 15) - 8, (b >> 4) - 8]);
    expect(unpacked).toEqual(ref.levels);
  });

  it('dequantized on device: equal to the float64 reference and within scale/2 of the weights', async () => {
    const channels = 6;
    const k = 64;
    const w = randomFloats(channels * k, 7, 0.3);
    w[5] = 2; // an outlier widens one channel's (and one group's) step
    for (const [scheme, limit, groupSize] of [
      ['int8', 127, k],
      ['int4', 7, 32],
      ['int4', 7, 64],
    ] as const) {
      const t = kernelOf(w, channels, k);
      const { tensors, metadata } = await quantizeState(
        { 'l.kernel': t },
        { scheme, groupSize: scheme === 'int4' ? groupSize : 64 },
      );
      t.dispose();
      const decoded = decodeSafetensors(
        encodeSafetensors(tensors, { 'tformer.quantization': JSON.stringify(metadata) }),
      );
      const ref = refQuantize(w, channels, k, limit, groupSize);
      await assertNoLeaks(async () => {
        const state = dequantizeState(decoded, readQuantizationMetadata(decoded, 'f')!, 'f');
        const out = (await state['l.kernel']!.data()) as Float32Array; // [k, channels]
        tf.dispose(Object.values(state));
        for (let c = 0; c < channels; c++) {
          for (let i = 0; i < k; i++) {
            const got = out[i * channels + c]!;
            const scale = ref.scales[Math.floor((c * k + i) / groupSize)]!;
            // Exact up to the float32 rounding of the product q·scale on device.
            const ref64 = ref.values[c * k + i]!;
            expect(Math.abs(got - ref64)).toBeLessThanOrEqual(Math.abs(ref64) * 2 ** -23);
            expect(Math.abs(got - w[c * k + i]!)).toBeLessThanOrEqual(
              scale / 2 + Math.abs(ref64) * 2 ** -23,
            );
          }
        }
      });
    }
  });

  it('a quantized DecoderLM file follows the safetensors rules and round-trips through decodeModel', async () => {
    const config = { vocabSize: 11, maxLength: 8, numLayers: 2, numHeads: 2, dModel: 64, dFF: 96 };
    const model = new DecoderLM(config, { rng: 3 });
    randomizeParameters(model, 5);
    const ids = tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 8]], [1, 8], 'int32');
    const logits = model.apply(ids);
    const floatBytes = (await encodeModel(model)).weights.length;
    for (const [options, tolerance] of [
      [{ scheme: 'int8' }, 0.03],
      [{ scheme: 'int4', groupSize: 32 }, 0.4],
    ] as const) {
      const { config: saved, weights } = await encodeQuantizedModel(model, options);
      // Header: 8-byte aligned data start, contiguous offsets from 0 to the end, F32 data 4-aligned.
      const header = readSafetensorsHeader(weights);
      expect(header.dataStart % 8).toBe(0);
      let end = 0;
      for (const e of header.entries) {
        expect(e.begin).toBe(end);
        if (e.dtype === 'F32') expect(e.begin % 4).toBe(0);
        end = e.end;
      }
      expect(header.dataStart + end).toBe(weights.length);
      const dtypes = Object.fromEntries(header.entries.map((e) => [e.name, e.dtype]));
      const int4 = options.scheme === 'int4';
      expect(dtypes['blocks.0.attn.query.kernel.qweight']).toBe(int4 ? 'U8' : 'I8');
      expect(dtypes['wte.embeddings.scales']).toBe('F32');
      expect(dtypes['blocks.0.ln1.gamma']).toBe('F32');
      // The FFN's down projection has k = dFF = 96: int4 with groups of 32, int8 with none.
      const meta = quantizationOf(weights)!;
      expect(meta.tensors['blocks.1.ffn.down.kernel']?.scheme).toBe(options.scheme);
      expect(weights.length).toBeLessThan(floatBytes / (int4 ? 3 : 2.5));

      await assertNoLeaks(async () => {
        const restored = decodeModel(saved, weights) as DecoderLM;
        const got = restored.apply(ids);
        const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(got, logits))).dataSync()[0]!);
        const range = tf.tidy(() => tf.max(tf.abs(logits)).dataSync()[0]!);
        expect(diff).toBeGreaterThan(0); // really quantized
        expect(diff / range).toBeLessThan(tolerance);
        tf.dispose(got);
        restored.dispose();
      });
    }
    tf.dispose([ids, logits]);
    model.dispose();
  });

  it('rejects bad options and damaged files with typed errors', async () => {
    const model = new DecoderLM({
      vocabSize: 5,
      maxLength: 4,
      numLayers: 1,
      numHeads: 2,
      dModel: 32,
    });
    await expect(encodeQuantizedModel(model, { scheme: 'int4', groupSize: 48 })).rejects.toThrow(
      ModelArgumentError,
    );
    await expect(encodeQuantizedModel(model, { scheme: 'int2' as 'int8' })).rejects.toThrow(
      /options.scheme/,
    );
    expect(() => quantizeMatrix(new Float32Array(6), 2, 3, 'int4', 32)).toThrow(/groupSize/);
    const { config, weights } = await encodeQuantizedModel(model, { scheme: 'int8' });
    const decoded = decodeSafetensors(weights);
    const { 'wte.embeddings.scales': _dropped, ...rest } = decoded.tensors;
    const damaged = encodeSafetensors(
      Object.fromEntries(
        Object.entries(rest).map(([n, t]) => [
          n,
          {
            shape: t.shape,
            data: t.dtype === 'I8' ? Int8Array.from(t.data) : (t.data as Float32Array),
          },
        ]),
      ),
      decoded.metadata,
    );
    expect(() => decodeModel(config, damaged)).toThrow(SavedModelError);
    expect(() => decodeModel(config, damaged)).toThrow(/wte.embeddings.scales/);
    model.dispose();
  });
});
