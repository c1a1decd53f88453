import * as tf from '@tensorflow/tfjs-core';
import type { Pair } from './data.js';
import { BOS, EOS, PAD, type Vocabs } from './vocab.js';

/** A pair as model ids: the source ends in EOS; the target has neither BOS nor EOS yet. */
export interface EncodedPair {
  src: number[];
  tgt: number[];
}

/** A batch for teacher forcing: `tgtIn` = BOS + target, `tgtOut` = target + EOS, PAD-padded. */
export interface TensorBatch {
  src: tf.Tensor2D;
  tgtIn: tf.Tensor2D;
  tgtOut: tf.Tensor2D;
}

/**
 * Encodes the pairs, leaving out those whose source (with EOS) or target (with BOS) is longer
 * than `maxTokens`; returns the kept pairs in order and how many were dropped.
 */
export function encodePairs(
  pairs: readonly Pair[],
  vocabs: Vocabs,
  maxTokens: number,
): { encoded: EncodedPair[]; kept: Pair[]; dropped: number } {
  const encoded: EncodedPair[] = [];
  const kept: Pair[] = [];
  for (const pair of pairs) {
    const src = [...vocabs.src.encode(pair.src), EOS];
    const tgt = vocabs.tgt.encode(pair.tgt);
    if (src.length > maxTokens || tgt.length + 1 > maxTokens) continue;
    encoded.push({ src, tgt });
    kept.push(pair);
  }
  return { encoded, kept, dropped: pairs.length - kept.length };
}

/**
 * Encodes every held-out pair (none is left out: held-out metrics cover them all), cutting a
 * source to `maxTokens` with its EOS and a target to `maxTokens − 1` tokens (its EOS or BOS takes
 * the last position); returns how many were cut.
 */
export function encodeHeldOut(
  pairs: readonly Pair[],
  vocabs: Vocabs,
  maxTokens: number,
): { encoded: EncodedPair[]; truncated: number } {
  let truncated = 0;
  const encoded = pairs.map((pair) => {
    const src = vocabs.src.encode(pair.src);
    const tgt = vocabs.tgt.encode(pair.tgt);
    if (src.length + 1 > maxTokens || tgt.length + 1 > maxTokens) truncated++;
    return { src: [...src.slice(0, maxTokens - 1), EOS], tgt: tgt.slice(0, maxTokens - 1) };
  });
  return { encoded, truncated };
}

const padTo = (ids: number[], length: number) => [
  ...ids,
  ...new Array<number>(length - ids.length).fill(PAD),
];

/** Pads a list of pairs to the longest source and target among them. */
export function toTensors(rows: readonly EncodedPair[]): TensorBatch {
  const B = rows.length;
  const S = Math.max(...rows.map((r) => r.src.length));
  const T = Math.max(...rows.map((r) => r.tgt.length)) + 1;
  return {
    src: tf.tensor2d(
      rows.flatMap((r) => padTo(r.src, S)),
      [B, S],
      'int32',
    ),
    tgtIn: tf.tensor2d(
      rows.flatMap((r) => padTo([BOS, ...r.tgt], T)),
      [B, T],
      'int32',
    ),
    tgtOut: tf.tensor2d(
      rows.flatMap((r) => padTo([...r.tgt, EOS], T)),
      [B, T],
      'int32',
    ),
  };
}
