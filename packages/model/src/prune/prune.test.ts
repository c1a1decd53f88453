import * as tf from '@tensorflow/tfjs-core';
import { assertNoLeaks, describeWithBackends, randomizeParameters } from '@tformer/test-utils';
import { expect, it } from 'vitest';
import {
  DecoderLM,
  type DecoderLMConfig,
  decoderLMParameterCount,
  ffnUnitImportance,
  keepTopScores,
  ModelArgumentError,
  pruneDecoderLM,
} from '../index.js';

const ids = () => tf.tensor2d([[3, 1, 4, 1, 5, 9, 2, 6]], [1, 8], 'int32');

/**
 * The unpruned model with the removed heads' outputs zeroed by a hook and the removed units' rows
 * of the FFN's output projection zeroed in place: what pruning must reproduce exactly.
 */
function maskedLogits(
  model: DecoderLM,
  heads: number[][],
  units: number[][],
  input: tf.Tensor2D,
): tf.Tensor {
  const { numHeads, dFF } = model.config;
  const saved: tf.Tensor[] = [];
  const hooks = Object.fromEntries(
    heads.map((keep, l) => [
      `blocks.${l}.attn.headOutput`,
      (t: tf.Tensor) => {
        const mask = Array.from({ length: numHeads }, (_, h) => (keep.includes(h) ? 1 : 0));
        return tf.mul(t, tf.tensor4d(mask, [1, numHeads, 1, 1])); // t: [B, nh, T, hs]
      },
    ]),
  );
  const downKernel = (l: number) =>
    (model.blocks.at(l).ffn as unknown as { down: { kernel: tf.Variable } }).down.kernel;
  units.forEach((keep, l) => {
    const down = downKernel(l);
    saved.push(tf.clone(down));
    const rows = Array.from({ length: dFF }, (_, j) => (keep.includes(j) ? 1 : 0));
    tf.tidy(() => down.assign(tf.mul(down, tf.tensor2d(rows, [dFF, 1]))));
  });
  const logits = tf.tidy(() => model.apply(input, { hooks }));
  for (let l = 0; l < units.length; l++) downKernel(l).assign(saved[l]!);
  tf.dispose(saved);
  return logits;
}

describeWithBackends('structured pruning', () => {
  for (const [label, extra] of [
    ['learned positions, GELU', {}],
    ['RoPE, SwiGLU, biases', { position: 'rope', activation: 'swiglu', useBias: true }],
  ] as const) {
    it(`a pruned model (${label}) equals the masked one and is genuinely smaller`, async () => {
      const config: DecoderLMConfig = {
        vocabSize: 13,
        maxLength: 8,
        numLayers: 2,
        numHeads: 4,
        dModel: 16,
        dFF: 12,
        useBias: false,
        ...extra,
      };
      const model = new DecoderLM(config, { rng: 1 });
      randomizeParameters(model, 9);
      const heads = [
        [0, 3],
        [1, 2],
      ];
      const units = keepTopScores(await ffnUnitImportance(model), 7);
      const input = ids();
      await assertNoLeaks(async () => {
        const pruned = pruneDecoderLM(model, { heads, ffnUnits: units });
        expect(pruned.config).toMatchObject({ numHeads: 2, headSize: 4, dFF: 7, dModel: 16 });
        expect(pruned.parameterCount()).toBe(decoderLMParameterCount(pruned.config));
        expect(pruned.parameterCount()).toBeLessThan(model.parameterCount());
        expect(pruned.stateDict()['blocks.0.attn.query.kernel']!.shape).toEqual([16, 8]);
        expect(pruned.stateDict()['blocks.1.attn.output.kernel']!.shape).toEqual([8, 16]);
        const expected = maskedLogits(model, heads, units, input);
        const got = pruned.apply(input);
        const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(got, expected))).dataSync()[0]!);
        expect(diff).toBeLessThan(1e-5);
        // The masked model really differs from the intact one: pruning removed something.
        const full = model.apply(input);
        expect(tf.tidy(() => tf.max(tf.abs(tf.sub(full, got))).dataSync()[0]!)).toBeGreaterThan(
          1e-3,
        );
        tf.dispose([expected, got, full]);
        pruned.dispose();
      });
      input.dispose();
      model.dispose();
    });
  }

  it('keeps the top scores in index order and rejects plans the config cannot express', () => {
    expect(keepTopScores([[0.1, 0.5, 0.3, 0.9]], 2)).toEqual([[1, 3]]);
    expect(() => keepTopScores([[1, 2]], 3)).toThrow(ModelArgumentError);
    const model = new DecoderLM({
      vocabSize: 5,
      maxLength: 4,
      numLayers: 2,
      numHeads: 2,
      dModel: 8,
    });
    expect(() => pruneDecoderLM(model, { heads: [[0], [0, 1]] })).toThrow(/plan.heads/);
    expect(() =>
      pruneDecoderLM(model, {
        ffnUnits: [
          [0, 40],
          [1, 2],
        ],
      }),
    ).toThrow(/plan.ffnUnits/);
    const gqa = new DecoderLM({
      vocabSize: 5,
      maxLength: 4,
      numLayers: 1,
      numHeads: 4,
      numKeyValueHeads: 2,
      dModel: 8,
    });
    expect(() => pruneDecoderLM(gqa, { heads: [[0, 1]] })).toThrow(/grouped-query/);
    model.dispose();
    gqa.dispose();
  });
});
