import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The bodies of the ```js fenced blocks of a markdown text, in order: the README examples, plain
 * ES-module JavaScript that runs unchanged as an `.mjs` file in Node (```ts blocks, types only,
 * are not run). scripts/readme-examples.mjs runs the same blocks against the packed tarballs.
 */
export function extractJsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```js\r?\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
}

/**
 * Runs every ```js block of a package README as its own module, through vitest, so that
 * `@tformer/*` imports resolve to the workspace sources and a broken example fails the test.
 * Each block is written beside the package's sources for the run and removed afterwards.
 *
 * @example
 * ```ts
 * it('README examples run as written', () => runReadmeExamples(new URL('../README.md', import.meta.url)));
 * ```
 */
export async function runReadmeExamples(readme: URL | string): Promise<number> {
  const path = readme instanceof URL ? fileURLToPath(readme) : readme;
  const blocks = extractJsBlocks(readFileSync(path, 'utf8'));
  if (blocks.length === 0) throw new Error(`${path}: no \`\`\`js example to run`);
  for (const [i, code] of blocks.entries()) {
    const file = join(dirname(path), 'src', `.readme-example-${process.pid}-${i}.mjs`);
    writeFileSync(file, code);
    try {
      await import(/* @vite-ignore */ pathToFileURL(file).href);
    } catch (error) {
      throw new Error(
        `${path}: example ${i + 1} of ${blocks.length} failed: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    } finally {
      unlinkSync(file);
    }
  }
  return blocks.length;
}
