import { readFile, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  addBackendOptions,
  type BackendOptions,
  DataFileError,
  parseInteger,
  startBackend,
  UsageError,
} from '@tformer/app-kit';
import {
  attentionMaps,
  attentionRollout,
  bertvizJson,
  type HtmlSection,
  integratedGradients,
  logitLens,
  renderHeatmapSvg,
  renderHtmlPage,
} from '@tformer/interpret';
import { CONFIG_FILE, DecoderLM, decodeModel, WEIGHTS_FILE } from '@tformer/model';
import { type Command, Option } from 'commander';
import { loadTokenizer } from './tokenizers.js';

/** The figures `explain` can draw; an `.svg` output holds one of them, an `.html` page all. */
export const EXPLAIN_FIGURES = ['attention', 'rollout', 'saliency', 'lens'] as const;
export type ExplainFigure = (typeof EXPLAIN_FIGURES)[number];

export interface ExplainFlags extends BackendOptions {
  run: string;
  prompt: string;
  out: string;
  figure: ExplainFigure;
  layer?: number;
  steps: number;
}

const out = (text: string) => process.stdout.write(text);

/** Reads `<run>/model` as bytes and decodes it (works with any `@tformer/model` entry layout). */
async function loadRunModel(run: string): Promise<DecoderLM> {
  const dir = join(run, 'model');
  const read = (file: string) =>
    readFile(join(dir, file)).catch(() => {
      throw new DataFileError(join(dir, file), 'missing: is this a run directory made by `train`?');
    });
  const config = JSON.parse((await read(CONFIG_FILE)).toString('utf8')) as unknown;
  const model = decodeModel(config, new Uint8Array(await read(WEIGHTS_FILE)), dir);
  if (!(model instanceof DecoderLM)) {
    model.dispose();
    throw new DataFileError(dir, `expected a DecoderLM, got a ${model.constructor.name}`);
  }
  model.eval();
  return model;
}

async function rows(t: tf.Tensor): Promise<number[][]> {
  return ((await t.array()) as number[][][])[0]!;
}

/**
 * `explain`: what the saved model of a run does with a prompt — attention per layer (heads
 * averaged, and each head), attention rollout, integrated-gradients saliency of the predicted next
 * token, and the logit lens — as an HTML page, one SVG figure, or bertviz JSON (by `--out`'s
 * extension).
 */
