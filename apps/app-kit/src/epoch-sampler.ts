/** A source of uniform numbers in [0, 1), e.g. `createRng(seed)` of `@tformer/nn`. */
export interface UniformSource {
  uniform(): number;
}

/** Where an {@link EpochSampler} is: enough to continue exactly after a restart. */
export interface EpochSamplerState {
  seed: number;
  batchesDrawn: number;
}

/**
 * Mini-batches of example indices, epoch by epoch: each epoch visits every index once in a fresh
 * seeded shuffle, and a batch that runs past the end of an epoch continues into the next. The
 * position is the number of batches drawn, so `restore` replays the shuffles and a resumed run
 * sees exactly the batches an uninterrupted one would.
 */
export class EpochSampler {
  private rng: UniformSource;
  private order: number[] = [];
  private cursor = 0;
  private drawn = 0;

  /** `random(seed)` makes the generator; it is called again on `restore`. */
  constructor(
    readonly size: number,
    readonly batchSize: number,
    private readonly seed: number,
    private readonly random: (seed: number) => UniformSource,
  ) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`size: expected an integer ≥ 1, got ${size}`);
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new RangeError(`batchSize: expected an integer ≥ 1, got ${batchSize}`);
    this.rng = random(seed);
  }

  /** Indices of the next batch (`batchSize` of them). */
  next(): number[] {
    const batch: number[] = [];
    while (batch.length < this.batchSize) {
      if (this.cursor === this.order.length) this.shuffle();
      batch.push(this.order[this.cursor++]!);
    }
    this.drawn++;
    return batch;
  }

  state(): EpochSamplerState {
    return { seed: this.seed, batchesDrawn: this.drawn };
  }

  restore(state: EpochSamplerState): void {
    if (state.seed !== this.seed)
      throw new RangeError(`state.seed: expected ${this.seed}, got ${state.seed}`);
    this.rng = this.random(this.seed);
    this.order = [];
    this.cursor = 0;
    this.drawn = 0;
    for (let i = 0; i < state.batchesDrawn; i++) this.next();
  }

  /** A new epoch: Fisher–Yates over all indices. */
  private shuffle(): void {
    const order = Array.from({ length: this.size }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(this.rng.uniform() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    this.order = order;
    this.cursor = 0;
  }
}
