import { describe, expect, it } from 'vitest';
import { encodeHeldOut, encodePairs } from './batches.js';
import { EOS, trainVocabs } from './vocab.js';

describe('held-out pairs', () => {
  const pairs = [
    { src: 'a b', tgt: 'x' },
    { src: 'a b c d e f g h i j k l', tgt: 'x y z x y z x y z x y z' },
  ];
  const vocabs = trainVocabs(pairs, 256, false);

  it('are all kept, long ones cut to maxTokens (training pairs that long are left out)', () => {
    expect(encodePairs(pairs, vocabs, 8).dropped).toBe(1);
    const { encoded, truncated } = encodeHeldOut(pairs, vocabs, 8);
    expect(truncated).toBe(1);
    expect(encoded).toHaveLength(2);
    expect(encoded[0]).toEqual({
      src: [...vocabs.src.encode('a b'), EOS],
      tgt: vocabs.tgt.encode('x'),
    });
    // The source keeps its EOS in the last position; the target leaves room for BOS / EOS.
    expect(encoded[1]!.src).toEqual([...vocabs.src.encode(pairs[1]!.src).slice(0, 7), EOS]);
    expect(encoded[1]!.tgt).toEqual(vocabs.tgt.encode(pairs[1]!.tgt).slice(0, 7));
  });
});
