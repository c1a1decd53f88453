import { DataFileError, holdOut } from '@tformer/app-kit';
import { createRng } from '@tformer/nn';
import { readImageFolder } from './png-folder.js';
import { drawShapes, type Image, SHAPE_CLASSES } from './shapes.js';

export interface ImageSet {
  train: Image[];
  /** The `--valid` images, or null: evaluations use the test images. */
  valid: Image[] | null;
  test: Image[];
  classes: string[];
  source: string;
}

/** Images of the generated default data set's training split. */
export const DEFAULT_TRAIN_IMAGES = 2000;

/** Where a run's images come from: `--data`, `--valid`, `--test` folders (null: not given). */
export interface ImageSources {
  dataPath: string | null;
  /** Absent in configs written before `--valid`/`--test`. */
  validPath?: string | null;
  testPath?: string | null;
}

/**
 * The run's images: the generated shapes (training and test drawn independently), or a class
 * folder tree whose images are shuffled (seeded) and split, `testSize` held out, unless `--test`
 * names a test folder; `--valid` a validation folder. Held-out folders must have the training
 * folder's class sub-folders ({@link DataFileError} otherwise).
 */
export async function loadImages(
  { dataPath, validPath = null, testPath = null }: ImageSources,
  size: number,
  testSize: number,
  seed: number,
): Promise<ImageSet> {
  if (dataPath === null) {
    const images = drawShapes(createRng(seed), DEFAULT_TRAIN_IMAGES + testSize, size);
    return {
      train: images.slice(0, DEFAULT_TRAIN_IMAGES),
      valid: null,
      test: images.slice(DEFAULT_TRAIN_IMAGES),
      classes: [...SHAPE_CLASSES],
      source: `generated: ${SHAPE_CLASSES.join(', ')} (${size}×${size} grayscale)`,
    };
  }
  const folder = await readImageFolder(dataPath, size);
  const heldOut = async (path: string | null) => {
    if (path === null) return null;
    const held = await readImageFolder(path, size);
    if (held.classes.join('\n') !== folder.classes.join('\n')) {
      throw new DataFileError(
        path,
        `classes ${held.classes.join(', ')} differ from --data's (${folder.classes.join(', ')}): a held-out folder needs the training folder's class sub-folders`,
      );
    }
    return held.images;
  };
  const [valid, test] = [await heldOut(validPath), await heldOut(testPath)];
  const split = test
    ? { train: folder.images, test }
    : holdOut(folder.images, { testSize, seed, source: dataPath, unit: 'images' });
  const held = [
    ...(validPath ? [`valid: ${validPath}`] : []),
    ...(testPath ? [`test: ${testPath}`] : []),
  ];
  return {
    ...split,
    valid,
    classes: folder.classes,
    source: `${dataPath} (${folder.classes.length} classes, resized to ${size}×${size} grayscale${held.length > 0 ? `; ${held.join(', ')}` : ''})`,
  };
}
