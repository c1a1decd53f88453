import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface LossPoint {
  step: number;
  loss: number;
  split: string;
}

/** One colour per split in every app's plot (vega's category order would swap them). */
const SPLIT_COLOURS = { train: '#4c78a8', val: '#f58518', test: '#e45756' } as const;

/**
 * The loss curve of a run as an SVG document (vega-lite, rendered headless by vega): one line per
 * split (train, val, test; always the same colours), step on x, the mean cross-entropy on y
 * (per token for the language models, per example for the classifiers).
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
        title: 'mean cross-entropy (nats)',
        scale: { zero: false },
      },
      color: {
        field: 'split',
        type: 'nominal',
        title: null,
        scale: { domain: Object.keys(SPLIT_COLOURS), range: Object.values(SPLIT_COLOURS) },
      },
    },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
