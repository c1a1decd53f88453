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
