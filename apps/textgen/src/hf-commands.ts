import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  type BackendOptions,
  type CommonOptions,
  createImportedRun,
  type HfCommands,
  type HfFolderOf,
  startBackend,
  UsageError,
} from '@tformer/app-kit';
import type { DecoderLM, DecoderLMFormat } from '@tformer/model';
import { loadModel, saveHuggingFace } from '@tformer/model/node';
import { CharTokenizer } from '@tformer/tokenizer';
import { Option } from 'commander';
import type { TextgenConfig } from './config.js';
import { tokenizerFromHf, tokenizerToHf } from './hf.js';
import { loadTokenizer, saveTokenizer } from './tokenizers.js';

const out = (text: string) => process.stdout.write(text);

interface ExportFlags extends BackendOptions {
  run: string;
  to: string;
  format: 'hf' | 'onnx';
  arch?: DecoderLMFormat;
  python?: string;
  onnxScript: string;
}

/** The repository's torch.onnx exporter (interop/python/export_onnx.py), from src/ or dist/. */
const ONNX_SCRIPT = fileURLToPath(
  new URL('../../../interop/python/export_onnx.py', import.meta.url),
);

interface ImportFlags extends CommonOptions {
  data?: string;
}

/**
 * `export --format hf`: a run's saved model and tokenizer as a Hugging Face folder that
 * transformers' `AutoModelForCausalLM.from_pretrained` and `AutoTokenizer.from_pretrained` load.
 * `--format onnx` writes that folder and then `model.onnx` in it (ids → logits), made by the
 * repository's Python tooling with PyTorch (`--python`, or $TFORMER_INTEROP_PYTHON).
 */
export async function exportCommand(flags: ExportFlags): Promise<void> {
  const python = flags.format === 'onnx' ? await checkOnnxTooling(flags) : undefined;
  await startBackend(flags);
  const runPath = flags.run;
  const tokenizer = await loadTokenizer(runPath);
  const model = (await loadModel(join(runPath, 'model'))) as DecoderLM;
  try {
    const files = await saveHuggingFace(flags.to, model, {
      format: flags.arch,
      tokenizer: tokenizerToHf(tokenizer),
    });
    const c = model.config;
    out(
      `exported ${runPath} (DecoderLM ${c.numLayers}×${c.numHeads}×${c.dModel}, ${model.parameterCount().toLocaleString('en')} parameters) to ${flags.to}: ${files.join(', ')}\n` +
        `load it in Python: AutoModelForCausalLM.from_pretrained(${JSON.stringify(resolve(flags.to))})\n`,
    );
  } finally {
    model.dispose();
  }
  if (python) {
    const onnx = join(flags.to, 'model.onnx');
    const { stdout } = await promisify(execFile)(
      python,
      [flags.onnxScript, '--folder', flags.to, '--out', onnx],
      { maxBuffer: 16 << 20 },
    ).catch((error: { stderr?: string; message: string }) => {
      const last = (error.stderr ?? error.message).trim().split('\n').at(-1);
      throw new UsageError(`--format onnx: ${flags.onnxScript} failed: ${last}`);
    });
    out(`${stdout.trim().split('\n').at(-1)} (onnxruntime-node or onnxruntime-web run it)\n`);
  }
}

/**
 * The Python that will run the ONNX exporter, checked before any work: it must exist and import
 * torch, transformers, onnx and onnxscript, and the script must be there.
 */
