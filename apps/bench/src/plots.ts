/** Figures of the efficiency report: vega-lite specs rendered headless to SVG. */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface ChartPoint {
  x: number;
  y: number;
  /** The series (a line) or the label (a point) it belongs to. */
  series: string;
}

export interface ChartOptions {
  title: string;
  x: { title: string; log?: boolean };
  y: { title: string };
  /** `line`: one line per series (curves); `point`: labelled points (a trade-off scatter). */
  mark: 'line' | 'point';
}

/** An SVG document of `points`: axes titled, one colour per series, labels beside points. */
export async function renderChartSvg(
  points: readonly ChartPoint[],
  options: ChartOptions,
): Promise<string> {
  const encoding = {
    x: {
      field: 'x',
      type: 'quantitative',
      title: options.x.title,
      scale: options.x.log ? { type: 'log' as const } : { zero: false },
    },
    y: { field: 'y', type: 'quantitative', title: options.y.title, scale: { zero: false } },
  } as const;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title,
    width: 560,
    height: 320,
    data: { values: points as ChartPoint[] },
    layer:
      options.mark === 'line'
        ? [
            {
              mark: { type: 'line', point: true },
              encoding: { ...encoding, color: { field: 'series', type: 'nominal', title: null } },
            },
          ]
        : [
            {
              mark: { type: 'point', filled: true, size: 60 },
              encoding: { ...encoding, color: { field: 'series', type: 'nominal', legend: null } },
            },
            {
              mark: { type: 'text', align: 'left', dx: 7, fontSize: 10 },
              encoding: { ...encoding, text: { field: 'series' } },
            },
          ],
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
