import cliProgress from 'cli-progress';

export interface ProgressFields {
  loss?: number;
  tokensPerSecond?: number;
}

export interface Progress {
  /** Marks `step` (1-based) of `total` as done. */
  update(step: number, fields?: ProgressFields): void;
  stop(): void;
}

export interface ProgressOptions {
  label: string;
  total: number;
  /** Where to draw; a bar on a TTY, plain lines otherwise (CI logs). */
  stream?: NodeJS.WriteStream;
  /** Plain-line mode prints every `every` steps and the last one. Default: about 10 lines. */
  every?: number;
  /**
   * The step the loop starts from (a resumed run's): the ETA is computed from the steps done
   * since, in this process. Default 0.
   */
  start?: number;
}

/**
 * A progress display for long loops — step, loss, tokens/s and ETA: a live bar (cli-progress)
 * when the stream is a terminal, and one plain line every few steps when it is not.
 */
export function createProgress({
  label,
  total,
  stream = process.stderr,
  every,
  start = 0,
}: ProgressOptions): Progress {
  const format = (fields: ProgressFields) =>
    [
      fields.loss === undefined ? '' : `loss ${fields.loss.toFixed(4)}`,
      fields.tokensPerSecond === undefined ? '' : `${Math.round(fields.tokensPerSecond)} tok/s`,
    ]
      .filter(Boolean)
      .join('  ');
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {value}/{total}  {metrics}  eta {eta_formatted}`,
        stream,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, start, { metrics: '' });
    return {
      update: (step, fields = {}) => bar.update(step, { metrics: format(fields) }),
      stop: () => bar.stop(),
    };
  }
  const interval = every ?? Math.max(1, Math.ceil(total / 10));
  const started = performance.now();
  return {
    update(step, fields = {}) {
      if (step <= start || (step % interval !== 0 && step !== total)) return;
      const elapsed = (performance.now() - started) / 1000;
      const eta = (elapsed / (step - start)) * (total - step);
      stream.write(`${label} ${step}/${total}  ${format(fields)}  eta ${Math.round(eta)}s\n`);
    },
    stop() {},
  };
}
