/**
 * A safetensors buffer built by hand, for tests of hostile and malformed files: the u64
 * little-endian header length (or `lengthOverride`, to lie about it), the JSON header (an object,
 * or text as is), then the raw data bytes.
 *
 * @example
 * ```ts
 * const bytes = safetensorsBytes({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, [0, 0, 128, 63]);
 * ```
 */
export function safetensorsBytes(
  header: object | string,
  data: ArrayLike<number>,
  lengthOverride?: bigint,
): Uint8Array {
  const json = new TextEncoder().encode(
    typeof header === 'string' ? header : JSON.stringify(header),
  );
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
