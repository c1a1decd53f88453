import { TformerError } from '@tformer/errors';

/** Formats a shape as `[2, 3, 4]` for error messages. */
export function formatShape(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? '?' : d)).join(', ')}]`;
}

/**
 * Base class of every error raised by `@tformer/nn` (and reused by packages built on it); a
 * {@link TformerError} with code `TFORMER_NN`.
 */
export class NnError extends TformerError {
  override readonly name: string = 'NnError';
  override readonly code: string = 'TFORMER_NN';
}

/**
 * A tensor argument whose shape (or rank, or dtype) does not fit. Names the argument and both
 * shapes: `x: expected shape [?, ?, 64], got [2, 5, 32]`.
 */
export class ShapeError extends NnError {
  override readonly name: string = 'ShapeError';
  override readonly code: string = 'TFORMER_NN_SHAPE';
  constructor(
    /** The argument (or argument pair) at fault, e.g. `x` or `x vs kernel`. */
    readonly argument: string,
    /** What was expected, as a shape (null = any size) or a sentence. */
    readonly expected: readonly (number | null)[] | string,
    /** The shape that was received. */
    readonly actual: readonly number[],
    detail?: string,
  ) {
    super(
      `${argument}: expected ${typeof expected === 'string' ? expected : `shape ${formatShape(expected)}`}, ` +
        `got ${formatShape(actual)}${detail ? ` (${detail})` : ''}`,
    );
  }
}

/** An option or scalar argument with a value outside its domain (a rate of 1.5, a dim of 0). */
export class ArgumentError extends NnError {
  override readonly name: string = 'ArgumentError';
  override readonly code: string = 'TFORMER_NN_ARGUMENT';
  constructor(
    /** The argument at fault, e.g. `rate` or `options.numLayers`. */
    readonly argument: string,
    /** The value received. */
    readonly value: unknown,
    /** The rule it broke, e.g. `a number in [0, 1)`. */
    readonly requirement: string,
  ) {
    super(`${argument}: expected ${requirement}, got ${describe(value)}`);
  }
}

/** Misuse of a {@link Module}: duplicate names, bad names, use after dispose. */
export class ModuleError extends NnError {
  override readonly name: string = 'ModuleError';
  override readonly code: string = 'TFORMER_NN_MODULE';
}

/** What {@link StateDictError} found wrong (its `reason`). */
export type StateDictErrorReason = 'missing' | 'unexpected' | 'shape-mismatch' | 'dtype-mismatch';

/**
 * `loadStateDict` found a key that is missing, unexpected, or of another shape or dtype than the
 * parameter. Names the parameter and, for mismatches, both shapes (or dtypes).
 */
export class StateDictError extends NnError {
  override readonly name: string = 'StateDictError';
  override readonly code: string = 'TFORMER_NN_STATE_DICT';
  constructor(
    readonly reason: StateDictErrorReason,
    /** The dotted parameter name(s) at fault. */
    readonly parameter: string,
    message: string,
    readonly expected?: readonly number[] | string,
    readonly actual?: readonly number[] | string,
  ) {
    super(message);
  }
}

/** What {@link SafetensorsError} found wrong (its `reason`). */
export type SafetensorsErrorReason =
  | 'truncated'
  | 'header-too-large'
  | 'invalid-header'
  | 'unsupported-dtype'
  | 'invalid-shape'
  | 'offsets-out-of-range'
  | 'size-mismatch'
  | 'overlap'
  | 'invalid-metadata'
  | 'value-out-of-range';

/** A malformed or unsupported safetensors buffer; `tensor` names the entry at fault, if any. */
export class SafetensorsError extends NnError {
  override readonly name: string = 'SafetensorsError';
  override readonly code: string = 'TFORMER_NN_SAFETENSORS';
  constructor(
    readonly reason: SafetensorsErrorReason,
    message: string,
    /** The tensor entry at fault, when the problem belongs to one. */
    readonly tensor?: string,
  ) {
    super(tensor === undefined ? message : `tensor '${tensor}': ${message}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.join(', ')}]`;
  return String(value);
}
