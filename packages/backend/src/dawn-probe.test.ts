import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { probeDawn } from './dawn-probe.js';

const hasDawn = (() => {
  try {
    createRequire(import.meta.url).resolve('webgpu');
    return true;
  } catch {
    return false;
  }
})();
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');

describe.skipIf(!hasDawn || process.platform !== 'linux')('the Dawn probe (child process)', () => {
  it('names each attempt that found no adapter', async () => {
    const probe = await probeDawn([{ options: ['backend=d3d12'], request: {} }], process.env);
    expect(probe).toEqual({ found: false, failures: ['Dawn [backend=d3d12]: no adapter'] });
  });

  it("keeps Dawn's native warnings and a refused software adapter out of an `auto` process", async () => {
    // Dawn writes its warnings from C++ to the process's stderr, so only a separate process can
    // show what a user's terminal would get.
    const script = [
      `import { selectBackend } from ${JSON.stringify(join(pkg, 'src', 'index.ts'))};`,
      "const { tried } = await selectBackend('auto', { autoOrder: ['webgpu', 'node', 'cpu'] });",
      'console.log(JSON.stringify(tried));',
    ].join('\n');
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>(
      (resolve, reject) =>
        execFile(
          process.execPath,
          ['--import', 'tsx', '--input-type=module', '-e', script],
          { cwd: pkg, timeout: 500_000, env: { ...process.env, TFORMER_BACKEND: '' } },
          (error, out, err) => (error ? reject(error) : resolve({ stdout: out, stderr: err })),
        ),
    );
    const tried = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      name: string;
      error?: string;
    }[];
    const webgpu = tried.find((t) => t.name === 'webgpu');
    if (!webgpu?.error?.includes('only a software adapter')) return; // a real GPU, or no Dawn adapter
    expect(stderr).not.toMatch(/Warning|Vulkan/);
    // Mesa's OpenGL never loaded here, so a skipped `node` gives its own reason.
    const node = tried.find((t) => t.name === 'node');
    if (node?.error) expect(node.error).not.toMatch(/Mesa/);
  });
});
