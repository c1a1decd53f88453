import { join } from 'node:path';
import {
  addCommonOptions,
  addStepOptions,
  type CommonOptions,
  MODEL_DIR,
  parseInteger,
  parseNumber,
  RunDir,
  type StepFlags,
  startBackend,
  trainSettingsOf,
} from '@tformer/app-kit';
import type { DecoderLM, DecoderLMConfig } from '@tformer/model';
import { loadModel, saveModel } from '@tformer/model/node';
import { distillationLoss } from '@tformer/train';
import type { Command } from 'commander';
import { tokensOf, withCurrentNames } from './commands.js';
import type { TextgenConfig } from './config.js';
import { nextTokenLoss, type TensorBatch, TextgenRun, validationLoss } from './run.js';
import { loadTokenizer, saveTokenizer } from './tokenizers.js';

export interface DistillFlags extends CommonOptions, StepFlags {
  teacher: string;
  layers: number;
  heads: number;
  dModel: number;
  lr: number;
  evalEvery: number;
  evalBatches: number;
  temperature: number;
  alpha: number;
}

/** A distilled run's `config.json`: a textgen run's, plus where its soft targets came from. */
export interface DistillConfig extends TextgenConfig {
  distill: { teacher: string; temperature: number; alpha: number };
}

const out = (text: string) => process.stdout.write(text);

/** The student: the teacher's vocabulary, context and options, at the flags' smaller size. */
function studentConfig(teacher: TextgenConfig, flags: DistillFlags): DistillConfig {
  const { dFF: _teacherWidth, numKeyValueHeads: _teacherKv, ...shared } = teacher.model;
  const model: DecoderLMConfig = {
    ...shared,
    numLayers: flags.layers,
    numHeads: flags.heads,
    dModel: flags.dModel,
  };
  return {
    ...teacher,
    model,
    // The teacher's weight decay and clipping; the flags' steps, rate and evaluations.
    train: {
      ...teacher.train,
      ...trainSettingsOf(flags, teacher.train),
      evalBatches: flags.evalBatches,
    },
    distill: { teacher: flags.teacher, temperature: flags.temperature, alpha: flags.alpha },
  };
}

/**
 * `distill`: trains a new, smaller model on the teacher run's data and tokenizer with the
 * knowledge-distillation loss α·T²·KL(teacher_T ‖ student_T) + (1 − α)·CE. The teacher's logits
 * are computed on the fly for each batch (its forward pass is outside the gradients: only the
 * student's parameters are differentiated). Validation loss is plain next-token cross-entropy,
 * comparable with any run's.
 */
export async function distillCommand(flags: DistillFlags): Promise<void> {
  await startBackend(flags);
  const teacherRun = new RunDir(flags.teacher);
  const teacherConfig = withCurrentNames(await teacherRun.readConfig<TextgenConfig>());
  const tokenizer = await loadTokenizer(teacherRun.path);
  const teacher = (await loadModel(join(teacherRun.path, MODEL_DIR))) as DecoderLM;
  teacher.eval();
  const config = studentConfig(teacherConfig, flags);
  const runDir = await new RunDir(flags.out).create();
  await runDir.writeConfig(config);
  await saveTokenizer(runDir.path, tokenizer);
  const tokens = await tokensOf(config, tokenizer);
  const options = { temperature: flags.temperature, alpha: flags.alpha };
  const loss = (student: DecoderLM, batch: TensorBatch) =>
    student.training
      ? distillationLoss(
          student.apply(batch.inputs),
          teacher.apply(batch.inputs),
          batch.targets,
          options,
        )
      : nextTokenLoss(student, batch);
  const run = new TextgenRun(config, runDir, tokens, loss);
  try {
    const teacherLoss = await validationLoss(teacher, config, tokens.val);
    out(
      `teacher: ${teacher.parameterCount().toLocaleString('en')} parameters, validation loss ${teacherLoss.toFixed(4)}\nstudent: DecoderLM ${flags.layers}×${flags.heads}×${flags.dModel}, ${run.model.parameterCount().toLocaleString('en')} parameters; T ${flags.temperature}, α ${flags.alpha}\n`,
    );
    const started = performance.now();
    await run.fit();
    const seconds = (performance.now() - started) / 1000;
    out(
      `\nstudent validation loss ${(await run.validationLoss()).toFixed(4)} nats/token after ${config.train.steps} steps, ${seconds.toFixed(1)} s\n`,
    );
    await saveModel(join(runDir.path, MODEL_DIR), run.model);
    await runDir.writeLossPlot(`textgen distill: ${config.corpus}`);
    out(`run directory: ${runDir.shown}\n`);
  } finally {
    run.dispose();
    teacher.dispose();
  }
}

export function addDistillCommand(program: Command): void {
  const distill = addCommonOptions(
    program
      .command('distill')
      .description("train a smaller student on a run's data, matching its softened predictions"),
    'runs/textgen-student',
  ).requiredOption('--teacher <dir>', 'run directory of the teacher (made by train)');
  addStepOptions(distill, { steps: 400, batchSize: 16, unit: 'windows' })
    .option('--layers <n>', 'student Transformer blocks', parseInteger('--layers', 1), 2)
    .option('--heads <n>', 'student attention heads', parseInteger('--heads', 1), 2)
    .option('--d-model <n>', 'student model width', parseInteger('--d-model', 1), 64)
    .option('--lr <rate>', 'peak learning rate', parseNumber('--lr', 0, 1), 3e-3)
    .option('--eval-every <n>', 'evaluate every n steps', parseInteger('--eval-every', 1), 100)
    .option('--eval-batches <n>', 'validation batches', parseInteger('--eval-batches', 1), 4)
    .option(
      '--temperature <t>',
      'softmax temperature of the soft targets',
      parseNumber('--temperature', 0, 100),
      2,
    )
    .option(
      '--alpha <a>',
      'weight of the soft (teacher) term; 1 − α weighs the labels',
      parseNumber('--alpha', 0, 1),
      0.5,
    )
    .action((flags: DistillFlags) => distillCommand(flags));
}
