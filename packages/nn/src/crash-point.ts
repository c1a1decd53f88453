// Node-only: a test hook of the file writers (`@tformer/nn/node`'s, `@tformer/train/node`'s).
const seen = new Map<string, number>();

/**
 * A named point inside a write (`checkpoint-file-written`, `atomic-before-rename`, …) where the
 * kill tests make the process die. With `TFORMER_CRASH_AT=<point>:<n>` in the environment, the
 * n-th time the process passes `<point>` it sends itself SIGKILL: no cleanup, no `finally`, as a
 * power cut or `kill -9` would. Without the variable it does nothing.
 */
export function crashPoint(point: string): void {
  const spec = process.env.TFORMER_CRASH_AT;
  if (!spec) return;
  const [name, nth = '1'] = spec.split(':');
  if (name !== point) return;
  const count = (seen.get(point) ?? 0) + 1;
  seen.set(point, count);
  if (count === Number(nth)) process.kill(process.pid, 'SIGKILL');
}
