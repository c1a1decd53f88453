/** Markdown pieces of the efficiency report, and the statistics it quotes. */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/**
 * A bench's clock, started now: `log` prints a line after the seconds since the start,
 * `minutes()` is the wall time so far, and `conditions(backend)` the backend and the machine's
 * load at the start and now, as a report's header says them.
 */
export function benchClock() {
  const started = performance.now();
  const loadStart = loadavg()[0]!;
  const seconds = () => (performance.now() - started) / 1000;
  return {
    log: (s: string) => console.log(`[${seconds().toFixed(0)} s] ${s}`),
    minutes: () => seconds() / 60,
    conditions: (backend: string) =>
      `on backend ${backend}, 2 shared vCPUs; 1-minute load average ${loadStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end`,
  };
}

/** Validation loss after each evaluated step. */
export type Curve = { step: number; loss: number }[];

export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Sample standard deviation (n − 1); 0 for a single value. */
export function sd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

export const section = (title: string, intro: string, body: string): string =>
  `### ${title}\n\n${intro}\n\n${body}\n\n`;

/**
 * Replaces what stands between `<!-- NAME:start -->` and `<!-- NAME:end -->` in the markdown file
 * `doc` (both markers appended when absent), written atomically: a crashed bench leaves the old
 * report whole.
 */
export function writeMarkedSection(doc: string, name: string, content: string): void {
  const [start, end] = [`<!-- ${name}:start -->`, `<!-- ${name}:end -->`];
  const text = existsSync(doc) ? readFileSync(doc, 'utf8') : '';
  const [before, rest] = text.includes(start) ? text.split(start) : [`${text}\n`, `${end}\n`];
  const after = rest!.split(end)[1] ?? '\n';
  const temp = `${doc}.${process.pid}.tmp`;
  writeFileSync(temp, `${before}${start}\n${content}${end}${after}`);
  renameSync(temp, doc);
}
