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
  /** Fails unless the field is absent, null or `value`: a setting we cannot reproduce. */
  expect(field: string, value: unknown): void;
  fail(field: string, why: string): never;
}

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
    str(field, fallback) {
      if (!present(field)) return fallback;
      const v = raw[field];
      if (typeof v !== 'string') fail(field, `expected a string, got ${JSON.stringify(v)}`);
      return v as string;
    },
    bool(field, fallback) {
      if (!present(field)) return fallback;
      const v = raw[field];
      if (typeof v !== 'boolean') fail(field, `expected true or false, got ${JSON.stringify(v)}`);
      return v as boolean;
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
