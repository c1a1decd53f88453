/**
 * Float64 references for training losses, in plain loops, independent of tfjs.
 * Logits are row-major `[rows, cols]`; labels one per row.
 */

function logSoftmaxRow(
  x: ArrayLike<number>,
  offset: number,
  cols: number,
  temperature = 1,
): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < cols; c++) max = Math.max(max, x[offset + c]! / temperature);
  let sum = 0;
  for (let c = 0; c < cols; c++) sum += Math.exp(x[offset + c]! / temperature - max);
  const out = new Float64Array(cols);
  for (let c = 0; c < cols; c++) out[c] = x[offset + c]! / temperature - max - Math.log(sum);
  return out;
}

/**
 * Cross-entropy with label smoothing ε and an ignored label, mean over counted rows (0 if none):
 * ℓ = (1 − ε)·(−log p[y]) + ε·mean_c(−log p[c]).
 */
export function refCrossEntropy(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  rows: number,
  cols: number,
  { labelSmoothing = 0, ignoreIndex = -100 } = {},
): number {
  let total = 0;
  let count = 0;
  for (let r = 0; r < rows; r++) {
    if (labels[r] === ignoreIndex) continue;
    const logp = logSoftmaxRow(logits, r * cols, cols);
    let meanNeg = 0;
    for (let c = 0; c < cols; c++) meanNeg -= logp[c]! / cols;
    total += (1 - labelSmoothing) * -logp[labels[r]!]! + labelSmoothing * meanNeg;
    count++;
  }
  return count === 0 ? 0 : total / count;
}

/** Per-row KL(softmax(teacher/T) ‖ softmax(student/T)), for the rows where `keep[r]` is true. */
export function refKlDivergence(
  student: ArrayLike<number>,
  teacher: ArrayLike<number>,
  rows: number,
  cols: number,
  temperature = 1,
  keep: (row: number) => boolean = () => true,
): number {
  let total = 0;
  let count = 0;
  for (let r = 0; r < rows; r++) {
    if (!keep(r)) continue;
    const ls = logSoftmaxRow(student, r * cols, cols, temperature);
    const lt = logSoftmaxRow(teacher, r * cols, cols, temperature);
    for (let c = 0; c < cols; c++) total += Math.exp(lt[c]!) * (lt[c]! - ls[c]!);
    count++;
  }
  return count === 0 ? 0 : total / count;
}

/** Hinton et al.: α·T²·KL(soft teacher ‖ soft student) + (1 − α)·CE(student, labels). */
export function refDistillationLoss(
  student: ArrayLike<number>,
  teacher: ArrayLike<number>,
  labels: ArrayLike<number>,
  rows: number,
  cols: number,
  { temperature = 2, alpha = 0.5, ignoreIndex = -100 } = {},
): number {
  const kl = refKlDivergence(
    student,
    teacher,
    rows,
    cols,
    temperature,
    (r) => labels[r] !== ignoreIndex,
  );
  const ce = refCrossEntropy(student, labels, rows, cols, { ignoreIndex });
  return alpha * temperature * temperature * kl + (1 - alpha) * ce;
}

/** Mean of max(x, 0) − x·z + log(1 + e^(−|x|)), written as −[z·log σ(x) + (1 − z)·log(1 − σ(x))]. */
export function refBinaryCrossEntropy(
  logits: ArrayLike<number>,
  targets: ArrayLike<number>,
): number {
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    const p = 1 / (1 + Math.exp(-logits[i]!));
    total -= targets[i]! * Math.log(p) + (1 - targets[i]!) * Math.log(1 - p);
  }
  return total / logits.length;
}
