import { NnError } from '@tformer/nn';

/**
 * A token id outside `[0, vocabSize)`. tfjs `gather` returns zeros for such ids on some backends,
 * silently; this is raised instead.
 */
export class TokenIdError extends NnError {
  override readonly name: string = 'TokenIdError';
  override readonly code: string = 'TFORMER_EMBEDDINGS_TOKEN_ID';
  constructor(
    /** The smallest and largest id seen in the call. */
    readonly min: number,
    readonly max: number,
    readonly vocabSize: number,
  ) {
    super(`ids: expected token ids in [0, ${vocabSize}), got ids in [${min}, ${max}]`);
  }
}

/** A position at or beyond the table's `maxLength` (offset + length > maxLength). */
export class PositionOverflowError extends NnError {
  override readonly name: string = 'PositionOverflowError';
  override readonly code: string = 'TFORMER_EMBEDDINGS_POSITION_OVERFLOW';
  constructor(
    /** The first position that does not exist (offset + length − 1 when it overflows). */
    readonly position: number,
    readonly maxLength: number,
    /** The layer that raised it. */
    readonly layer: string,
  ) {
    super(
      `${layer}: position ${position} is out of range for maxLength ${maxLength} (positions are 0…${maxLength - 1})`,
    );
  }
}

/** Throws {@link PositionOverflowError} unless positions `offset … offset + length − 1` exist. */
export function checkPositions(
  offset: number,
  length: number,
  maxLength: number,
  layer: string,
): void {
  if (!Number.isInteger(offset) || offset < 0) {
    throw new PositionOverflowError(offset, maxLength, layer);
  }
  if (offset + length > maxLength)
    throw new PositionOverflowError(offset + length - 1, maxLength, layer);
}
