import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliFromSource } from '@tformer/app-kit/testing';
import { describe, expect, it } from 'vitest';

const work = mkdtempSync(join(tmpdir(), 'textgen-hf-cli-'));
const textgen = cliFromSource(new URL('./cli.ts', import.meta.url));
const corpus = join(work, 'corpus.txt');
writeFileSync(corpus, Array.from({ length: 300 }, (_, i) => `row ${i % 5}: a b c\n`).join(''));
const run = join(work, 'run');
const PYTHON = process.env.TFORMER_INTEROP_PYTHON;

describe('textgen export --format hf / import', () => {
  it('exports a run as a Hugging Face folder and imports it back: same greedy text', () => {
    const trained = textgen(
      'train',
      '--data',
      corpus,
      '--out',
      run,
      '--steps',
      '4',
      '--layers',
      '1',
      '--heads',
      '2',
      '--d-model',
      '16',
      '--block-size',
      '16',
      '--batch-size',
      '4',
      '--eval-batches',
      '1',
      '--sample-tokens',
      '4',
    );
    expect(trained.code, trained.stderr).toBe(0);
    const hf = join(work, 'hf');
    const exported = textgen('export', '--run', run, '--format', 'hf', '--to', hf);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(
      /to .*hf: model\.safetensors, tokenizer\.json, tokenizer_config\.json, generation_config\.json, config\.json/,
    );
    const config = JSON.parse(readFileSync(join(hf, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      model_type: 'gpt2',
      n_layer: 1,
      n_embd: 16,
      activation_function: 'gelu',
    });

    const back = join(work, 'back');
    const imported = textgen('import', hf, '--out', back, '--data', corpus);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/imported .* \(gpt2, DecoderLM 1×2×16, .* char tokenizer\)/);
    const greedy = (dir: string) =>
      textgen(
        'generate',
        '--out',
        dir,
        '--prompt',
        'row 1',
        '--temperature',
        '0',
        '--sample-tokens',
        '24',
      );
    const a = greedy(run);
    const b = greedy(back);
    expect(a.code, a.stderr).toBe(0);
    expect(b.stdout).toBe(a.stdout);
  }, 480_000); // six CLI runs from source

  it('--format onnx: the folder plus model.onnx from PyTorch, or a clear error without Python', () => {
    const bad = textgen(
      'export',
      '--run',
      run,
      '--format',
      'onnx',
      '--to',
      join(work, 'x'),
      '--python',
      join(work, 'no-python'),
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(
      /--format onnx: python .*no-python: not found \(bash scripts\/interop\/setup-venv.sh --onnx/,
    );
    expect(existsSync(join(work, 'x'))).toBe(false);
    if (!PYTHON) {
      console.log(
        'export --format onnx SKIPPED: TFORMER_INTEROP_PYTHON is not set (bash scripts/interop/setup-venv.sh --onnx)',
      );
      return;
    }
    const onnx = join(work, 'onnx');
    const exported = textgen('export', '--run', run, '--format', 'onnx', '--to', onnx);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(
      /wrote .*model\.onnx \(GPT2LMHeadModel, ids \[batch, seq <= 16\] -> logits\)/,
    );
    expect(existsSync(join(onnx, 'model.onnx'))).toBe(true);
    expect(existsSync(join(onnx, 'tokenizer.json'))).toBe(true);
  });

  it('fails in one line naming what does not map or is missing', () => {
    const missing = textgen('import', join(work, 'nowhere'), '--out', join(work, 'x'));
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/nowhere\/config\.json: missing/);
  });
});
