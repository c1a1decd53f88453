import { expect, it } from 'vitest';
import { runReadmeExamples } from './index.js';

it('README examples run as written', async () => {
  expect(await runReadmeExamples(new URL('../README.md', import.meta.url))).toBeGreaterThan(0);
});
