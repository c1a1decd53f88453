import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppCliTest } from '@tformer/app-kit/testing';
import { describe, expect, it } from 'vitest';
import { tiny } from './fixtures/tiny.js';

/** The CLI run from source as a user would, on the wasm backend, and a folder for its runs. */
const translate = new AppCliTest('translate-test', new URL('./cli.ts', import.meta.url), {
  tiny,
});
const { work } = translate;

describe('translate CLI', () => {
  it('--help lists the commands, the shared flags and examples', () => {
    translate.expectHelp(
      ['train', 'resume', 'eval', 'translate'],
      ['--src', '--tgt', '--shared-vocab', '--schedule'],
    );
    expect(translate.run('translate', '--help').stdout).toMatch(
      /--batch-size <n> +sentences translated together .*\(default: 32\)/s,
    );
  });

  it('trains on the default task, then resumes, evaluates and translates from the run directory', async () => {
    const out = join(work, 'run');
    // cosine: its warmup (default 60) is cut to 3 steps, leaving one to decay over.
    const trained = await translate.expectTrains(out, '--schedule', 'cosine');
    expect(trained.stdout).toContain('digits → English number words');
    expect(trained.stdout).toMatch(
      /test BLEU \d+\.\d{2}, exact match \d+\.\d% \(4 held-out pairs, beam 2\)/,
    );
    expect(trained.stderr).toMatch(/train 4\/4 {2}loss \d+\.\d{4} {2}\d+ tok\/s/); // plain progress lines
    expect(readFileSync(join(out, 'test.hyp.txt'), 'utf8').split('\n')).toHaveLength(5);

    await translate.expectResumes(out, 4, 6);

    const evaluated = translate.run('eval', '--out', out, '--beams', '1');
    expect(evaluated.code).toBe(0);
    expect(evaluated.stdout).toMatch(/test BLEU \d+\.\d{2}, exact match .* beam 1\)/);

    const sentences = ['12', '4312', '7', '90210', '305'];
    const translated = translate.run('translate', '--out', out, '--batch-size', '2', ...sentences);
    expect(translated.code).toBe(0);
    // One line per sentence and nothing else (an untrained model may say anything).
    expect(translated.stdout.split('\n').slice(0, -1)).toHaveLength(5);
    // Batches of 2 (the last one short) print what one sentence at a time prints, line for line.
    const alone = translate.run('translate', '--out', out, '--batch-size', '1', ...sentences);
    expect(alone.code).toBe(0);
    expect(translated.stdout).toBe(alone.stdout);
  }, 600_000);

  // Each case: the file names (`.en`, `.de`), their contents, and the one line the error must be.
  const badPairs: [string, string, string, RegExp][] = [
    ['uneven', 'one\ntwo\nthree\n', 'eins\nzwei\n', /uneven\.en: 3 lines, but .*uneven\.de has 2/],
    ['gap', 'one\n\nthree\n', 'eins\nzwei\ndrei\n', /gap\.en:2: empty line/],
  ];
  it.each(badPairs)(
    'names the file (and line) of bad --src/--tgt files (%s), exit 2',
    (name, srcText, tgtText, message) => {
      const [src, tgt] = [join(work, `${name}.en`), join(work, `${name}.de`)];
      writeFileSync(src, srcText);
      writeFileSync(tgt, tgtText);
      translate.expectUserError(
        translate.run('train', '--src', src, '--tgt', tgt, '--out', join(work, 'bad')),
        message,
      );
    },
  );

  it('rejects a lone --src (exit 2)', () => {
    const src = join(work, 'lone.en');
    writeFileSync(src, 'one\n');
    const lone = translate.run('train', '--src', src);
    expect(lone.code).toBe(2);
    expect(lone.stderr).toMatch(/--src and --tgt: give both/);
  });

  it('trains with --valid and --test files and scores every test pair, long ones too', async () => {
    const words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
    const write = (name: string, numbers: string[]) => {
      writeFileSync(join(work, `${name}.num`), `${numbers.join('\n')}\n`);
      const said = numbers.map((n) => [...n].map((d) => words[Number(d)]).join(' '));
      writeFileSync(join(work, `${name}.words`), `${said.join('\n')}\n`);
    };
    write(
      'train',
      Array.from({ length: 24 }, (_, i) => String(i * 7)),
    );
    write('valid', ['5', '12']);
    // The last pair is longer than --max-tokens on both sides: kept, cut, and scored.
    write('test', ['3', '41', '98765432109876']);
    const out = join(work, 'files-run');
    const trained = translate.run(
      'train',
      ...['--src', join(work, 'train.num'), '--tgt', join(work, 'train.words')],
      ...['--valid', join(work, 'valid'), '--test', join(work, 'test')],
      ...['--max-tokens', '16', '--vocab-size', '256', '--steps', '2', '--out', out],
      ...tiny,
    );
    translate.expectSucceeded(trained);
    expect(trained.stdout).toContain('24 training pairs, 2 validation, 3 test');
    expect(trained.stdout).toMatch(/test: 1 of 3 pairs longer than --max-tokens 16, kept/);
    expect(trained.stdout).toMatch(/test BLEU \d+\.\d{2}, .*\(3 held-out pairs, beam 2\)/);
    expect(readFileSync(join(out, 'test.hyp.txt'), 'utf8').split('\n')).toHaveLength(4);
    expect(await translate.metricSplits(out)).toEqual(['test', 'train', 'val']); // evaluations on --valid
    const evaluated = translate.run('eval', '--out', out);
    expect(evaluated.stdout).toMatch(/\(3 held-out pairs/);
  }, 600_000);
});
