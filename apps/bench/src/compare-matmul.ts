/**
 * The rank-2 matmul rate of the current tfjs backend, the denominator of model-FLOPs
 * utilisation in `compare.ts`: `[768, 128] @ [128, 512]` (the `baby` MLP's up-projection at
 * batch 12, the model's largest product), 3 warm-up products, then the fastest of 30 timed ones,
 * each awaited: on a shared machine the fastest is the rate the backend gives when the load lets
 * it, and a probe slowed by a neighbour would otherwise inflate MFU past 1.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * GFLOP/s of one backend's matmul, measured now.
 *
 * @param engine the tfjs namespace to time (gpt-tfjs passes its own `@tensorflow/tfjs`, which
 *   shares tformer's engine but is a different module object)
 * @example
 * const gflops = await matmulGflops(); // e.g. 20 on wasm (1 thread)
 */
export async function matmulGflops(engine: typeof tf = tf): Promise<number> {
  const [m, k, n] = [768, 128, 512];
  const a = engine.randomNormal([m, k]);
  const b = engine.randomNormal([k, n]);
  const seconds: number[] = [];
  for (let i = 0; i < 33; i++) {
    const t0 = performance.now();
    const c = engine.matMul(a, b);
    await c.data();
    if (i >= 3) seconds.push((performance.now() - t0) / 1000);
    c.dispose();
  }
  engine.dispose([a, b]);
  return (2 * m * k * n) / Math.min(...seconds) / 1e9;
}
