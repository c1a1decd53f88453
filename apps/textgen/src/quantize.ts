import { copyFile, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  addBackendOptions,
  type BackendOptions,
  DataFileError,
  RunDir,
  startBackend,
} from '@tformer/app-kit';
import {
  CONFIG_FILE,
  DecoderLM,
  decodeModel,
  INT4_GROUP_SIZES,
  type QuantizationScheme,
  quantizationOf,
  WEIGHTS_FILE,
} from '@tformer/model';
import { saveQuantizedModel } from '@tformer/model/node';
import { type Command, Option } from 'commander';
import type { TextgenConfig } from './config.js';

const MODEL_DIR = 'model';
/** What a run directory needs besides its model to be evaluated, sampled or explained. */
const RUN_FILES = ['config.json', 'tokenizer.json'];

export interface QuantizeFlags extends BackendOptions {
  run: string;
  out: string;
  bits: '8' | '4';
  groupSize: '32' | '64' | '128';
}

const out = (text: string) => process.stdout.write(text);

/** `<run>/model` as bytes, decoded: a plain or already quantized DecoderLM. */
async function readRunModel(run: string): Promise<{ model: DecoderLM; bytes: number }> {
  const dir = join(run, MODEL_DIR);
  const read = (file: string) =>
    readFile(join(dir, file)).catch(() => {
      throw new DataFileError(join(dir, file), 'missing: is this a run directory made by `train`?');
    });
  const config = JSON.parse((await read(CONFIG_FILE)).toString('utf8')) as unknown;
  const weights = new Uint8Array(await read(WEIGHTS_FILE));
  if (quantizationOf(weights) !== undefined) {
    throw new DataFileError(dir, 'already quantized: quantize the float run it was made from');
  }
  const model = decodeModel(config, weights, dir);
  if (!(model instanceof DecoderLM)) {
    model.dispose();
    throw new DataFileError(dir, `expected a DecoderLM, got a ${model.constructor.name}`);
  }
  return { model, bytes: weights.length };
}

/**
 * `quantize`: a new run directory holding the run's model with int8 (per output channel) or
 * 4-bit (group-wise) Dense kernels and embeddings, and the run's config and tokenizer, so that
 * `eval`, `generate` and `explain` use it as they would the original.
 */
export async function quantizeCommand(flags: QuantizeFlags): Promise<void> {
  await startBackend(flags);
  const source = new RunDir(flags.run);
  await source.readConfig<TextgenConfig>(); // a clear error when --run is not a run directory
  const { model, bytes } = await readRunModel(flags.run);
  try {
    const scheme: QuantizationScheme = flags.bits === '8' ? 'int8' : 'int4';
    const target = await new RunDir(flags.out).create();
    for (const file of RUN_FILES) await copyFile(join(flags.run, file), join(target.path, file));
    await saveQuantizedModel(join(target.path, MODEL_DIR), model, {
      scheme,
      groupSize: Number(flags.groupSize),
    });
    const quantized = (await stat(join(target.path, MODEL_DIR, WEIGHTS_FILE))).size;
    const group = scheme === 'int4' ? `, groups of ${flags.groupSize}` : '';
    out(
      `${scheme}${group}: ${bytes.toLocaleString('en')} → ${quantized.toLocaleString('en')} bytes (${(bytes / quantized).toFixed(2)}× smaller)\nrun directory: ${target.shown}\n`,
    );
  } finally {
    model.dispose();
  }
}

export function addQuantizeCommand(program: Command, defaultRun: string): void {
  addBackendOptions(
    program
      .command('quantize')
      .description("a new run directory with the run's model weights in int8 or 4 bits"),
  )
    .option('--run <dir>', 'run directory made by train', defaultRun)
    .requiredOption('--out <dir>', 'the new run directory')
    .addOption(new Option('--bits <n>', 'bits per weight').choices(['8', '4']).default('8'))
    .addOption(
      new Option('--group-size <n>', '4-bit weights per scale, along the input dimension')
        .choices(INT4_GROUP_SIZES.map(String))
        .default('64'),
    )
    .action((flags: QuantizeFlags) => quantizeCommand(flags));
}
