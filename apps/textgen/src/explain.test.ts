import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliFromSource } from '@tformer/app-kit/testing';
import { selectBackend } from '@tformer/backend';
import { CONFIG_FILE, DecoderLM, encodeModel, WEIGHTS_FILE } from '@tformer/model';
import { beforeAll, describe, expect, it } from 'vitest';
import { saveTokenizer, trainTokenizer } from './tokenizers.js';

const textgen = cliFromSource(new URL('./cli.ts', import.meta.url));
const run = mkdtempSync(join(tmpdir(), 'textgen-explain-'));

/** `explain` of "the fox" by the model in `run`, written to `out` (with `flags`). */
const explainFox = (out: string, ...flags: string[]) =>
  textgen('explain', '--run', run, '--prompt', 'the fox', '--out', out, ...flags);

describe('textgen explain', () => {
  beforeAll(async () => {
    // A tiny run directory as `train` leaves it: tokenizer.json and model/ (untrained weights).
    await selectBackend('cpu');
    const tokenizer = trainTokenizer('char', 'the quick brown fox\n', 0);
    await saveTokenizer(run, tokenizer);
    const model = new DecoderLM(
      { vocabSize: tokenizer.vocabSize, maxLength: 16, numLayers: 2, numHeads: 2, dModel: 16 },
      { rng: 1 },
    );
    const { config, weights } = await encodeModel(model);
    mkdirSync(join(run, 'model'));
    writeFileSync(join(run, 'model', CONFIG_FILE), JSON.stringify(config));
    writeFileSync(join(run, 'model', WEIGHTS_FILE), weights);
    model.dispose();
  });

  it('writes an HTML page with attention per layer and head, rollout, saliency and logit lens', () => {
    const out = join(run, 'explain.html');
    const result = explainFox(out, '--steps', '4');
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`wrote ${out}`);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    for (const heading of [
      'layer 0: attention, heads averaged',
      'layer 1, head 1',
      'attention rollout',
      'saliency: integrated gradients',
      'logit lens',
    ]) {
      expect(html).toContain(`<h2>${heading}</h2>`);
    }
    expect(html.match(/<svg /g)!.length).toBe(2 * 3 + 3); // per layer: mean + 2 heads; 3 more
  });

  it('writes one SVG figure, or bertviz JSON, by the extension', () => {
    for (const figure of ['attention', 'rollout', 'saliency', 'lens']) {
      const out = join(run, `${figure}.svg`);
      const result = explainFox(out, '--figure', figure, '--steps', '4');
      expect(result.code).toBe(0);
      expect(readFileSync(out, 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>$/);
    }
    const out = join(run, 'attention.json');
    expect(explainFox(out).code).toBe(0);
    const json = JSON.parse(readFileSync(out, 'utf8')) as {
      tokens: string[];
      attention: number[][][][][];
    };
    expect(json.tokens).toEqual([...'the fox']);
    expect(json.attention.length).toBe(2); // layers
    expect(json.attention[0]![0]!.length).toBe(2); // [1][heads]
    expect(json.attention[0]![0]![0]!.map((row) => row.length)).toEqual(Array(7).fill(7));
  });

  it('rejects an output it cannot write and a run without a model', () => {
    const bad = textgen('explain', '--run', run, '--prompt', 'x', '--out', join(run, 'out.png'));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--out: expected a .html, .svg or .json file');
    const empty = mkdtempSync(join(tmpdir(), 'textgen-empty-'));
    const missing = textgen(
      'explain',
      '--run',
      empty,
      '--prompt',
      'x',
      '--out',
      join(empty, 'a.svg'),
    );
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/tokenizer\.json|missing/);
  });
});
