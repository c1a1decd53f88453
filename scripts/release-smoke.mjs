// Run by release-check.mjs inside the empty consumer project, against the installed tarballs:
// real work through the published code — the wasm binaries found inside the installed backend,
// gradients registered in plain Node, and AdamW steps on a Dense layer that must lower the loss.
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@tformer/backend';
import { Dense } from '@tformer/nn';
import { AdamW } from '@tformer/train';

const { name } = await selectBackend('wasm');
const dense = new Dense({ inputDim: 4, outputDim: 2, rng: 1 });
const optimizer = new AdamW(dense.namedParameters());
const x = tf.randomNormal([8, 4], 0, 1, 'float32', 2);
const loss = () => tf.mean(tf.square(dense.apply(x)));
const lossNow = async () => {
  const value = loss();
  const [v] = await value.data();
  value.dispose();
  return v;
};
const before = await lossNow();
for (let i = 0; i < 20; i++) {
  const { value, grads } = tf.variableGrads(loss);
  optimizer.step(grads, 0.05);
  tf.dispose([value, ...Object.values(grads)]);
}
const after = await lossNow();
if (!(after < before)) throw new Error(`loss did not fall: ${before} -> ${after}`);
console.log(
  `✓ AdamW trained a Dense layer on ${name} from the tarballs: loss ${before.toFixed(4)} -> ${after.toFixed(4)}`,
);
