import { ModelConfigError } from '../errors.js';

/**
 * Typed reads of a Hugging Face config.json object. Every failure is one {@link ModelConfigError}
 * naming the file and the field (`config.json: n_head: expected a positive integer, got "x"`);
 * `ours` names our model class in what {@link HfConfigReader.expect} says.
 */
export interface HfConfigReader {
  int(field: string): number;
  optionalInt(field: string): number | undefined;
  num(field: string, fallback: number): number;
  str(field: string, fallback: string): string;
  bool(field: string, fallback: boolean): boolean;
  /** Ours for `activation_function` (transformers' `ACT2FN` name; `fallback` when absent). */
  activation(fallback: string): HfActivation;
  /** Fails unless the field is absent, null or `value`: a setting we cannot reproduce. */
  expect(field: string, value: unknown): void;
  fail(field: string, why: string): never;
}

/** The activations GPT-2 and Marian configs can name. */
export type HfActivation = 'relu' | 'gelu' | 'gelu_tanh';

/** transformers' `activation_function` for each of our activations that it has. */
export const HF_ACTIVATIONS = { relu: 'relu', gelu: 'gelu', gelu_tanh: 'gelu_new' } as const;

/** `activation_function` names, ours for each (transformers has three names for tanh GELU). */
const FROM_HF_ACTIVATION: Record<string, HfActivation> = {
  relu: 'relu',
  gelu: 'gelu',
  gelu_new: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  gelu_fast: 'gelu_tanh',
};

export function readHfConfig(
  raw: Record<string, unknown>,
  source: string,
  ours = 'DecoderLM',
): HfConfigReader {
  const fail = (field: string, why: string): never => {
    throw new ModelConfigError(`${source}: ${field}`, why);
  };
  const present = (field: string) => raw[field] !== undefined && raw[field] !== null;
  const int = (field: string) => {
    const v = raw[field];
    if (!Number.isInteger(v) || (v as number) < 1) {
      fail(field, `expected a positive integer, got ${JSON.stringify(v)}`);
    }
    return v as number;
  };
  const str = (field: string, fallback: string) => {
    if (!present(field)) return fallback;
    const v = raw[field];
    if (typeof v !== 'string') fail(field, `expected a string, got ${JSON.stringify(v)}`);
    return v as string;
  };
  return {
    int,
    optionalInt: (field) => (present(field) ? int(field) : undefined),
    num(field, fallback) {
      if (!present(field)) return fallback;
      const v = raw[field];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        fail(field, `expected a number, got ${JSON.stringify(v)}`);
      }
      return v as number;
    },
    str,
    bool(field, fallback) {
      if (!present(field)) return fallback;
      const v = raw[field];
      if (typeof v !== 'boolean') fail(field, `expected true or false, got ${JSON.stringify(v)}`);
      return v as boolean;
    },
    activation(fallback) {
      const name = str('activation_function', fallback);
      const activation = FROM_HF_ACTIVATION[name];
      if (!activation) fail('activation_function', `'${name}' has no ${ours} equivalent`);
      return activation as HfActivation;
    },
    expect(field, value) {
      if (present(field) && raw[field] !== value) {
        fail(
          field,
          `${JSON.stringify(raw[field])} has no ${ours} equivalent (only ${JSON.stringify(value)})`,
        );
      }
    },
    fail,
  };
}
