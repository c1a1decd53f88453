/** Markdown pieces of the efficiency report, and the statistics it quotes. */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

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
