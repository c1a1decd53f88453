import { access, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type BackendOptions,
  type CommonOptions,
  createImportedRun,
  type HfCommands,
  type HfFolderOf,
  RunDir,
  UsageError,
  useSavedRun,
  writeFileAtomic,
} from '@tformer/app-kit';
import { saveHuggingFace } from '@tformer/model/node';
import { hfAddedTokens } from '@tformer/tokenizer';
import { loadSaved } from './commands.js';
import type { TranslateConfig } from './config.js';
import { BOS, EOS, loadVocabs, PAD, SPECIALS, saveVocabs, type Vocab } from './vocab.js';

const out = (text: string) => process.stdout.write(text);

/**
 * The run's own vocab.json, copied into the folder: import reads both sides from it (a folder
 * has one tokenizer.json, and a separate target vocabulary has no place there).
 */
export const HF_VOCAB_FILE = 'tformer-translate-vocab.json';

interface ExportFlags extends BackendOptions {
  out: string;
  to: string;
  format: 'hf';
}

/**
 * A translate vocabulary as a Hugging Face `tokenizer.json`: the byte-level BPE with every id
 * shifted up by three behind `<pad>` `<s>` `</s>` (ids 0, 1, 2, as the app's), and a post-processor
 * that ends each encoded sentence with `</s>`, as the app's sources end in EOS.
 */
export function vocabToHf(vocab: Vocab): object {
  const json = vocab.bpe.toJSON() as {
    added_tokens: { id: number }[];
    post_processor: object | null;
    model: { vocab: Record<string, number> };
  };
  const template = {
    type: 'TemplateProcessing',
    single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
    pair: [
      { Sequence: { id: 'A', type_id: 0 } },
      { SpecialToken: { id: '</s>', type_id: 0 } },
      { Sequence: { id: 'B', type_id: 0 } },
      { SpecialToken: { id: '</s>', type_id: 0 } },
    ],
    special_tokens: { '</s>': { id: '</s>', ids: [EOS], tokens: ['</s>'] } },
  };
  return {
    ...json,
    added_tokens: [
      ...hfAddedTokens([
        ['<pad>', PAD],
        ['<s>', BOS],
        ['</s>', EOS],
      ]),
      ...json.added_tokens.map((t) => ({ ...t, id: t.id + SPECIALS })),
    ],
    post_processor: json.post_processor
      ? { type: 'Sequence', processors: [json.post_processor, template] }
      : template,
    model: {
      ...json.model,
      vocab: Object.fromEntries(
        Object.entries(json.model.vocab).map(([k, id]) => [k, id + SPECIALS]),
      ),
    },
  };
}

/**
 * `export --format hf`: a run's saved model as a `MarianMTModel` folder (transformers'
 * `MarianMTModel.from_pretrained`), with tokenizer.json when the vocabulary is shared.
 */
export async function exportCommand(flags: ExportFlags): Promise<void> {
  const runDir = new RunDir(flags.out);
  await useSavedRun(
    flags,
    () => loadSaved(runDir),
    async ({ vocabs, model }) => {
      const shared = vocabs.src === vocabs.tgt;
      const files = await saveHuggingFace(flags.to, model, {
        specialTokenIds: { decoderStart: BOS, bos: BOS, eos: EOS },
        ...(shared
          ? {
              tokenizer: vocabToHf(vocabs.src),
              tokenizerConfig: { pad_token: '<pad>', bos_token: '<s>', eos_token: '</s>' },
            }
          : {}),
      });
      await writeFileAtomic(
        join(flags.to, HF_VOCAB_FILE),
        await readFile(join(runDir.path, 'vocab.json'), 'utf8'),
      );
      const c = model.config;
      out(
        `exported ${runDir.path} (EncoderDecoder ${c.numLayers}+${c.numDecoderLayers}×${c.numHeads}×${c.dModel}, ${model.parameterCount().toLocaleString('en')} parameters) to ${flags.to}: ${[...files, HF_VOCAB_FILE].join(', ')}\n` +
          `load it in Python: MarianMTModel.from_pretrained(${JSON.stringify(resolve(flags.to))})` +
          `${shared ? '' : ' (no tokenizer.json: source and target vocabularies differ)'}\n`,
      );
    },
  );
}

/**
 * `import`: a MarianMTModel folder that translate exported (its vocabulary file alongside), for
 * example after training on in PyTorch, as a run directory that `translate` and `eval` use.
 */
async function importRun(
  folder: string,
  flags: CommonOptions,
  loaded: HfFolderOf<'marian'>,
): Promise<void> {
  const { decoder_start_token_id: start, eos_token_id: eos } = loaded.config;
  if (start !== BOS || eos !== EOS) {
    throw new UsageError(
      `${folder}/config.json: decoder_start_token_id ${start} and eos_token_id ${eos}: translate's vocabulary has <s> = ${BOS} and </s> = ${EOS}`,
    );
  }
  await access(join(folder, HF_VOCAB_FILE)).catch(() => {
    throw new UsageError(
      `${folder}/${HF_VOCAB_FILE}: missing — translate imports folders it exported (its byte-level BPE), not SentencePiece Marian tokenizers`,
    );
  });
  const vocabs = await loadVocabs(folder, HF_VOCAB_FILE);
  const model = loaded.model.getConfig();
  if (vocabs.src.size !== model.srcVocabSize || vocabs.tgt.size !== model.tgtVocabSize) {
    throw new UsageError(
      `${folder}: the vocabulary has ${vocabs.src.size}/${vocabs.tgt.size} tokens, the model ${model.srcVocabSize}/${model.tgtVocabSize}`,
    );
  }
  const config: TranslateConfig = {
    app: 'translate',
    version: 1,
    data: null,
    corpus: `imported from ${folder}`,
    testSize: 100,
    maxTokens: model.maxLength,
    vocab: { bpeSize: vocabs.src.bpe.vocabSize, shared: vocabs.src === vocabs.tgt },
    model,
    train: {
      steps: 0,
      batchSize: 32,
      schedule: 'noam',
      learningRate: 2e-3,
      warmupSteps: 0,
      labelSmoothing: 0.1,
      weightDecay: 0.01,
      clipNorm: 1,
      evalEvery: 50,
      seed: flags.seed,
    },
    decode: { beams: 4, maxNewTokens: model.maxLength - 1, lengthPenalty: 1 },
  };
  const runDir = await createImportedRun(flags.out, config, loaded.model);
  await saveVocabs(runDir.path, vocabs);
  out(
    `imported ${folder} (marian, EncoderDecoder ${model.numLayers}+${model.numDecoderLayers}×${model.numHeads}×${model.dModel}, ${loaded.model.parameterCount().toLocaleString('en')} parameters) as run ${runDir.path}\n`,
  );
}

/** translate's `export` and `import`, for app-kit's `addHfCommands`. */
export const hfCommands: HfCommands<ExportFlags, CommonOptions, 'marian'> = {
  exportDescription: "a run's saved model as a Hugging Face MarianMTModel folder (transformers)",
  runFlag: '--out',
  formats: { description: 'output format', choices: ['hf'] },
  export: exportCommand,
  importDescription: 'a MarianMTModel folder exported by translate as a run directory',
  folderDescription: 'Hugging Face model folder with config.json, model.safetensors',
  importFormats: { app: 'translate', kind: 'a translation model', choices: ['marian'] },
  import: importRun,
};
