import {
  checkLayer,
  describeWithBackends,
  paramLookup,
  randomFloats,
  randomizeParameters,
  refBlockWeightsAt,
  refDense,
  refLayerNorm,
  refPatchify,
  refTransformerBlock,
} from '@tformer/test-utils';
import { expect, it } from 'vitest';
import { ModelConfigError, VISION_TRANSFORMER_PRESETS, VisionTransformer } from './index.js';

describeWithBackends('VisionTransformer (ViT-B/16)', () => {
  it('has the 86,567,656 parameters of ViT-B/16 with a 1000-class head', () => {
    const vit = new VisionTransformer(VISION_TRANSFORMER_PRESETS.vitBase16, { rng: 0 });
    expect(vit.parameterCount()).toBe(86_567_656);
    vit.dispose();
  });

  it('rejects a patch size that does not divide the image', () => {
    expect(
      () => new VisionTransformer({ ...VISION_TRANSFORMER_PRESETS.vitBase16, patchSize: 15 }),
    ).toThrow(ModelConfigError);
  });
}, ['cpu']);

describeWithBackends('VisionTransformer', () => {
  const [B, S, Ch, P, C, H, F, K] = [2, 4, 2, 2, 4, 2, 6, 3];
  const N = (S / P) ** 2;

  it('matches a float64 patchify → [class] + positions → pre-LN block → LN → head, with gradients', async () => {
    const vit = new VisionTransformer(
      {
        imageSize: S,
        patchSize: P,
        channels: Ch,
        dModel: C,
        numHeads: H,
        numLayers: 1,
        dFF: F,
        numClasses: K,
      },
      { rng: 1 },
    );
    randomizeParameters(vit, 90);
    const named = vit.namedParameters();
    const names = named.map(([n]) => n);
    await checkLayer({
      forward: ([images]) => vit.apply(images!),
      reference: ([images, ...params]) => {
        const lookup = paramLookup(names, params);
        const p = (n: string) => lookup(n)!;
        const patches = refPatchify(images!, [B, S, S, Ch], P); // [B·N, P·P·Ch]
        const embedded = refDense(
          patches,
          p('patchEmbed.proj.kernel'),
          p('patchEmbed.proj.bias'),
          B * N,
          P * P * Ch,
          C,
        );
        const T = N + 1;
        const x = new Float64Array(B * T * C);
        for (let b = 0; b < B; b++)
          for (let t = 0; t < T; t++)
            for (let c = 0; c < C; c++)
              x[(b * T + t) * C + c] =
                (t === 0 ? p('cls')[c]! : embedded[(b * N + t - 1) * C + c]!) +
                p('positions')[t * C + c]!;
        const h = refTransformerBlock({
          x,
          B,
          T,
          C,
          H,
          F,
          preNorm: true,
          causal: false,
          activation: 'gelu',
          eps: 1e-6,
          weights: refBlockWeightsAt(lookup, 'blocks.0'),
        });
        const first = new Float64Array(B * C);
        for (let b = 0; b < B; b++)
          for (let c = 0; c < C; c++) first[b * C + c] = h[b * T * C + c]!;
        const normed = refLayerNorm(first, B, C, 1e-6, p('norm.gamma'), p('norm.beta'));
        return refDense(normed, p('head.kernel'), p('head.bias'), B, C, K);
      },
      inputs: [{ values: randomFloats(B * S * S * Ch, 21), shape: [B, S, S, Ch] }],
      variables: named.map(([, v]) => v),
      gradTolerance: { atol: 5e-3, rtol: 5e-3 },
    });
    const copy = VisionTransformer.fromConfig(vit.getConfig());
    expect(copy.getConfig()).toEqual(vit.getConfig());
    expect(copy.parameterCount()).toBe(vit.parameterCount());
    copy.dispose();
    vit.dispose();
  });
});
