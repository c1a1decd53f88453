/**
 * textgen's tokenizers as Hugging Face tokenizer.json, and the scale-out round trip: a tformer
 * model exported as a folder, trained 20 steps by `torchrun --nproc_per_node=2` with DDP (gloo on
 * CPU, interop/python/train_ddp.py), and imported back with PyTorch's logits. The Python part runs
 * where TFORMER_INTEROP_PYTHON names a Python with torch and transformers (`bash
 * scripts/interop/setup-venv.sh` prints one; .ci/run sets it) and is skipped otherwise.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@tformer/backend';
import { DecoderLM } from '@tformer/model';
import { loadHuggingFace, saveHuggingFace } from '@tformer/model/node';
import { BpeTrainer, CharTokenizer } from '@tformer/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenizerFromHf, tokenizerToHf } from './hf.js';

const PYTHON = process.env.TFORMER_INTEROP_PYTHON;
const DDP_SCRIPT = fileURLToPath(new URL('../../../interop/python/train_ddp.py', import.meta.url));
if (!PYTHON) {
  console.log(
    'hf.test.ts: the torchrun round trip is SKIPPED: TFORMER_INTEROP_PYTHON is not set (run `bash scripts/interop/setup-venv.sh` and set it to the printed INTEROP_PYTHON)',
  );
}

/** A small generated corpus with structure a tiny model starts to learn in 20 steps. */
const TEXT = Array.from(
  { length: 600 },
  (_, i) =>
    `${['the cat', 'a dog', 'my fox'][i % 3]} ${['sat', 'ran', 'hid'][(i % 5) % 3]} on the mat ${i % 4}.\n`,
).join('');

let work = '';
beforeAll(async () => {
  await selectBackend('cpu');
  work = await mkdtemp(join(tmpdir(), 'textgen-hf-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('Hugging Face tokenizer.json', () => {
  it('a char tokenizer maps to a BPE without merges and back, same ids', () => {
    const tok = CharTokenizer.fromCorpus('héllo wörld\n🙂', { unknown: 'skip' });
    const json = tokenizerToHf(tok) as { model: { vocab: Record<string, number>; merges: [] } };
    expect(json.model.merges).toEqual([]);
    expect(json.model.vocab['🙂']).toBe(tok.encode('🙂')[0]);
    const back = tokenizerFromHf(JSON.parse(JSON.stringify(json)));
    expect(back).toBeInstanceOf(CharTokenizer);
    expect(back.encode('wörld 🙂 hé!')).toEqual(tok.encode('wörld 🙂 hé!'));
    expect(back.vocabSize).toBe(tok.vocabSize);
  });

  it('a byte-level BPE is its own toJSON', () => {
    const bpe = new BpeTrainer({ vocabSize: 280 }).train(TEXT);
    const back = tokenizerFromHf(JSON.parse(JSON.stringify(tokenizerToHf(bpe))));
    expect(back.encode('the cat ran on the mat 3.')).toEqual(
      bpe.encode('the cat ran on the mat 3.'),
    );
  });
});

describe('scale-out on PyTorch', () => {
  it.skipIf(!PYTHON)(
    'torchrun --nproc_per_node=2 trains 20 DDP steps (loss falls); the folder imports back with equal logits',
    async () => {
      const dataFile = join(work, 'input.txt');
      await writeFile(dataFile, TEXT);
      const tokenizer = CharTokenizer.fromCorpus(TEXT, { unknown: 'skip' });
      const model = new DecoderLM(
        {
          vocabSize: tokenizer.vocabSize,
          maxLength: 32,
          numLayers: 2,
          numHeads: 2,
          dModel: 32,
          useBias: false,
        },
        { rng: 0 },
      );
      const exported = join(work, 'hf');
      await saveHuggingFace(exported, model, { tokenizer: tokenizerToHf(tokenizer) });
      model.dispose();
      const trained = join(work, 'hf-ddp');
      await promisify(execFile)(
        PYTHON!,
        [
          '-m',
          'torch.distributed.run',
          '--standalone',
          '--nproc_per_node=2',
          DDP_SCRIPT,
          '--folder',
          exported,
          '--data',
          dataFile,
          '--out',
          trained,
          '--steps',
          '20',
          '--block-size',
          '32',
          '--batch-size',
          '8',
        ],
        { timeout: 170_000 },
      );
      const log = JSON.parse(await readFile(join(trained, 'train_log.json'), 'utf8'));
      expect(log).toMatchObject({ processes: 2, backend: 'gloo', steps: 20 });
      // transformers' tokenizer (the Rust library) splits the text as ours does.
      expect(log.textIdsHead).toEqual(tokenizer.encode(TEXT).slice(0, 64));
      expect(log.valLossAfter).toBeLessThan(log.valLossBefore - 0.5);

      const before = tf.memory().numTensors;
      const loaded = await loadHuggingFace(trained);
      if (loaded.format !== 'gpt2') throw new Error(`expected a gpt2 folder, got ${loaded.format}`);
      expect(tokenizerFromHf(loaded.tokenizer!).encode(TEXT.slice(0, 200))).toEqual(
        tokenizer.encode(TEXT.slice(0, 200)),
      );
      const ids = tf.tensor2d(log.probeIds as number[][], undefined, 'int32');
      const logits = loaded.model.apply(ids);
      const ours = await logits.data();
      const theirs = (log.probeLogits as number[][][]).flat(2);
      expect(ours.length).toBe(theirs.length);
      let diff = 0;
      for (let i = 0; i < theirs.length; i++)
        diff = Math.max(diff, Math.abs(ours[i]! - theirs[i]!));
      expect(diff).toBeLessThanOrEqual(1e-4);
      tf.dispose([ids, logits]);
      loaded.model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    },
  );
});
