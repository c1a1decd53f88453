import { DataFileError } from '@tformer/app-kit';
import { createRng } from '@tformer/nn';
import { readImageFolder } from './png-folder.js';
import { drawShapes, type Image, SHAPE_CLASSES } from './shapes.js';

export interface ImageSet {
  train: Image[];
  test: Image[];
  classes: string[];
  source: string;
}

/** Images of the generated default data set's training split. */
export const DEFAULT_TRAIN_IMAGES = 2000;

/**
 * The run's images: the generated shapes (training and test drawn independently), or a class
 * folder tree whose images are shuffled (seeded) and split, `testSize` held out.
 */
export async function loadImages(
  dataPath: string | null,
  size: number,
  testSize: number,
  seed: number,
): Promise<ImageSet> {
  if (dataPath === null) {
    const images = drawShapes(createRng(seed), DEFAULT_TRAIN_IMAGES + testSize, size);
    return {
      train: images.slice(0, DEFAULT_TRAIN_IMAGES),
      test: images.slice(DEFAULT_TRAIN_IMAGES),
      classes: [...SHAPE_CLASSES],
      source: `generated: ${SHAPE_CLASSES.join(', ')} (${size}×${size} grayscale)`,
    };
  }
  const folder = await readImageFolder(dataPath, size);
  if (folder.images.length <= testSize) {
    throw new DataFileError(
      dataPath,
      `${folder.images.length} images: need more than --test-size ${testSize} to train and test`,
    );
  }
  // Shuffled before the split: files are grouped by class, and a tail of one class would make a
  // useless test split.
  const rng = createRng(seed);
  const images = [...folder.images];
  for (let i = images.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [images[i], images[j]] = [images[j]!, images[i]!];
  }
  const cut = images.length - testSize;
  return {
    train: images.slice(0, cut),
    test: images.slice(cut),
    classes: folder.classes,
    source: `${dataPath} (${folder.classes.length} classes, resized to ${size}×${size} grayscale)`,
  };
}
