/**
 * The float64 references' weights read from a model's parameters by their saved names
 * (`blocks.0.attn.query.kernel`), so that each model test maps names the same way.
 */
import type {
  RefAttentionWeights,
  RefBlockWeights,
  RefDecoderBlockInput,
} from './reference-transformer.js';

type Arr = ArrayLike<number>;

/** A parameter by saved name; undefined when the model has none (a bias with `useBias: false`). */
export type ParamLookup = (name: string) => Arr | undefined;

/** The lookup over parallel `names` and `values` (`namedParameters()` order, as `checkLayer` passes them). */
export function paramLookup(names: readonly string[], values: readonly Arr[]): ParamLookup {
  return (name) => {
    const i = names.indexOf(name);
    return i < 0 ? undefined : values[i];
  };
}

/** Reads the names under `prefix` (`blocks.0`; '' for a block on its own); throws on a missing one. */
function scoped(get: ParamLookup, prefix: string) {
  const full = (name: string) => (prefix ? `${prefix}.${name}` : name);
  const need = (name: string): Arr => {
    const value = get(full(name));
    if (!value) throw new Error(`no parameter ${full(name)}`);
    return value;
  };
  return { need, maybe: (name: string) => get(full(name)) };
}

/** The projections of the attention layer saved under `prefix` (`decoder.layers.0.crossAttn`). */
export function refAttentionWeightsAt(get: ParamLookup, prefix: string): RefAttentionWeights {
  const { need, maybe } = scoped(get, prefix);
  return {
    wq: need('query.kernel'),
    bq: maybe('query.bias'),
    wk: need('key.kernel'),
    bk: maybe('key.bias'),
    wv: need('value.kernel'),
    bv: maybe('value.bias'),
    wo: need('output.kernel'),
    bo: maybe('output.bias'),
  };
}

/**
 * The weights of the block saved under `prefix` (`blocks.0`): `attn`, `ln1`, `ffn`, `ln2`, as
 * `refTransformerBlock` takes them.
 */
export function refBlockWeightsAt(get: ParamLookup, prefix: string): RefBlockWeights {
  return blockWeights(get, prefix, 'attn');
}

/**
 * The weights of the decoder layer (a block with cross-attention) saved under `prefix`:
 * `selfAttn`, `ln1`, `crossAttn`, `ln2`, `ffn`, `ln3`, as `refDecoderBlock` takes them.
 */
export function refDecoderWeightsAt(
  get: ParamLookup,
  prefix: string,
): Pick<RefDecoderBlockInput, 'weights' | 'cross' | 'ln3Gamma' | 'ln3Beta'> {
  const { need, maybe } = scoped(get, prefix);
  return {
    weights: blockWeights(get, prefix, 'selfAttn'),
    cross: refAttentionWeightsAt(get, prefix ? `${prefix}.crossAttn` : 'crossAttn'),
    ln3Gamma: need('ln3.gamma'),
    ln3Beta: maybe('ln3.beta'),
  };
}

function blockWeights(get: ParamLookup, prefix: string, attn: string): RefBlockWeights {
  const { need, maybe } = scoped(get, prefix);
  return {
    ...refAttentionWeightsAt(get, prefix ? `${prefix}.${attn}` : attn),
    ln1Gamma: need('ln1.gamma'),
    ln1Beta: maybe('ln1.beta'),
    w1: need('ffn.up.kernel'),
    b1: maybe('ffn.up.bias'),
    w2: need('ffn.down.kernel'),
    b2: maybe('ffn.down.bias'),
    ln2Gamma: need('ln2.gamma'),
    ln2Beta: maybe('ln2.beta'),
  };
}
