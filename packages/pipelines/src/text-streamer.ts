import type { Tokenizer } from '@tformer/tokenizer';

type ByteTokenizer = Tokenizer & { decodeBytes(ids: ArrayLike<number>): Uint8Array };

/**
 * Token ids in, text out, one token at a time, so that the pieces joined equal
 * `tokenizer.decode(allIds)`: a byte-level BPE's bytes go through a streaming UTF-8 decoder (a
 * character split over tokens comes out once complete); other tokenizers decode everything so
 * far and hand out what is new, holding back a trailing U+FFFD. With `stop` strings, the text is
 * cut before the first one found and the streamer reports `stopped`; the pieces hold back as
 * many characters as could start a stop string.
 */
export class TextStreamer {
  private readonly ids: number[] = [];
  private readonly decoder: TextDecoder | undefined;
  private readonly holdBack: number;
  private full = '';
  private shown = 0;
  stopped = false;

  constructor(
    private readonly tokenizer: Tokenizer,
    private readonly stop: readonly string[] = [],
  ) {
    this.decoder =
      typeof (tokenizer as ByteTokenizer).decodeBytes === 'function'
        ? new TextDecoder('utf-8', { ignoreBOM: true })
        : undefined;
    const longest = Math.max(0, ...stop.filter((s) => s !== '').map((s) => s.length));
    this.holdBack = Math.max(0, longest - 1);
  }

  /** Adds one token; returns the text that is now safe to show ('' if none). */
  push(token: number): string {
    if (this.stopped) return '';
    this.ids.push(token);
    if (this.decoder) {
      const bytes = (this.tokenizer as ByteTokenizer).decodeBytes([token]);
      this.full += this.decoder.decode(bytes, { stream: true });
      return this.release(false);
    }
    const text = this.tokenizer.decode(this.ids);
    // A trailing U+FFFD may be an incomplete character: wait for the next token.
    const complete = text.endsWith('\uFFFD') ? text.slice(0, -1) : text;
    if (complete.startsWith(this.full)) this.full = complete;
    return this.release(false);
  }

  /** The text not shown yet, once no token follows. */
  end(): string {
    if (!this.stopped) {
      this.full = this.decoder
        ? this.full + this.decoder.decode()
        : this.tokenizer.decode(this.ids);
    }
    return this.release(true);
  }

  /** All the text (call after the last {@link push}). */
  text(): string {
    this.end();
    return this.full;
  }

  private release(final: boolean): string {
    if (!this.stopped) {
      const at = firstStop(this.full, this.stop, this.shown);
      if (at >= 0) {
        this.full = this.full.slice(0, at);
        this.stopped = true;
      }
    }
    let until = this.stopped || final ? this.full.length : this.full.length - this.holdBack;
    // Never split a surrogate pair.
    const code = this.full.charCodeAt(until - 1);
    if (until < this.full.length && code >= 0xd800 && code <= 0xdbff) until -= 1;
    if (until <= this.shown) return '';
    const piece = this.full.slice(this.shown, until);
    this.shown = until;
    return piece;
  }
}

/** Index of the earliest stop string in `text` that ends after `from`, or -1. */
function firstStop(text: string, stops: readonly string[], from: number): number {
  let best = -1;
  for (const s of stops) {
    if (s === '') continue;
    const i = text.indexOf(s, Math.max(0, from - s.length + 1));
    if (i >= 0 && (best < 0 || i < best)) best = i;
  }
  return best;
}
