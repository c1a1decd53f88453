/**
 * Byte helpers. Token bytes are kept as "byte strings": JS strings whose code units are all
 * below 256, one per byte. They hash and compare fast as Map keys and slice without copying.
 */

function buildByteToChar(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table = new Array<string>(256);
  for (const b of printable) table[b] = String.fromCharCode(b);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) table[b] = String.fromCharCode(256 + next++);
  }
  return table;
}

/** GPT-2's byte → printable unicode character table (the `bytes_to_unicode` mapping). */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** Inverse of {@link BYTE_TO_CHAR}. */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(
  BYTE_TO_CHAR.map((c, b) => [c, b] as const),
);

/** Byte string → GPT-2 unicode form (`" the"` → `"Ġthe"`). */
export function byteStringToUnicode(bytes: string): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += BYTE_TO_CHAR[bytes.charCodeAt(i)];
  return out;
}

/** GPT-2 unicode form → byte string, or `undefined` when a character is not in the table. */
export function unicodeToByteString(token: string): string | undefined {
  let out = '';
  for (const ch of token) {
    const b = CHAR_TO_BYTE.get(ch);
    if (b === undefined) return undefined;
    out += String.fromCharCode(b);
  }
  return out;
}

/**
 * UTF-8 encodes `text` into a byte string. Lone surrogates become U+FFFD (EF BF BD), exactly as
 * `TextEncoder` does.
 */
export function utf8ByteString(text: string): string {
  let out = '';
  const n = text.length;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out += text[i];
      continue;
    }
    if (c < 0x800) {
      out += String.fromCharCode(0xc0 | (c >> 6), 0x80 | (c & 63));
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < n ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        out += String.fromCharCode(
          0xf0 | (c >> 18),
          0x80 | ((c >> 12) & 63),
          0x80 | ((c >> 6) & 63),
          0x80 | (c & 63),
        );
        continue;
      }
      c = 0xfffd;
    }
    out += String.fromCharCode(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return out;
}

/** Byte string → Uint8Array. */
function byteStringToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes a byte string as UTF-8, or returns `undefined` when it is not valid UTF-8. */
export function byteStringToText(s: string): string | undefined {
  try {
    return strictDecoder.decode(byteStringToBytes(s));
  } catch {
    return undefined;
  }
}

/** Base64 → byte string; `undefined` when the text is not base64. */
export function base64ToByteString(b64: string): string | undefined {
  try {
    return atob(b64);
  } catch {
    return undefined;
  }
}
