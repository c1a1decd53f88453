import { runReadmeExamples } from '@tformer/test-utils';
import { expect, it } from 'vitest';

it('README examples run as written', async () => {
  expect(await runReadmeExamples(new URL('../README.md', import.meta.url))).toBeGreaterThan(0);
});
