import * as tf from '@tensorflow/tfjs-core';
import { assertNoLeaks } from './assert-no-leaks.js';
import { expectTensorsClose, type Tolerance } from './expect-tensors-close.js';
import { numericGradients, randomFloats, refDot } from './nn-reference.js';

export interface LayerCheck {
  /** The tfjs computation, given one float32 tensor per entry of `inputs`. */
  forward: (inputs: tf.Tensor[]) => tf.Tensor;
  /**
   * The float64 reference, given `inputs`' values followed by the values of `variables`
   * (as flat arrays), returning the flat output.
   */
  reference: (values: Float64Array[]) => Float64Array;
  /** Inputs with their shapes; values should be float32-exact (see `randomFloats`). */
  inputs: { values: Float64Array; shape: number[] }[];
  /** Parameters read by `forward`, checked with `tf.variableGrads`. */
  variables?: tf.Variable[];
  /** Indices of `inputs` to differentiate (default: all). */
  differentiate?: number[];
  /** Forward tolerance (default atol 1e-5, rtol 1e-4). */
  forwardTolerance?: Tolerance;
  /** Gradient tolerance (default atol 2e-3, rtol 2e-3). */
  gradTolerance?: Tolerance;
  /** Step of the central differences (default 1e-6). */
  h?: number;
  /** Seed of the random cotangent R of the loss sum(out · R). */
  seed?: number;
}

/**
 * Checks a layer against its float64 reference: the forward values, then the gradients of the
 * scalar loss sum(out · R) (R random) with respect to the inputs (`tf.grads`) and the variables
 * (`tf.variableGrads`) against central finite differences of the reference. Fails if the
 * forward or the backward pass leaks a tensor.
 */
export async function checkLayer(check: LayerCheck): Promise<void> {
  const variables = check.variables ?? [];
  const inputValues = check.inputs.map((i) => Float64Array.from(i.values));
  const variableValues = await Promise.all(
    variables.map(async (v) => Float64Array.from(await v.data())),
  );
  const expected = check.reference([...inputValues, ...variableValues]);
  const cotangent = randomFloats(expected.length, check.seed ?? 97);
  const differentiate = check.differentiate ?? check.inputs.map((_, i) => i);
  await assertNoLeaks(async () => {
    const inputs = check.inputs.map((i) =>
      tf.tensor(Float32Array.from(i.values), i.shape, 'float32'),
    );
    const out = check.forward(inputs);
    await expectTensorsClose(out, expected, check.forwardTolerance);
    const r = tf.tensor(Float32Array.from(cotangent), out.shape, 'float32');
    const loss = (xs: tf.Tensor[]) => tf.sum(tf.mul(check.forward(xs), r)) as tf.Scalar;
    const numeric = numericGradients(
      (values) => refDot(check.reference(values), cotangent),
      [...inputValues, ...variableValues],
      check.h,
    );
    const tol = check.gradTolerance ?? { atol: 2e-3, rtol: 2e-3 };
    const owned: tf.Tensor[] = [...inputs, out, r];
    try {
      if (differentiate.length > 0) {
        const grads = tf.grads((...xs: tf.Tensor[]) => {
          const all = inputs.slice();
          differentiate.forEach((d, k) => {
            all[d] = xs[k]!;
          });
          return loss(all);
        })(differentiate.map((d) => inputs[d]!));
        owned.push(...grads);
        for (const [k, d] of differentiate.entries()) {
          await expectTensorsClose(grads[k]!, numeric[d]!, tol);
        }
      }
      if (variables.length > 0) {
        const { value, grads } = tf.variableGrads(() => loss(inputs), variables);
        owned.push(value, ...Object.values(grads));
        for (const [k, v] of variables.entries()) {
          const g = grads[v.name];
          if (!g) throw new Error(`no gradient for variable ${k} (${v.name})`);
          await expectTensorsClose(g, numeric[inputValues.length + k]!, tol);
        }
      }
    } finally {
      tf.dispose(owned);
    }
  });
}