export async function explainCommand(flags: ExplainFlags): Promise<void> {
  const format = extname(flags.out).toLowerCase();
  if (!['.html', '.svg', '.json'].includes(format)) {
    throw new UsageError(`--out: expected a .html, .svg or .json file, got '${flags.out}'`);
  }
  await startBackend(flags);
  const tokenizer = await loadTokenizer(flags.run);
  const model = await loadRunModel(flags.run);
  const all = tokenizer.encode(flags.prompt);
  if (all.length === 0) {
    throw new UsageError(
      `--prompt: ${JSON.stringify(flags.prompt)} has no token in this model's vocabulary`,
    );
  }
  const kept = all.slice(-model.config.maxLength);
  const tokens = kept.map((id) => tokenizer.decode([id]));
  const ids = tf.tensor2d([kept], [1, kept.length], 'int32');
  const L = model.config.numLayers;
  const layer = flags.layer ?? L - 1;
  if (!(Number.isInteger(layer) && layer >= 0 && layer < L)) {
    throw new UsageError(`--layer: expected an integer in [0, ${L - 1}], got ${flags.layer}`);
  }
  const maps = attentionMaps(model, ids);
  try {
    const weights = maps.select(/attn\.weights$/);
    if (format === '.json') {
      await writeFile(flags.out, JSON.stringify(await bertvizJson({ attention: weights, tokens })));
      out(
        `wrote ${flags.out}: bertviz head_view JSON, ${L} layers × ${model.config.numHeads} heads × ${tokens.length}² (tokens + attention[layer][1][head][T][T])\n`,
      );
      return;
    }
    const sections: HtmlSection[] = [];
    const want = (f: ExplainFigure) => format === '.html' || flags.figure === f;
    if (want('attention')) {
      for (let l = 0; l < L; l++) {
        if (format === '.svg' && l !== layer) continue;
        const mean = tf.mean(weights[l]!, 1);
        sections.push({
          heading: `layer ${l}: attention, heads averaged`,
          svg: renderHeatmapSvg(await rows(mean), {
            rowLabels: tokens,
            colLabels: tokens,
            title: `blocks.${l}.attn.weights (mean of ${model.config.numHeads} heads): row = query, column = key`,
          }),
        });
        mean.dispose();
        if (format === '.html') {
          const perHead = (await weights[l]!.array()) as number[][][][];
          perHead[0]!.forEach((head, h) => {
            sections.push({
              heading: `layer ${l}, head ${h}`,
              svg: renderHeatmapSvg(head, { rowLabels: tokens, colLabels: tokens, cellSize: 14 }),
            });
          });
        }
      }
    }
    if (want('rollout')) {
      const rollout = attentionRollout(weights);
      sections.push({
        heading: 'attention rollout',
        svg: renderHeatmapSvg(await rows(rollout), {
          rowLabels: tokens,
          colLabels: tokens,
          title: 'attention rollout (Abnar & Zuidema 2020), residual weight 0.5',
        }),
        caption:
          'How much each position (row) draws on each earlier position (column) through all layers.',
      });
      rollout.dispose();
    }
    if (want('saliency')) {
      const logits = model.apply(ids);
      const next = tf.tidy(() =>
        tf.argMax(tf.slice(logits, [0, kept.length - 1, 0], [1, 1, -1]), -1),
      );
      const token = (await next.data())[0]!;
      tf.dispose([logits, next]);
      const ig = await integratedGradients(model, ids, { token }, { steps: flags.steps });
      const attribution = (await ig.attributions.array())[0]!;
      ig.attributions.dispose();
      sections.push({
        heading: 'saliency: integrated gradients',
        svg: renderHeatmapSvg([attribution], {
          colLabels: tokens,
          rowLabels: [`→ ${tokenizer.decode([token])}`],
          diverging: true,
          cellSize: 26,
          title: `integrated gradients of the logit of the predicted next token ${JSON.stringify(tokenizer.decode([token]))} (${flags.steps} steps)`,
        }),
        caption: `Red: the token raises that logit; blue: lowers it. Σ = f(x) − f(0) up to ${ig.delta[0]!.toExponential(1)}.`,
      });
    }
    if (want('lens')) {
      const lens = await logitLens(model, ids, { topK: 1 });
      sections.push({
        heading: 'logit lens',
        svg: renderHeatmapSvg(
          lens.top.map((layerTop) => layerTop.map((k) => k[0]!.prob)),
          {
            rowLabels: lens.layers,
            colLabels: tokens,
            cellText: lens.top.map((layerTop) =>
              layerTop.map((k) => tokenizer.decode([k[0]!.token])),
            ),
            cellSize: 26,
            range: [0, 1],
            title: 'logit lens: top next token read from each layer (colour = its probability)',
          },
        ),
        caption:
          'Each row applies the final LayerNorm and the unembedding to the residual stream after that block.',
      });
    }
    const text =
      format === '.svg'
        ? sections[0]!.svg
        : renderHtmlPage(`explain: ${JSON.stringify(flags.prompt)}`, sections);
    await writeFile(flags.out, text);
    out(`wrote ${flags.out}: ${sections.map((s) => s.heading).join('; ')}\n`);
  } finally {
    maps.dispose();
    ids.dispose();
    model.dispose();
  }
}

/** Registers `explain` on the app's program. */
export function addExplainCommand(program: Command, defaultRun: string): void {
  addBackendOptions(
    program
      .command('explain')
      .description(
        "attention maps, rollout, saliency and logit lens of a run's saved model on a prompt",
      ),
  )
    .option('--run <dir>', 'run directory made by train', defaultRun)
    .requiredOption('--prompt <text>', 'text to explain (the last maxLength tokens)')
    .requiredOption(
      '--out <file>',
      'output: .html (every figure), .svg (one figure) or .json (bertviz)',
    )
    .addOption(
      new Option('--figure <name>', 'the figure of an .svg output')
        .choices([...EXPLAIN_FIGURES])
        .default('attention'),
    )
    .option(
      '--layer <n>',
      'layer of an .svg attention figure (default: the last)',
      parseInteger('--layer', 0),
    )
    .option('--steps <n>', 'integrated-gradients steps', parseInteger('--steps', 1), 32)
    .action((flags: ExplainFlags) => explainCommand(flags));
}
