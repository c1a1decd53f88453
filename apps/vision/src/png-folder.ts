import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataFileError, fileError, statPath } from '@tformer/app-kit';
import { PNG } from 'pngjs';
import type { Image } from './shapes.js';

/** The 8 bytes every PNG file starts with. */
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Images of a class folder tree, and the class names (sorted sub-folder names). */
export interface ImageFolder {
  images: Image[];
  classes: string[];
  /** The PNG file of each image, in order. */
  files: string[];
}

/**
 * Decodes one PNG as grayscale (ITU-R BT.601 luma, alpha composited on black), resized to
 * `size × size` by area averaging (or nearest pixel when enlarging). A file that is not a PNG or
 * cannot be decoded is a {@link DataFileError} naming it.
 */
export async function readPng(file: string, size: number): Promise<Float32Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw fileError(error, file);
  }
  // pngjs reports a text file as "unrecognised content at end of stream": say what it is instead.
  if (!bytes.subarray(0, 8).equals(PNG_SIGNATURE))
    throw new DataFileError(file, 'not a PNG image (it does not start with the PNG signature)');
  let png: PNG;
  try {
    png = PNG.sync.read(bytes);
  } catch (error) {
    throw new DataFileError(file, `not a readable PNG image (${(error as Error).message})`);
  }
  const { width, height, data } = png; // RGBA, 8 bits per channel after decoding
  const gray = new Float32Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const alpha = data[4 * i + 3]! / 255;
    const luma = 0.299 * data[4 * i]! + 0.587 * data[4 * i + 1]! + 0.114 * data[4 * i + 2]!;
    gray[i] = (luma / 255) * alpha;
  }
  return resize(gray, width, height, size);
}

/** Area-average resize of a grayscale image to `size × size` (each output pixel averages its box). */
function resize(pixels: Float32Array, width: number, height: number, size: number): Float32Array {
  if (width === size && height === size) return pixels;
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    const y0 = Math.floor((y * height) / size);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * height) / size));
    for (let x = 0; x < size; x++) {
      const x0 = Math.floor((x * width) / size);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * width) / size));
      let sum = 0;
      for (let yy = y0; yy < y1; yy++)
        for (let xx = x0; xx < x1; xx++) sum += pixels[yy * width + xx]!;
      out[y * size + x] = sum / ((y1 - y0) * (x1 - x0));
    }
  }
  return out;
}

/**
 * Reads `folder/<class>/*.png`: each sub-folder is a class. Hidden entries (`.DS_Store`) are
 * skipped; any other file that is not a readable PNG, a missing folder, a folder without class
 * sub-folders and a class folder without images are {@link DataFileError}s naming the path.
 */
export async function readImageFolder(folder: string, size: number): Promise<ImageFolder> {
  const info = await statPath(folder);
  if (!info) throw new DataFileError(folder, 'no such folder');
  if (!info.isDirectory())
    throw new DataFileError(folder, 'not a folder: expected <folder>/<class>/*.png');
  const entries = (await readdirOrFail(folder)).filter((e) => !e.name.startsWith('.'));
  const classes = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  if (classes.length === 0)
    throw new DataFileError(folder, 'empty: expected one sub-folder of PNG images per class');
  if (classes.length < 2)
    throw new DataFileError(
      folder,
      `only one class folder (${classes[0]}): need at least two classes`,
    );
  const images: Image[] = [];
  const files: string[] = [];
  for (const [label, name] of classes.entries()) {
    const dir = join(folder, name);
    const names = (await readdirOrFail(dir))
      .filter((e) => !e.name.startsWith('.') && !e.isDirectory())
      .map((e) => e.name)
      .sort();
    if (names.length === 0) throw new DataFileError(dir, 'no images in this class folder');
    for (const file of names) {
      const path = join(dir, file);
      images.push({ pixels: await readPng(path, size), label });
      files.push(path);
    }
  }
  return { images, classes, files };
}

/** Encodes a grayscale image (pixels in [0, 1]) as PNG bytes. */
export function encodePng(pixels: Float32Array, size: number): Buffer {
  const png = new PNG({ width: size, height: size });
  for (let i = 0; i < size * size; i++) {
    const v = Math.round(Math.min(1, Math.max(0, pixels[i]!)) * 255);
    png.data.set([v, v, v, 255], 4 * i);
  }
  return PNG.sync.write(png);
}

/** The entries of a folder; one that cannot be listed (EACCES) is a one-line error naming it. */
async function readdirOrFail(dir: string) {
  return readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
    throw fileError(error, dir);
  });
}