async function checkOnnxTooling(flags: ExportFlags): Promise<string> {
  const python = flags.python ?? process.env.TFORMER_INTEROP_PYTHON;
  const setup = 'bash scripts/interop/setup-venv.sh --onnx makes one';
  if (!python) {
    throw new UsageError(
      `--format onnx runs PyTorch's exporter: give --python <python> or set TFORMER_INTEROP_PYTHON (${setup})`,
    );
  }
  await access(flags.onnxScript).catch(() => {
    throw new UsageError(
      `--format onnx: ${flags.onnxScript} is missing (the tformer repository's interop/python/export_onnx.py; pass --onnx-script)`,
    );
  });
  const probe = 'import torch, transformers, onnx, onnxscript';
  await promisify(execFile)(python, ['-c', probe]).catch(
    (error: NodeJS.ErrnoException & { stderr?: string }) => {
      const why =
        error.code === 'ENOENT'
          ? 'not found'
          : (error.stderr ?? '').trim().split('\n').at(-1) || error.message;
      throw new UsageError(`--format onnx: python ${python}: ${why} (${setup})`);
    },
  );
  return python;
}

/**
 * `import`: a Hugging Face folder (GPT-2 or Llama architecture with a tokenizer.json that maps:
 * byte-level BPE or textgen's char form) as a textgen run directory, so that `generate` (and,
 * given `--data`, `eval`) work on it.
 */
async function importRun(
  folder: string,
  flags: ImportFlags,
  loaded: HfFolderOf<DecoderLMFormat>,
): Promise<void> {
  if (!loaded.tokenizer) {
    throw new UsageError(`${folder}: no tokenizer.json, which textgen needs to read text`);
  }
  const tokenizer = tokenizerFromHf(loaded.tokenizer);
  const model = loaded.model.getConfig();
  if (tokenizer.vocabSize > model.vocabSize) {
    throw new UsageError(
      `${folder}: tokenizer.json has ${tokenizer.vocabSize} tokens, more than vocab_size ${model.vocabSize}`,
    );
  }
  const config: TextgenConfig = {
    app: 'textgen',
    version: 1,
    dataPath: flags.data ?? null,
    corpus: flags.data ?? `imported from ${folder}`,
    tokenizer: {
      kind: tokenizer instanceof CharTokenizer ? 'char' : 'bpe',
      vocabSize: tokenizer.vocabSize,
    },
    model,
    train: {
      steps: 0,
      batchSize: 16,
      learningRate: 3e-3,
      warmupSteps: 0,
      weightDecay: 0.1,
      clipNorm: 1,
      evalEvery: 100,
      evalBatches: 4,
      seed: flags.seed,
    },
  };
  const runDir = await createImportedRun(flags.out, config, loaded.model);
  await saveTokenizer(runDir.path, tokenizer);
  out(
    `imported ${folder} (${loaded.format}, DecoderLM ${model.numLayers}×${model.numHeads}×${model.dModel}, ${loaded.model.parameterCount().toLocaleString('en')} parameters, ${config.tokenizer.kind} tokenizer) as run ${runDir.shown}\n`,
  );
}

/** textgen's `export` and `import`, for app-kit's `addHfCommands`. */
export const hfCommands: HfCommands<ExportFlags, ImportFlags, DecoderLMFormat> = {
  exportDescription:
    "a run's saved model and tokenizer as a Hugging Face folder (transformers, torchrun)",
  runFlag: '--run',
  formats: {
    description: 'hf, or onnx: the hf folder plus model.onnx (PyTorch)',
    choices: ['hf', 'onnx'],
  },
  exportOptions: (command) =>
    command
      .addOption(
        new Option(
          '--arch <name>',
          'transformers architecture (default: gpt2, llama for RoPE models)',
        ).choices(['gpt2', 'llama']),
      )
      .option(
        '--python <path>',
        'onnx: a Python with torch, transformers, onnx, onnxscript (default: $TFORMER_INTEROP_PYTHON)',
      )
      .option('--onnx-script <file>', 'onnx: the exporter script', ONNX_SCRIPT),
  export: exportCommand,
  importDescription:
    'a Hugging Face folder (gpt2 or llama) as a run directory that generate and eval use',
  folderDescription:
    'Hugging Face model folder with config.json, model.safetensors, tokenizer.json',
  importData: {
    flag: '--data <file>',
    description: 'the text file eval should read (default: none)',
  },
  importFormats: { app: 'textgen', kind: 'a language model', choices: ['gpt2', 'llama'] },
  import: importRun,
};
