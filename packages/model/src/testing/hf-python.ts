/**
 * The Python side of the Hugging Face interop tests (hf-python.test.ts, hf-marian-vit-python.test.ts):
 * `interop/python/hf_check.py` loads the exported folders with transformers, runs them, trains one
 * step and saves them back. Runs only with `TFORMER_INTEROP_PYTHON` set (a venv with torch and
 * transformers: `bash scripts/interop/setup-venv.sh` makes one); the tests skip otherwise.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect } from 'vitest';

export const PYTHON = process.env.TFORMER_INTEROP_PYTHON;
const SCRIPT = fileURLToPath(new URL('../../../../interop/python/hf_check.py', import.meta.url));
const run = promisify(execFile);

/** What a test file hands hf_check.py. */
export interface RoundTrip {
  /** The test file, named in the line that says it is skipped. */
  file: string;
  /** Prefix of the temporary folder. */
  prefix: string;
  /** How many models. */
  count: number;
  /** Saves model `k` as a Hugging Face folder `dir`. */
  save: (dir: string, k: number) => Promise<void>;
  /** hf_check.py's jobs: the folders it reads, and those it saves the trained models back to. */
  jobs: (folders: string[], back: string[]) => object[];
  /** hf_check.py's arguments beside `--jobs` and `--out`. */
  args: string[];
}

/** Python's answers for one export: the weights it read, its results, the folders it saved. */
export interface PythonAnswers<R> {
  weights: Buffer[];
  results: R[];
  back: string[];
}

/**
 * Registers the temporary folder of `trip` (call at the top of a test file) and returns what
 * exports every model on a backend and runs hf_check.py on them. Python runs once, on the first
 * backend; its answers are reused while the exported bytes are the same.
 */
export function pythonRoundTrip<R>(
  trip: RoundTrip,
): (backend: string) => Promise<PythonAnswers<R>> {
  if (!PYTHON) {
    console.log(
      `${trip.file} SKIPPED: TFORMER_INTEROP_PYTHON is not set (run \`bash scripts/interop/setup-venv.sh\` and set it to the printed INTEROP_PYTHON)`,
    );
  }
  let work = '';
  let answers: PythonAnswers<R> | undefined;
  beforeAll(async () => {
    if (PYTHON) work = await mkdtemp(join(tmpdir(), trip.prefix));
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });
  return async (backend) => {
    const folders = Array.from({ length: trip.count }, (_, k) => join(work, `${backend}-${k}`));
    const weights: Buffer[] = [];
    for (const [k, dir] of folders.entries()) {
      await trip.save(dir, k);
      weights.push(await readFile(join(dir, 'model.safetensors')));
    }
    if (answers?.weights.every((w, k) => w.equals(weights[k]!))) return answers;
    const back = folders.map((dir) => `${dir}-back`);
    const jobs = join(work, `${backend}-jobs.json`);
    const out = join(work, `${backend}-results.json`);
    await writeFile(jobs, JSON.stringify(trip.jobs(folders, back)));
    await run(PYTHON!, [SCRIPT, '--jobs', jobs, '--out', out, ...trip.args], { timeout: 300_000 });
    answers = { weights, back, results: JSON.parse(await readFile(out, 'utf8')) };
    return answers;
  };
}

/** The largest |ours − theirs| over Python's nested logits (flattened; the lengths must agree). */
export function maxDiff(ours: Float32Array, theirs: readonly unknown[]): number {
  const flat = theirs.flat(3) as number[];
  expect(flat.length).toBe(ours.length);
  let m = 0;
  for (let i = 0; i < flat.length; i++) m = Math.max(m, Math.abs(ours[i]! - flat[i]!));
  return m;
}
