import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
const written: string[] = [];

/** Writes a README example (an .mjs file) next to the sources and runs it as written. */
async function run(code: string, name: string): Promise<void> {
  const path = `${here}.readme-example-${name}.mjs`;
  written.push(path);
  writeFileSync(path, code); // @tformer/tokenizer resolves to the sources (vitest's alias)
  await import(/* @vite-ignore */ `${path}?t=${Date.now()}`);
}

afterAll(() => {
  for (const p of written) rmSync(p, { force: true });
});

describe('README', () => {
  it('has a js example for every tokenizer and trainer', () => {
    const all = blocks.join('\n');
    for (const name of [
      'BytePairTokenizer',
      'CharTokenizer',
      'WordPieceTokenizer',
      'BpeTrainer',
      'WordPieceTrainer',
    ]) {
      expect(all).toContain(name);
    }
  });

  it.each(blocks.map((code, i) => [i + 1, code] as const))(
    'example %i runs as written',
    async (i, code) => {
      await run(code, String(i));
    },
  );

  it('a broken example fails', async () => {
    const broken = blocks[0]!.replace('[15339, 1917]', '[15339, 1918]');
    expect(broken).not.toBe(blocks[0]);
    await expect(run(broken, 'broken')).rejects.toThrow(/deep/i);
  });
});
