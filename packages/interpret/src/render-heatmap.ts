import { InterpretError } from './errors.js';
import { escapeXml } from './escape-xml.js';

export interface HeatmapOptions {
  /** Labels of the rows (left) and columns (top), e.g. tokens. */
  rowLabels?: readonly string[];
  colLabels?: readonly string[];
  /** A title above the map. */
  title?: string;
  /** Text drawn in each cell (e.g. the logit lens' top token). */
  cellText?: readonly (readonly string[])[];
  /** Cell side in pixels. Default 22. */
  cellSize?: number;
  /**
   * Colour range: `[min, max]` of the values (default: the data's). With `diverging` (for signed
   * attributions) 0 is white, negatives blue and positives red, scaled by the largest |value|.
   */
  range?: readonly [number, number];
  diverging?: boolean;
}

/** A token as a visible label: whitespace and control characters shown as escapes. */
function label(text: string): string {
  return escapeXml(text.replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/ /g, '\u2423'));
}

const round = (v: number) => Math.round(v * 10) / 10;

/**
 * A matrix as an SVG heatmap (a string: no DOM, runs in Node and browsers): one cell per value,
 * white to dark blue (or blue–white–red with `diverging`), optional row/column labels, title and
 * cell text, a `<title>` tooltip with each cell's value. For attention maps, rollouts
 * (rows = queries, columns = keys), saliency (one row) and the logit lens (rows = layers).
 *
 * @example
 * ```ts
 * const svg = renderHeatmapSvg([[1, 0], [0.5, 0.5]], { rowLabels: ['a', 'b'], colLabels: ['a', 'b'] });
 * ```
 */
export function renderHeatmapSvg(
  values: readonly (readonly number[])[],
  options: HeatmapOptions = {},
): string {
  const rows = values.length;
  const cols = values[0]?.length ?? 0;
  if (rows === 0 || cols === 0 || values.some((r) => r.length !== cols)) {
    throw new InterpretError(`values: expected a non-empty rectangular matrix`);
  }
  const { rowLabels, colLabels, title, cellText, cellSize: s = 22, diverging = false } = options;
  for (const [name, labels, n] of [
    ['rowLabels', rowLabels, rows],
    ['colLabels', colLabels, cols],
  ] as const) {
    if (labels && labels.length !== n) {
      throw new InterpretError(`${name}: expected ${n} labels, got ${labels.length}`);
    }
  }
  const flat = values.flat().filter(Number.isFinite);
  const [lo, hi] = options.range ?? [Math.min(...flat), Math.max(...flat)];
  const extent = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  const colour = (v: number): string => {
    if (!Number.isFinite(v)) return '#ccc';
    if (diverging) {
      const t = Math.min(1, Math.abs(v) / extent);
      const c = Math.round(255 * (1 - t));
      return v >= 0 ? `rgb(255,${c},${c})` : `rgb(${c},${c},255)`;
    }
    const t = hi > lo ? Math.min(1, Math.max(0, (v - lo) / (hi - lo))) : 0;
    // White → #08306b (ColorBrewer Blues' darkest).
    return `rgb(${Math.round(255 - 247 * t)},${Math.round(255 - 207 * t)},${Math.round(255 - 148 * t)})`;
  };
  const charW = 7;
  const left = rowLabels ? Math.max(...rowLabels.map((l) => l.length)) * charW + 10 : 4;
  const top =
    (title ? 22 : 4) + (colLabels ? Math.max(...colLabels.map((l) => l.length)) * charW + 8 : 0);
  // Wide enough for the title too (bold 13 px monospace: ~8 px a character).
  const width = Math.max(left + cols * s + 4, title ? Math.ceil(title.length * 8 + 8) : 0);
  const height = top + rows * s + 4;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  if (title)
    out.push(`<text x="4" y="15" font-size="13" font-weight="bold">${escapeXml(title)}</text>`);
  colLabels?.forEach((l, j) => {
    const x = round(left + j * s + s / 2 + 4);
    out.push(`<text transform="translate(${x},${top - 4}) rotate(-90)">${label(l)}</text>`);
  });
  rowLabels?.forEach((l, i) => {
    out.push(
      `<text x="${left - 6}" y="${round(top + i * s + s / 2 + 4)}" text-anchor="end">${label(l)}</text>`,
    );
  });
  values.forEach((row, i) => {
    row.forEach((v, j) => {
      const [x, y] = [left + j * s, top + i * s];
      out.push(
        `<rect x="${x}" y="${y}" width="${s}" height="${s}" fill="${colour(v)}"><title>${escapeXml(
          `${rowLabels?.[i] ?? i} → ${colLabels?.[j] ?? j}: ${v.toPrecision(4)}`,
        )}</title></rect>`,
      );
      const text = cellText?.[i]?.[j];
      if (text !== undefined) {
        const dark = !diverging && hi > lo && (v - lo) / (hi - lo) > 0.55;
        out.push(
          `<text x="${round(x + s / 2)}" y="${round(y + s / 2 + 4)}" text-anchor="middle" fill="${dark ? 'white' : 'black'}">${label(text)}</text>`,
        );
      }
    });
  });
  out.push('</svg>');
  return out.join('\n');
}
