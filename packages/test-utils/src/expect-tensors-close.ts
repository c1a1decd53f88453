import type * as tf from '@tensorflow/tfjs-core';

export interface Tolerance {
  /** Absolute tolerance. Default 1e-5. */
  atol?: number;
  /** Relative tolerance, scaled by |expected|. Default 1e-4. */
  rtol?: number;
}

type Numeric = tf.Tensor | ArrayLike<number> | number[][] | number[][][] | number[][][][];

/**
 * Asserts |actual − expected| ≤ atol + rtol·|expected| elementwise (numpy's `allclose`), and equal
 * shapes when both are tensors. The failure names the first offending index and both values.
 * Tensors are read with `await t.data()` (never `dataSync()`), so suites also run on GPU backends:
 * always `await` it, and call it outside `tf.tidy` (use {@link tidyAsync} for a scope).
 */
export async function expectTensorsClose(
  actual: Numeric,
  expected: Numeric,
  { atol = 1e-5, rtol = 1e-4 }: Tolerance = {},
): Promise<void> {
  const shapeA = shapeOf(actual);
  const shapeE = shapeOf(expected);
  if (shapeA && shapeE && shapeA.join() !== shapeE.join()) {
    throw new Error(`shape mismatch: actual [${shapeA}] vs expected [${shapeE}]`);
  }
  const [a, e] = await Promise.all([flatten(actual), flatten(expected)]);
  if (a.length !== e.length)
    throw new Error(`size mismatch: actual ${a.length} vs expected ${e.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(a[i]! - e[i]!);
    const excess = diff - (atol + rtol * Math.abs(e[i]!));
    if (Number.isNaN(a[i]!) !== Number.isNaN(e[i]!) || excess > worstExcess) {
      worst = i;
      worstExcess = Number.isNaN(excess) ? Number.POSITIVE_INFINITY : excess;
    }
  }
  if (worst >= 0) {
    throw new Error(
      `tensors differ at flat index ${worst} of ${a.length}: actual ${a[worst]} vs expected ${e[worst]} ` +
        `(atol ${atol}, rtol ${rtol})`,
    );
  }
}

function isTensor(x: Numeric): x is tf.Tensor {
  return typeof (x as tf.Tensor).data === 'function' && Array.isArray((x as tf.Tensor).shape);
}

function shapeOf(x: Numeric): number[] | undefined {
  return isTensor(x) ? x.shape : undefined;
}

async function flatten(x: Numeric): Promise<ArrayLike<number>> {
  if (isTensor(x)) return (await x.data()) as ArrayLike<number>;
  if (Array.isArray(x)) return (x as unknown[]).flat(4) as number[];
  return x as ArrayLike<number>;
}
