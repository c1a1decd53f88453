import { describe, expect, it } from 'vitest';
import { renderLossSvg } from './loss-plot.js';

describe('renderLossSvg', () => {
  it('names the loss on its y axis and gives each split the same colour in every app', async () => {
    const points = (splits: string[]) =>
      splits.flatMap((split, i) => [0, 10].map((step) => ({ step, loss: 2 - i, split })));
    // Vega's default colours follow the order splits appear in, so test first, then train.
    const svg = await renderLossSvg(points(['test', 'train']), 'classify');
    expect(svg).toContain('mean cross-entropy (nats)');
    expect(svg).not.toContain('nats/token');
    const strokeOf = (split: string) => {
      const label = svg.indexOf(`>${split}</text>`);
      const symbol = svg.lastIndexOf('stroke="', label); // the legend symbol's line colour
      return svg.slice(symbol + 8, svg.indexOf('"', symbol + 8));
    };
    expect(strokeOf('train')).toBe('#4c78a8');
    expect(strokeOf('test')).toBe('#e45756');
  });
});
