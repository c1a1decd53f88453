import { describe, expect, it } from 'vitest';
import { confusionMatrix, formatConfusion } from './confusion.js';

describe('confusion matrix', () => {
  it('counts true × predicted and prints recall per true class', () => {
    const matrix = confusionMatrix([0, 1, 1, 2, 0], [0, 1, 2, 2, 1], 3);
    expect(matrix).toEqual([
      [1, 0, 0],
      [1, 1, 0],
      [0, 1, 1],
    ]);
    const text = formatConfusion(matrix, ['negative', 'neutral', 'positive']);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^true \\ predicted\s+negative\s+neutral\s+positive\s+recall$/);
    expect(lines[1]).toMatch(/^negative\s+1\s+0\s+0\s+100\.0%$/);
    expect(lines[3]).toMatch(/^positive\s+0\s+1\s+1\s+50\.0%$/);
  });
});
