import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface LossPoint {
  step: number;
  loss: number;
  split: string;
}

/**
 * The loss curve of a run as an SVG document (vega-lite, rendered headless by vega): one line per
 * split (train, val), step on x, loss on y.
 */
export async function renderLossSvg(points: readonly LossPoint[], title = 'loss'): Promise<string> {
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 560,
    height: 300,
    data: { values: points as LossPoint[] },
    mark: { type: 'line', point: points.length <= 60 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: {
        field: 'loss',
        type: 'quantitative',
        title: 'loss (nats/token)',
        scale: { zero: false },
      },
      color: { field: 'split', type: 'nominal', title: null },
    },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
