import { safetensorsBytes } from '@tformer/test-utils';
import { describe, expect, it } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  parseJsonFile,
  readSafetensorsHeader,
  SafetensorsError,
} from './index.js';

describe('hostile safetensors headers', () => {
  it.each(['__proto__', 'toString', 'constructor', 'hasOwnProperty'])(
    'dtype %j is an unsupported dtype, not "needs NaN bytes"',
    (dtype) => {
      const bytes = safetensorsBytes(
        JSON.stringify({ w: { dtype, shape: [1], data_offsets: [0, 4] } }),
        [0, 0, 0, 0],
      );
      const error = (() => {
        try {
          decodeSafetensors(bytes);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(SafetensorsError);
      expect((error as SafetensorsError).reason).toBe('unsupported-dtype');
      expect((error as SafetensorsError).tensor).toBe('w');
    },
  );

  it('a tensor named __proto__ is an own entry, never the prototype of the result', () => {
    const bytes = safetensorsBytes(
      '{"__proto__": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}',
      [0, 0, 0x80, 0x3f],
    );
    const { tensors } = decodeSafetensors(bytes);
    expect(Object.keys(tensors)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(tensors)).toBe(Object.prototype);
    expect(Array.from(Object.getOwnPropertyDescriptor(tensors, '__proto__')!.value.data)).toEqual([
      1,
    ]);
    expect(readSafetensorsHeader(bytes).entries.map((e) => e.name)).toEqual(['__proto__']);
    // And it writes back under the same name.
    const again = encodeSafetensors(
      Object.fromEntries([['__proto__', { shape: [1], data: new Float32Array([1]) }]]),
    );
    expect(Object.keys(decodeSafetensors(again).tensors)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).dtype).toBeUndefined();
  });

  it('readSafetensorsHeader checks a header without decoding the data', () => {
    const bytes = encodeSafetensors({
      a: { shape: [2, 3], data: new Float32Array(6) },
      b: { shape: [4], data: new Int32Array(4) },
    });
    const header = readSafetensorsHeader(bytes);
    expect(header.entries.map(({ name, dtype, shape }) => [name, dtype, shape])).toEqual([
      ['a', 'F32', [2, 3]],
      ['b', 'I32', [4]],
    ]);
    expect(header.dataStart + header.entries[1]!.end).toBe(bytes.length);
  });
});

describe('parseJsonFile', () => {
  it('names the file when its JSON is truncated', () => {
    class FileError extends Error {}
    const parse = () =>
      parseJsonFile('{"className": "Decod', 'run/model/config.json', (m) => new FileError(m));
    expect(parse).toThrow(FileError);
    expect(parse).toThrow(/^run\/model\/config\.json: not valid JSON/);
    expect(parseJsonFile('{"a": 1}', 'x.json', (m) => new Error(m))).toEqual({ a: 1 });
  });
});
