const ENTITIES: Record<string, string> = {
  '<': '&lt;',
  '>': '&gt;',
  '&': '&amp;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Control characters XML 1.0 forbids (all below U+0020 except tab, newline, carriage return). */
const isForbidden = (c: string) => {
  const code = c.charCodeAt(0);
  return code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d;
};

/**
 * Escapes text for XML/HTML content and attributes (`<`, `>`, `&`, quotes) and drops the control
 * characters XML 1.0 forbids, so any token string can go into an SVG.
 *
 * @example
 * ```ts
 * escapeXml('a<b'); // 'a&lt;b'
 * ```
 */
export function escapeXml(text: string): string {
  let out = '';
  for (const c of text) {
    if (!isForbidden(c)) out += ENTITIES[c] ?? c;
  }
  return out;
}
