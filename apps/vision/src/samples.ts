import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@tformer/app-kit';
import { createRng } from '@tformer/nn';
import { encodePng } from './png-folder.js';
import { drawShapes, SHAPE_CLASSES } from './shapes.js';

/**
 * Writes `count` generated shapes as PNG files in `folder/<class>/NNNN.png` — the layout `--data`
 * reads — so the folder path and `predict` can be tried without a data set at hand.
 */
export async function writeSamples(folder: string, count: number, size: number, seed: number) {
  await Promise.all(SHAPE_CLASSES.map((name) => mkdir(join(folder, name), { recursive: true })));
  const images = drawShapes(createRng(seed), count, size);
  for (const [i, image] of images.entries()) {
    const file = join(folder, SHAPE_CLASSES[image.label]!, `${String(i).padStart(4, '0')}.png`);
    await writeFileAtomic(file, encodePng(image.pixels, size));
  }
  process.stdout.write(
    `wrote ${count} ${size}×${size} PNG images to ${join(folder, `{${SHAPE_CLASSES.join(',')}}`)}/\n`,
  );
}
