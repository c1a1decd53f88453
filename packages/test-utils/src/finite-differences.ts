/**
 * Central finite differences ∂f/∂x_i ≈ (f(x + h·e_i) − f(x − h·e_i)) / 2h, evaluated in float64.
 * `f` must not keep `x`: it is mutated in place and restored.
 */
export function numericGradient(
  f: (x: Float64Array) => number,
  x: Float64Array,
  h = 1e-5,
): Float64Array {
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const saved = x[i]!;
    x[i] = saved + h;
    const plus = f(x);
    x[i] = saved - h;
    const minus = f(x);
    x[i] = saved;
    grad[i] = (plus - minus) / (2 * h);
  }
  return grad;
}
