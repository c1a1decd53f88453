import { fuzzFormat, safetensorsBytes } from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { SafetensorsError } from './errors.js';
import { type DecodedSafetensors, decodeSafetensors, encodeSafetensors } from './safetensors.js';

// Issue 12: safetensors, fuzzed as bytes and as a header. A file decodes to tensors no larger
// than float32 copies of its bytes allow, or fails with a SafetensorsError; never a RangeError,
// a hang or an allocation the file does not justify.
const valid = encodeSafetensors(
  {
    'wte.weight': { shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => i / 7) },
    'h.0.ln.bias': { shape: [4], data: new Float32Array(4), dtype: 'F16' },
    'h.0.ln.weight': { shape: [4], data: new Float32Array(4).fill(1), dtype: 'BF16' },
    ids: { shape: [2, 2], data: Int32Array.from([1, -2, 3, 2 ** 30]) },
  },
  { format: 'pt' },
);

/** At most 4 bytes of float32/int32 per stored byte (F16, BF16, I8 widen) plus the views. */
function checkBounded(decoded: DecodedSafetensors, input: string | Uint8Array): void {
  let bytes = 0;
  for (const t of Object.values(decoded.tensors)) {
    bytes += t.data.byteLength;
    expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
  }
  expect(bytes).toBeLessThanOrEqual(4 * input.length + 64);
}

it('safetensors bytes: 5,000 mutations give a SafetensorsError or bounded tensors', async () => {
  const report = await fuzzFormat({
    format: 'safetensors (bytes)',
    seeds: [valid, encodeSafetensors({})],
    parse: (input) => decodeSafetensors(input as Uint8Array),
    isTypedError: (e) => e instanceof SafetensorsError,
    check: checkBounded,
  });
  process.stdout.write(`fuzz ${JSON.stringify(report)}\n`);
  expect(report.cases).toBeGreaterThanOrEqual(5_000);
  expect(report.rejected).toBeGreaterThan(0);
});

it('safetensors header: 5,000 mutated JSON headers give a SafetensorsError or bounded tensors', async () => {
  const size = Number(new DataView(valid.buffer, valid.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(valid.subarray(8, 8 + size)));
  const data = valid.subarray(8 + size);
  const pack = (json: string) => safetensorsBytes(json, data);
  const report = await fuzzFormat({
    format: 'safetensors (header)',
    seeds: [header],
    parse: (input) => decodeSafetensors(pack(input as string)),
    isTypedError: (e) => e instanceof SafetensorsError,
    check: (decoded, input) => checkBounded(decoded, pack(input as string)),
  });
  process.stdout.write(`fuzz ${JSON.stringify(report)}\n`);
  expect(report.cases).toBeGreaterThanOrEqual(5_000);
  expect(report.valid).toBeGreaterThan(0);
  expect(report.rejected).toBeGreaterThan(0);
});
