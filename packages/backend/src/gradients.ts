let registered: Promise<void> | undefined;

/**
 * tfjs-core's Node bundle registers no gradient functions, so `tf.grad` fails with "gradient
 * function not found" unless something registers them. Every backend start goes through here.
 */
export function ensureGradients(): Promise<void> {
  registered ??= import('@tensorflow/tfjs-core/dist/register_all_gradients.js').then(() => undefined);
  return registered;
}
