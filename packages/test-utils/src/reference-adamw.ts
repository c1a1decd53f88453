/** Float64 state of one parameter under Adam/AdamW: value, first and second moments. */
export interface RefAdamState {
  param: Float64Array;
  m: Float64Array;
  v: Float64Array;
}

/**
 * One Adam step in float64, as in Loshchilov & Hutter (2019), Algorithm 2, with PyTorch's
 * placement of ε: p ← p·(1 − lr·λ) − lr·m̂ / (√v̂ + ε) for decoupled decay (AdamW), or
 * g ← g + λ·p before the moments for coupled L2 decay (Adam). `t` is the 1-based step.
 * Mutates and returns `state`.
 */
export function refAdamStep(
  state: RefAdamState,
  grad: ArrayLike<number>,
  t: number,
  { lr = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weightDecay = 0, decoupled = true } = {},
): RefAdamState {
  const bc1 = 1 - beta1 ** t;
  const bc2 = 1 - beta2 ** t;
  for (let i = 0; i < state.param.length; i++) {
    const g = grad[i]! + (decoupled ? 0 : weightDecay * state.param[i]!);
    state.m[i] = beta1 * state.m[i]! + (1 - beta1) * g;
    state.v[i] = beta2 * state.v[i]! + (1 - beta2) * g * g;
    const mHat = state.m[i]! / bc1;
    const vHat = state.v[i]! / bc2;
    if (decoupled) state.param[i] = state.param[i]! * (1 - lr * weightDecay);
    state.param[i] = state.param[i]! - (lr * mHat) / (Math.sqrt(vHat) + epsilon);
  }
  return state;
}
