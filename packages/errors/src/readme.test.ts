import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/^```js\r?\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
const written: string[] = [];

/** Runs a README example (an .mjs file) beside the sources, as written. */
async function run(code: string, name: string): Promise<void> {
  const path = fileURLToPath(
    new URL(`./.readme-example-${process.pid}-${name}.mjs`, import.meta.url),
  );
  written.push(path);
  writeFileSync(path, code); // @tformer/errors resolves to the sources (vitest's alias)
  await import(/* @vite-ignore */ path);
}

afterAll(() => {
  for (const path of written) rmSync(path, { force: true });
});

it('has an example', () => {
  expect(blocks.length).toBeGreaterThan(0);
});

it.each(blocks.map((code, i) => [i + 1, code] as const))('example %i runs', async (i, code) => {
  await run(code, String(i));
});

it('a broken example fails', async () => {
  const broken = blocks[0]!.replace("'TFORMER_EXAMPLE_PARSE'", "'TFORMER_EXAMPLE_OTHER'");
  expect(broken).not.toBe(blocks[0]);
  await expect(run(broken, 'broken')).rejects.toThrow();
});
