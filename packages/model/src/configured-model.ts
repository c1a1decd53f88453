import { Module, type RngOption } from '@tformer/nn';

/** What a model's constructor takes beside its config: the seed or generator of its weights. */
export interface ModelOptions {
  rng?: RngOption;
}

/**
 * The base of the four models (`DecoderLM`, `EncoderDecoder`, `EncoderClassifier`,
 * `VisionTransformer`): `config` is the resolved configuration the subclass built from, and
 * `getConfig`/`fromConfig` are Keras' pair (the config saved in `config.json`, and a model built
 * from one). Internal to this package: users meet it only through the four classes.
 *
 * @example
 * ```ts
 * const model = DecoderLM.fromConfig({ vocabSize: 65, maxLength: 32, dModel: 64, numHeads: 4, numLayers: 2 });
 * const again = DecoderLM.fromConfig(model.getConfig(), { rng: 1 });
 * ```
 */
export abstract class ConfiguredModel<R extends object> extends Module {
  constructor(readonly config: R) {
    super();
  }

  /** A copy of the resolved configuration (what `saveModel` writes to `config.json`). */
  getConfig(): R {
    return { ...this.config };
  }

  /** The model of `config`, as `new Model(config, options)`. */
  static fromConfig<C, M>(
    this: new (
      config: C,
      options?: ModelOptions,
    ) => M,
    config: C,
    options: ModelOptions = {},
  ): M {
    return new this(config, options);
  }
}
