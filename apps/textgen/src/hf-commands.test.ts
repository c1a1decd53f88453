import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppCliTest } from '@tformer/app-kit/testing';
import { describe, expect, it } from 'vitest';
import { tiny } from './fixtures/tiny.js';

const app = new AppCliTest('textgen-hf-cli', new URL('./cli.ts', import.meta.url), { tiny });
const { work, run: textgen } = app;
const corpus = join(work, 'corpus.txt');
writeFileSync(corpus, Array.from({ length: 300 }, (_, i) => `row ${i % 5}: a b c\n`).join(''));
const run = join(work, 'run');
const PYTHON = process.env.TFORMER_INTEROP_PYTHON;

describe('textgen export --format hf / import', () => {
  it('exports a run as a Hugging Face folder and imports it back: same greedy text', async () => {
    await app.expectTrains(run, '--data', corpus);
    app.expectHfRoundTrip({
      run,
      exportArgs: ['--run', run, '--format', 'hf'],
      files:
        /to .*hf: model\.safetensors, tokenizer\.json, tokenizer_config\.json, generation_config\.json, config\.json/,
      config: { model_type: 'gpt2', n_layer: 1, n_embd: 16, activation_function: 'gelu' },
      importArgs: ['--data', corpus],
      imported: /imported .* \(gpt2, DecoderLM 1×2×16, .* char tokenizer\)/,
      command: (dir) => [
        'generate',
        '--out',
        dir,
        '--prompt',
        'row 1',
        '--temperature',
        '0',
        '--sample-tokens',
        '24',
      ],
    });
  }, 900_000); // six CLI runs from source: a hang detector, sized for a loaded 2-core machine

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
    app.expectImportNamesMissingFolder();
  });
});
