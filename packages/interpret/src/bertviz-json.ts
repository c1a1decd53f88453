import type * as tf from '@tensorflow/tfjs-core';
import { InterpretError } from './errors.js';

/** Per layer `[1][heads][T][S]` (batch of one), as bertviz takes a tuple of `[1, nh, T, S]` tensors. */
export type BertvizLayers = number[][][][][];

/** Self-attention of one stack (decoder-only or encoder-only models). */
export interface BertvizSelfAttention {
  tokens: string[];
  attention: BertvizLayers;
}

/** An encoder-decoder's three kinds of attention, with the keyword names of bertviz's `head_view`. */
export interface BertvizSeq2Seq {
  encoder_tokens: string[];
  decoder_tokens: string[];
  encoder_attention: BertvizLayers;
  decoder_attention: BertvizLayers;
  cross_attention: BertvizLayers;
}

async function layers(
  maps: readonly tf.Tensor[],
  b: number,
  rows: number,
  cols: number,
  what: string,
) {
  return Promise.all(
    maps.map(async (m, i) => {
      if (m.rank !== 4 || m.shape[2] !== rows || m.shape[3] !== cols || b >= m.shape[0]!) {
        throw new InterpretError(
          `${what}[${i}]: expected [B > ${b}, nh, ${rows}, ${cols}], got [${m.shape.join(', ')}]`,
        );
      }
      const all = (await m.array()) as number[][][][];
      return [all[b]!];
    }),
  );
}

/**
 * Attention as the JSON that bertviz's `head_view` and `model_view` (Vig 2019, "A Multiscale
 * Visualization of Attention in the Transformer Model") take: `tokens` and `attention`, one entry
 * per layer shaped `[1][heads][T][T]` (bertviz's per-layer `[batch 1, heads, T, T]` tensors), or
 * for an encoder-decoder `encoder_tokens`, `decoder_tokens`, `encoder_attention` (`[1][nh][S][S]`),
 * `decoder_attention` (`[1][nh][T][T]`) and `cross_attention` (`[1][nh][T][S]`). In Python:
 * `head_view([torch.tensor(a) for a in d["attention"]], d["tokens"])`.
 *
 * Arguments: per-layer `[B, nh, T, S]` maps (e.g. from {@link attentionMaps}), the token strings,
 * and the batch row (default 0).
 *
 * @example
 * ```ts
 * const maps = attentionMaps(model, ids);
 * const json = await bertvizJson({ attention: maps.select(/attn\.weights$/), tokens: ['a', 'b', 'c'] });
 * maps.dispose();
 * ```
 */
export async function bertvizJson(
  input:
    | { attention: readonly tf.Tensor[]; tokens: readonly string[] }
    | {
        encoderAttention: readonly tf.Tensor[];
        decoderAttention: readonly tf.Tensor[];
        crossAttention: readonly tf.Tensor[];
        encoderTokens: readonly string[];
        decoderTokens: readonly string[];
      },
  { batchIndex = 0 }: { batchIndex?: number } = {},
): Promise<BertvizSelfAttention | BertvizSeq2Seq> {
  if ('attention' in input) {
    const T = input.tokens.length;
    return {
      tokens: [...input.tokens],
      attention: await layers(input.attention, batchIndex, T, T, 'attention'),
    };
  }
  const [S, T] = [input.encoderTokens.length, input.decoderTokens.length];
  return {
    encoder_tokens: [...input.encoderTokens],
    decoder_tokens: [...input.decoderTokens],
    encoder_attention: await layers(input.encoderAttention, batchIndex, S, S, 'encoderAttention'),
    decoder_attention: await layers(input.decoderAttention, batchIndex, T, T, 'decoderAttention'),
    cross_attention: await layers(input.crossAttention, batchIndex, T, S, 'crossAttention'),
  };
}
