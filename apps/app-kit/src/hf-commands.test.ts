import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DecoderLM } from '@tformer/model';
import { saveHuggingFace } from '@tformer/model/node';
import { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { startBackend } from './common-options.js';
import { addHfCommands, type HfFolderOf } from './hf-commands.js';

describe('addHfCommands import', () => {
  let folder: string;
  beforeAll(async () => {
    await startBackend({ backend: 'cpu' });
    folder = join(await mkdtemp(join(tmpdir(), 'hf-import-')), 'gpt2');
    const model = new DecoderLM(
      { vocabSize: 13, maxLength: 8, numLayers: 1, numHeads: 2, dModel: 8 },
      { rng: 1 },
    );
    await saveHuggingFace(folder, model);
    model.dispose();
  });

  /** The program of an app that imports `choices`, and the folders its `import` was handed. */
  function app(choices: ('gpt2' | 'vit')[]) {
    const made: HfFolderOf<'gpt2' | 'vit'>['format'][] = [];
    const program = new Command().exitOverride();
    addHfCommands(program, 'runs/demo', {
      exportDescription: 'export',
      runFlag: '--out',
      formats: { description: 'format', choices: ['hf'] },
      export: async () => {},
      importDescription: 'import',
      folderDescription: 'folder',
      importFormats: { app: 'demo', kind: 'an image classifier', choices },
      import: async (_folder, _flags, loaded) => {
        made.push(loaded.format);
      },
    });
    return { made, run: (...args: string[]) => program.parseAsync(args, { from: 'user' }) };
  }

  it('hands a folder of a format the app takes to the app, and disposes its model', async () => {
    const demo = app(['gpt2', 'vit']);
    const before = tf.memory().numTensors;
    await demo.run('import', folder, '--backend', 'cpu');
    expect(demo.made).toEqual(['gpt2']);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses another format in one usage error naming the folder, its format and what the app takes, and disposes its model', async () => {
    const demo = app(['vit']);
    const before = tf.memory().numTensors;
    await expect(demo.run('import', folder, '--backend', 'cpu')).rejects.toThrow(
      `${folder}: a gpt2 folder is not an image classifier (demo imports vit)`,
    );
    expect(demo.made).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
