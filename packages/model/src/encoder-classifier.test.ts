import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@tformer/nn';
import {
  assertNoLeaks,
  checkLayer,
  describeWithBackends,
  maxAbsDiff,
  paramLookup,
  randomizeParameters,
  refBlockWeightsAt,
  refDense,
  refTransformerBlock,
} from '@tformer/test-utils';
import { AdamW, crossEntropy } from '@tformer/train';
import { expect, it } from 'vitest';
import { ENCODER_CLASSIFIER_PRESETS, EncoderClassifier, ModelConfigError } from './index.js';

describeWithBackends('EncoderClassifier (Keras preset)', () => {
  it("has the Keras example's 657,758 parameters", () => {
    const model = new EncoderClassifier(ENCODER_CLASSIFIER_PRESETS.kerasTextClassification, {
      rng: 0,
    });
    // Embeddings 20000·32 + 200·32; attention 3·(32·64 + 64) + 64·32 + 32 (key_dim 32, 2 heads);
    // FFN 2·(32·32 + 32); 2 LayerNorms 4·32; Dense(20) 32·20 + 20; Dense(2) 20·2 + 2.
    expect(model.parameterCount()).toBe(640_000 + 6_400 + 8_416 + 2_112 + 128 + 660 + 42);
    expect(model.parameterCount()).toBe(657_758);
    model.dispose();
  });

  it('rejects an unknown pooling by name', () => {
    expect(
      () =>
        new EncoderClassifier({
          ...ENCODER_CLASSIFIER_PRESETS.kerasTextClassification,
          pooling: 'sum' as 'mean',
        }),
    ).toThrow(ModelConfigError);
  });
}, ['cpu']);

describeWithBackends('EncoderClassifier', () => {
  const [B, T, C, V, K, Hd] = [2, 4, 6, 9, 3, 5];
  const ids = [
    [1, 4, 8, 2],
    [7, 7, 0, 3],
  ];

  it('matches a float64 embed → block → mean pool → ReLU → logits, and its gradients', async () => {
    const model = new EncoderClassifier(
      {
        vocabSize: V,
        maxLength: T,
        dModel: C,
        numHeads: 1,
        dFF: 7,
        numClasses: K,
        hiddenDim: Hd,
        dropout: 0,
      },
      { rng: 1 },
    );
    randomizeParameters(model, 60);
    const named = model.namedParameters();
    const names = named.map(([n]) => n);
    await checkLayer({
      forward: ([x]) => tf.tidy(() => model.apply(tf.cast(x!, 'int32'))),
      reference: ([x, ...p]) => {
        const lookup = paramLookup(names, p);
        const get = (n: string) => lookup(n)!;
        const tok = get('tokenEmbed.embeddings');
        const pos = get('posEmbed.embeddings');
        const emb = new Float64Array(B * T * C);
        for (let b = 0; b < B; b++)
          for (let t = 0; t < T; t++)
            for (let c = 0; c < C; c++)
              emb[(b * T + t) * C + c] = tok[x![b * T + t]! * C + c]! + pos[t * C + c]!;
        const h = refTransformerBlock({
          x: emb,
          B,
          T,
          C,
          H: 1,
          F: 7,
          preNorm: false,
          causal: false,
          activation: 'relu',
          eps: 1e-6,
          weights: refBlockWeightsAt(lookup, 'blocks.0'),
        });
        const pooled = new Float64Array(B * C);
        for (let b = 0; b < B; b++)
          for (let t = 0; t < T; t++)
            for (let c = 0; c < C; c++) pooled[b * C + c]! += h[(b * T + t) * C + c]! / T;
        const hidden = refDense(pooled, get('hidden.kernel'), get('hidden.bias'), B, C, Hd).map(
          (v) => Math.max(0, v),
        );
        return refDense(hidden, get('classifier.kernel'), get('classifier.bias'), B, Hd, K);
      },
      inputs: [{ values: Float64Array.from(ids.flat()), shape: [B, T] }],
      differentiate: [],
      variables: named.map(([, v]) => v),
      gradTolerance: { atol: 5e-3, rtol: 5e-3 },
    });
    model.dispose();
  });

  it.each(['mean', 'max', 'cls'] as const)(
    '%s pooling ignores trailing padding',
    async (pooling) => {
      const model = new EncoderClassifier(
        {
          vocabSize: V,
          maxLength: 8,
          dModel: C,
          numHeads: 2,
          dFF: 8,
          numClasses: K,
          pooling,
          padTokenId: 0,
          dropout: 0,
        },
        { rng: 2 },
      );
      randomizeParameters(model, 70);
      const short = tf.tensor2d([[3, 5, 2]], [1, 3], 'int32');
      const padded = tf.tensor2d([[3, 5, 2, 0, 0]], [1, 5], 'int32');
      await assertNoLeaks(async () => {
        const [a, b] = [model.apply(short), model.apply(padded)];
        // Positions are learned, so padding changes nothing only if it is masked everywhere.
        expect(await maxAbsDiff(a, b)).toBeLessThan(1e-5);
        tf.dispose([a, b]);
      });
      tf.dispose([short, padded]);
      model.dispose();
    },
  );
});

describeWithBackends('EncoderClassifier quality', () => {
  it('learns a synthetic keyword task to > 95% held-out accuracy', async () => {
    // Label 1 iff the "keyword" token 3 occurs; negatives never contain it.
    const [V, T] = [50, 16];
    const rng = createRng(5);
    const example = () => {
      const label = rng.uniform() < 0.5 ? 1 : 0;
      const ids = Array.from({ length: T }, () => {
        let t = 4 + Math.floor(rng.uniform() * (V - 4));
        if (t === 3) t = 4;
        return t;
      });
      if (label) ids[Math.floor(rng.uniform() * T)] = 3;
      return { ids, label };
    };
    const batchOf = (n: number) => {
      const ex = Array.from({ length: n }, example);
      return {
        x: tf.tensor2d(
          ex.map((e) => e.ids),
          [n, T],
          'int32',
        ),
        y: tf.tensor1d(
          ex.map((e) => e.label),
          'int32',
        ),
      };
    };
    const model = new EncoderClassifier(
      { vocabSize: V, maxLength: T, dModel: 32, numHeads: 2, dFF: 32, numClasses: 2 },
      { rng: 3 },
    );
    const optimizer = new AdamW(model.namedParameters(), { weightDecay: 0 });
    const params = model.trainableParameters();
    for (let step = 0; step < 150; step++) {
      const { x, y } = batchOf(32);
      const { value, grads } = tf.variableGrads(() => crossEntropy(model.apply(x), y), params);
      optimizer.step(grads, 3e-3);
      tf.dispose([x, y, value, ...Object.values(grads)]);
    }
    model.eval();
    const { x, y } = batchOf(400);
    const accuracy = tf.tidy(
      () => tf.mean(tf.cast(tf.equal(tf.argMax(model.apply(x), -1), y), 'float32')).dataSync()[0]!,
    );
    tf.dispose([x, y]);
    expect(accuracy).toBeGreaterThan(0.95);
    model.dispose();
    optimizer.dispose();
  });
}, ['wasm']);
