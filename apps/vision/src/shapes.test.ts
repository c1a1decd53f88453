import { createRng } from '@tformer/nn';
import { describe, expect, it } from 'vitest';
import { drawShape, drawShapes, SHAPE_CLASSES } from './shapes.js';

describe('generated shapes', () => {
  it('draws every class, pixels in [0, 1], the same images for the same seed', () => {
    const images = drawShapes(createRng(2), 200, 16);
    for (let label = 0; label < SHAPE_CLASSES.length; label++)
      expect(images.filter((i) => i.label === label).length).toBeGreaterThan(25);
    for (const image of images) {
      expect(image.pixels).toHaveLength(256);
      expect(Math.min(...image.pixels)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...image.pixels)).toBeLessThanOrEqual(1);
    }
    expect(drawShapes(createRng(2), 200, 16)).toEqual(images);
  });

  it('draws a shape brighter than its background', () => {
    const { pixels } = drawShape(createRng(9), 24);
    const sorted = [...pixels].sort((a, b) => a - b);
    // The brightest tenth (the shape) is well above the darkest half (the background).
    expect(
      sorted[Math.floor(0.95 * sorted.length)]! - sorted[Math.floor(0.3 * sorted.length)]!,
    ).toBeGreaterThan(0.3);
  });
});
