/** `matrix[true][predicted]` counts over `numClasses` classes. */
export function confusionMatrix(
  predictions: readonly number[],
  labels: readonly number[],
  numClasses: number,
): number[][] {
  const matrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  labels.forEach((label, i) => {
    matrix[label]![predictions[i]!]!++;
  });
  return matrix;
}

/**
 * The matrix as a text table: one row per true class, one column per predicted class, with the
 * class names as headers (cut to 12 characters) and each row's recall at the end.
 */
export function formatConfusion(
  matrix: readonly (readonly number[])[],
  names: readonly string[],
): string {
  const short = names.map((n) => (n.length > 12 ? `${n.slice(0, 11)}…` : n));
  const width = Math.max(
    6,
    ...short.map((n) => n.length),
    ...matrix.flat().map((c) => String(c).length),
  );
  const nameWidth = Math.max(...short.map((n) => n.length), 'true \\ predicted'.length);
  const cell = (s: string) => s.padStart(width);
  const lines = [
    `${'true \\ predicted'.padEnd(nameWidth)}  ${short.map(cell).join('  ')}  recall`,
    ...matrix.map((row, i) => {
      const total = row.reduce((a, b) => a + b, 0);
      const recall = total === 0 ? '—' : `${((100 * row[i]!) / total).toFixed(1)}%`;
      return `${short[i]!.padEnd(nameWidth)}  ${row.map((c) => cell(String(c))).join('  ')}  ${recall.padStart(6)}`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}
