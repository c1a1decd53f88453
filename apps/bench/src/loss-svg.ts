/**
 * Draws the validation-loss curves of `shakespeare.ts` runs (their `--json` files) as one SVG.
 *
 * Usage: pnpm exec tsx apps/bench/src/loss-svg.ts out.svg label=run.json [label=run.json …]
 */
import { readFileSync, writeFileSync } from 'node:fs';

interface Run {
  curve: { iter: number; train: number; val: number }[];
}

const [out, ...specs] = process.argv.slice(2);
if (!out || specs.length === 0) {
  console.error('usage: loss-svg.ts out.svg label=run.json [label=run.json …]');
  process.exit(1);
}
const runs = specs.map((spec) => {
  const [label, file] = spec.split('=') as [string, string];
  return { label, run: JSON.parse(readFileSync(file, 'utf8')) as Run };
});

const [W, H, pad] = [640, 360, 48];
const iters = Math.max(...runs.flatMap(({ run }) => run.curve.map((p) => p.iter)));
const [lo, hi] = [1.6, 4.3];
const x = (iter: number) => pad + ((W - 2 * pad) * iter) / iters;
const y = (loss: number) => H - pad - ((H - 2 * pad) * (loss - lo)) / (hi - lo);
const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
const grid = [1.88, 2, 2.5, 3, 3.5, 4].map(
  (l) =>
    `<line x1="${pad}" x2="${W - pad}" y1="${y(l)}" y2="${y(l)}" stroke="${l === 1.88 ? '#999' : '#eee'}"${l === 1.88 ? ' stroke-dasharray="4 3"' : ''}/>` +
    `<text x="${pad - 6}" y="${y(l) + 4}" font-size="11" text-anchor="end">${l}</text>`,
);
const ticks = [0, 0.25, 0.5, 0.75, 1].map(
  (f) =>
    `<text x="${x(f * iters)}" y="${H - pad + 16}" font-size="11" text-anchor="middle">${Math.round(f * iters)}</text>`,
);
const lines = runs.map(({ label, run }, i) => {
  const color = colors[i % colors.length]!;
  const points = run.curve.map((p) => `${x(p.iter).toFixed(1)},${y(p.val).toFixed(1)}`).join(' ');
  const last = run.curve.at(-1)!;
  return (
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points}"/>` +
    `<text x="${W - pad - 4}" y="${pad + 16 * (i + 1)}" font-size="12" text-anchor="end" fill="${color}">${label}: val ${last.val.toFixed(3)}</text>`
  );
});
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="${W}" height="${H}" fill="white"/>
${grid.join('\n')}
${ticks.join('\n')}
<text x="${W / 2}" y="${H - 8}" font-size="12" text-anchor="middle">iteration</text>
<text x="14" y="${H / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 14 ${H / 2})">val loss (nats/char)</text>
<text x="${pad + 4}" y="${y(1.88) - 4}" font-size="11" fill="#666">nanoGPT 1.88</text>
${lines.join('\n')}
</svg>
`;
writeFileSync(out, svg);
console.log(`wrote ${out}`);
