/**
 * Float64 references for @tformer/embeddings, in plain loops, independent of tfjs and of the
 * package's own tables. Arrays are row-major; shapes are passed explicitly.
 */

/** PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(…), rows offset … offset+T−1. */
export function refSinusoidal(length: number, dim: number, offset = 0): Float64Array {
  const out = new Float64Array(length * dim);
  for (let t = 0; t < length; t++) {
    const pos = offset + t;
    for (let i = 0; 2 * i < dim; i++) {
      const angle = pos * Math.exp((-(2 * i) / dim) * Math.log(10000));
      out[t * dim + 2 * i] = Math.sin(angle);
      if (2 * i + 1 < dim) out[t * dim + 2 * i + 1] = Math.cos(angle);
    }
  }
  return out;
}

/** rows[n] = table[ids[n]] for `table` `[V, C]`. */
export function refGather(
  table: ArrayLike<number>,
  ids: ArrayLike<number>,
  dim: number,
): Float64Array {
  const out = new Float64Array(ids.length * dim);
  for (let n = 0; n < ids.length; n++) {
    for (let c = 0; c < dim; c++) out[n * dim + c] = table[ids[n]! * dim + c]!;
  }
  return out;
}

/**
 * RoPE on `[B, H, T, hs]` as a complex rotation: the pair (x[a], x[b]) is multiplied by
 * e^{i·pos·θ_k}, θ_k = base^(−2k/hs), where (a, b) = (k, k + hs/2) for `half` and
 * (2k, 2k+1) for `interleaved`. `offset` is the position of t = 0 for every row, or a function
 * giving the position of (batch row, t).
 */
export function refRope(
  x: ArrayLike<number>,
  shape: [number, number, number, number],
  offset: number | ((batch: number, t: number) => number),
  style: 'half' | 'interleaved',
  base = 10000,
): Float64Array {
  const [b, h, t, hs] = shape;
  const out = new Float64Array(x.length);
  for (let row = 0; row < b * h * t; row++) {
    const pos =
      typeof offset === 'number' ? offset + (row % t) : offset(Math.floor(row / (h * t)), row % t);
    for (let k = 0; k < hs / 2; k++) {
      const theta = pos * base ** ((-2 * k) / hs);
      const [ia, ib] = style === 'half' ? [k, k + hs / 2] : [2 * k, 2 * k + 1];
      const re = x[row * hs + ia]!;
      const im = x[row * hs + ib]!;
      out[row * hs + ia] = re * Math.cos(theta) - im * Math.sin(theta);
      out[row * hs + ib] = re * Math.sin(theta) + im * Math.cos(theta);
    }
  }
  return out;
}

/** ALiBi bias `[H, T, S]`: −slope_h·|(offset + t) − s|. */
export function refAlibi(
  slopes: readonly number[],
  t: number,
  s: number,
  offset: number,
): Float64Array {
  const out = new Float64Array(slopes.length * t * s);
  slopes.forEach((m, h) => {
    for (let i = 0; i < t; i++) {
      for (let j = 0; j < s; j++) out[(h * t + i) * s + j] = -m * Math.abs(offset + i - j);
    }
  });
  return out;
}

/**
 * Non-overlapping P×P patches of images `[B, H, W, C]` → `[B·N, P·P·C]`, patches in row-major
 * order, each flattened as (row, column, channel).
 */
export function refPatchify(
  images: ArrayLike<number>,
  [b, height, width, c]: [number, number, number, number],
  p: number,
): Float64Array {
  const ph = height / p;
  const pw = width / p;
  const out = new Float64Array(images.length);
  let k = 0;
  for (let n = 0; n < b; n++) {
    for (let i = 0; i < ph; i++) {
      for (let j = 0; j < pw; j++) {
        for (let dy = 0; dy < p; dy++) {
          for (let dx = 0; dx < p; dx++) {
            for (let ch = 0; ch < c; ch++) {
              out[k++] = images[((n * height + i * p + dy) * width + j * p + dx) * c + ch]!;
            }
          }
        }
      }
    }
  }
  return out;
}
