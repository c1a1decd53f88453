import type { Rng } from '@tformer/nn';

export const SHAPE_CLASSES = ['circle', 'cross', 'square', 'triangle'] as const;

/** A grayscale image: `size × size` pixels in [0, 1], row-major. */
export interface Image {
  pixels: Float32Array;
  label: number;
}

/**
 * Is (x, y) — relative to the shape's centre, in units of its half-size — inside the shape?
 * All four have about the same area at the same size, so brightness alone does not tell them apart.
 */
const INSIDE: Record<(typeof SHAPE_CLASSES)[number], (x: number, y: number) => boolean> = {
  circle: (x, y) => x * x + y * y <= 1,
  cross: (x, y) =>
    (Math.abs(x) <= 0.3 && Math.abs(y) <= 1) || (Math.abs(y) <= 0.3 && Math.abs(x) <= 1),
  square: (x, y) => Math.abs(x) <= 0.85 && Math.abs(y) <= 0.85,
  // Pointing up: the base at y = 1, the apex at y = −1 (image rows grow downwards).
  triangle: (x, y) => y <= 1 && y >= -1 && Math.abs(x) <= (y + 1) / 2,
};

/**
 * One image of the default data set: a shape of random class, size and position, drawn in a
 * random brightness on a darker background, with Gaussian pixel noise. Each pixel is sampled at
 * 4 × 4 sub-pixels so edges are anti-aliased like a real photo of a drawing.
 */
export function drawShape(rng: Rng, size: number): Image {
  const label = Math.floor(rng.uniform() * SHAPE_CLASSES.length);
  const inside = INSIDE[SHAPE_CLASSES[label]!];
  const half = rng.uniform(0.2, 0.42) * size; // half-size in pixels
  const cx = rng.uniform(half, size - half);
  const cy = rng.uniform(half, size - half);
  const background = rng.uniform(0, 0.3);
  const foreground = rng.uniform(0.6, 1);
  const noise = rng.uniform(0.02, 0.12);
  const pixels = new Float32Array(size * size);
  const sub = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let covered = 0;
      for (let sy = 0; sy < sub; sy++) {
        for (let sx = 0; sx < sub; sx++) {
          const x = (px + (sx + 0.5) / sub - cx) / half;
          const y = (py + (sy + 0.5) / sub - cy) / half;
          if (inside(x, y)) covered++;
        }
      }
      const value = background + (foreground - background) * (covered / (sub * sub));
      pixels[py * size + px] = Math.min(1, Math.max(0, value + rng.normal(0, noise)));
    }
  }
  return { pixels, label };
}

/** `count` generated images of `size × size`. */
export function drawShapes(rng: Rng, count: number, size: number): Image[] {
  return Array.from({ length: count }, () => drawShape(rng, size));
}

/** An image as text (for logs and tests): darker to brighter. */
export function asciiArt(pixels: Float32Array, size: number): string {
  const ramp = ' .:-=+*#%@';
  const rows: string[] = [];
  for (let y = 0; y < size; y++) {
    let row = '';
    for (let x = 0; x < size; x++)
      row += ramp[Math.min(ramp.length - 1, Math.floor(pixels[y * size + x]! * ramp.length))];
    rows.push(row);
  }
  return rows.join('\n');
}
