import { createRng, type Rng } from '@tformer/nn';

/** A batch of next-token prediction windows: `targets` is `inputs` shifted by one. */
export interface Batch {
  /** int32 `[batchSize · blockSize]`, row-major `[B, T]`. */
  inputs: Int32Array;
  targets: Int32Array;
  batchSize: number;
  blockSize: number;
}

/** Where a {@link BatchStream} is: enough to continue exactly after a restart. */
export interface BatchStreamState {
  seed: number;
  batchesDrawn: number;
}

/**
 * Random windows of a token stream, as nanoGPT's `get_batch`: each row starts at a uniformly drawn
 * offset. Draws come from a seeded generator, and the position is the number of batches drawn, so
 * `restore` replays the draws and resumes at exactly the same next batch.
 */
export class BatchStream {
  private rng: Rng;
  private drawn = 0;

  constructor(
    private readonly tokens: Int32Array,
    readonly batchSize: number,
    readonly blockSize: number,
    private readonly seed: number,
  ) {
    if (tokens.length <= blockSize) {
      throw new RangeError(
        `tokens: need more than blockSize ${blockSize} tokens to draw a window, got ${tokens.length}`,
      );
    }
    this.rng = createRng(seed);
  }

  next(): Batch {
    const { batchSize, blockSize, tokens } = this;
    const inputs = new Int32Array(batchSize * blockSize);
    const targets = new Int32Array(batchSize * blockSize);
    for (let b = 0; b < batchSize; b++) {
      const start = this.drawOffset();
      inputs.set(tokens.subarray(start, start + blockSize), b * blockSize);
      targets.set(tokens.subarray(start + 1, start + blockSize + 1), b * blockSize);
    }
    this.drawn++;
    return { inputs, targets, batchSize, blockSize };
  }

  state(): BatchStreamState {
    return { seed: this.seed, batchesDrawn: this.drawn };
  }

  restore(state: BatchStreamState): void {
    if (state.seed !== this.seed)
      throw new RangeError(`state.seed: expected ${this.seed}, got ${state.seed}`);
    this.rng = createRng(this.seed);
    for (let i = 0; i < state.batchesDrawn * this.batchSize; i++) this.drawOffset();
    this.drawn = state.batchesDrawn;
  }

  private drawOffset(): number {
    return Math.floor(this.rng.uniform() * (this.tokens.length - this.blockSize));
  }
}

/**
 * Every next-token prediction of `tokens`, once: consecutive windows of `blockSize` (the last one
 * shorter when the count does not divide), `batchSize` windows a batch; the short window, if any,
 * is a batch of its own. For held-out metrics over every token.
 */
export function coveringBatches(tokens: Int32Array, blockSize: number, batchSize: number): Batch[] {
  const predictions = tokens.length - 1;
  const full = Math.floor(predictions / blockSize);
  const batches: Batch[] = [];
  const batchOf = (starts: number[], length: number): Batch => {
    const inputs = new Int32Array(starts.length * length);
    const targets = new Int32Array(starts.length * length);
    starts.forEach((start, b) => {
      inputs.set(tokens.subarray(start, start + length), b * length);
      targets.set(tokens.subarray(start + 1, start + length + 1), b * length);
    });
    return { inputs, targets, batchSize: starts.length, blockSize: length };
  };
  for (let w = 0; w < full; w += batchSize) {
    const starts = Array.from(
      { length: Math.min(batchSize, full - w) },
      (_, i) => (w + i) * blockSize,
    );
    batches.push(batchOf(starts, blockSize));
  }
  const rest = predictions - full * blockSize;
  if (rest > 0) batches.push(batchOf([full * blockSize], rest));
  return batches;
}
