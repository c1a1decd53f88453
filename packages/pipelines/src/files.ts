// Reading the files a pipeline is built from — text, bytes or parsed objects, so that a browser
// (fetch, a file picker) and Node (fs) hand over the same things — into models and tokenizers.
import { decodeModel, type SavableModel } from '@tformer/model';
import {
  BytePairTokenizer,
  CharTokenizer,
  type Tokenizer,
  TokenizerError,
  WordPieceTokenizer,
} from '@tformer/tokenizer';
import { PipelineFileError } from './errors.js';

/** A JSON file: its text, its bytes, or the parsed value. */
export type JsonSource = string | Uint8Array | ArrayBuffer | object;
/** A binary file: its bytes. */
export type BytesSource = Uint8Array | ArrayBuffer;

/** A saved model: the two files `saveModel` writes (and the apps keep in a run's `model/`). */
export interface ModelFiles {
  /** The model's `config.json` (`{ format: 'tformer', className, config }`, or Hugging Face GPT-2's). */
  config: JsonSource;
  /** `model.safetensors`. */
  weights: BytesSource;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The parsed value of a JSON file given as text, bytes or a value. */
export function readJson(source: JsonSource | undefined, file: string): unknown {
  if (source === undefined || source === null) throw new PipelineFileError(file, 'missing');
  let text: string;
  if (typeof source === 'string') text = source;
  else if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
    try {
      text = utf8.decode(source);
    } catch (cause) {
      throw new PipelineFileError(file, 'not UTF-8 text', undefined, { cause });
    }
  } else return source;
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new PipelineFileError(file, `not valid JSON (${(cause as Error).message})`, undefined, {
      cause,
    });
  }
}

/** The bytes of a binary file. */
export function readBytes(source: BytesSource | undefined, file: string): Uint8Array {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  throw new PipelineFileError(
    file,
    source === undefined ? 'missing' : 'expected its bytes (a Uint8Array or ArrayBuffer)',
  );
}

/**
 * The model that `files` describe, which must be an instance of `type` (`DecoderLM` for text
 * generation, …). A model of another class is disposed and reported naming `className`.
 */
export function readModel<M extends SavableModel>(
  files: Partial<ModelFiles>,
  type: abstract new (...args: never[]) => M,
  task: string,
): M {
  const config = readJson(files.config, 'config.json');
  const weights = readBytes(files.weights, 'model.safetensors');
  const model = decodeModel(config, weights, 'model');
  if (!(model instanceof type)) {
    model.dispose();
    throw new PipelineFileError(
      'config.json',
      `${task} needs a ${type.name}, this file describes a ${model.constructor.name}`,
      'className',
    );
  }
  return model;
}

/** What {@link readTokenizer} accepts: a tokenizer file's content, or a tokenizer object. */
export type TokenizerSource = JsonSource | Tokenizer;

/**
 * A tokenizer from its file: textgen's `tokenizer.json` (`{ kind: 'char' | 'bpe', tokenizer }`),
 * a Hugging Face `tokenizer.json` (byte-level BPE or WordPiece), a `CharTokenizer`'s JSON, or a
 * tokenizer object as is.
 */
export function readTokenizer(source: TokenizerSource | undefined, file: string): Tokenizer {
  if (isTokenizer(source)) return source;
  const json = readJson(source, file);
  if (typeof json !== 'object' || json === null) {
    throw new PipelineFileError(file, 'expected a JSON object');
  }
  const root = json as Record<string, unknown>;
  try {
    if ('kind' in root && 'tokenizer' in root) {
      if (root.kind === 'char') return CharTokenizer.fromJSON(root.tokenizer as object);
      if (root.kind === 'bpe') return BytePairTokenizer.fromJSON(root.tokenizer as object);
      throw new PipelineFileError(
        file,
        `expected 'char' or 'bpe', got ${String(root.kind)}`,
        'kind',
      );
    }
    if (root.type === 'char') return CharTokenizer.fromJSON(root);
    const model = root.model as Record<string, unknown> | undefined;
    if (model?.type === 'BPE') return BytePairTokenizer.fromJSON(root);
    if (model?.type === 'WordPiece') return WordPieceTokenizer.fromJSON(root);
  } catch (cause) {
    if (!(cause instanceof TokenizerError)) throw cause;
    throw new PipelineFileError(file, cause.message, cause.where?.field as string | undefined, {
      cause,
    });
  }
  throw new PipelineFileError(
    file,
    'not a tokenizer file: expected textgen\'s { kind, tokenizer }, a Hugging Face tokenizer.json (model.type "BPE" or "WordPiece") or a char tokenizer ({ type: "char" })',
  );
}

function isTokenizer(value: unknown): value is Tokenizer {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Tokenizer).encode === 'function' &&
    typeof (value as Tokenizer).decode === 'function'
  );
}

/** The files of a classifier beside its model: class names, or the run's `config.json` with them. */
export interface LabelFiles {
  labels?: readonly string[];
  runConfig?: JsonSource;
}

/**
 * A classifier's model (as {@link readModel}) and its class names (as {@link readLabels}); the
 * model is disposed when the names do not fit it.
 */
export function readClassifier<M extends SavableModel & { config: { numClasses: number } }>(
  files: Partial<ModelFiles> & LabelFiles,
  type: abstract new (...args: never[]) => M,
  task: string,
): { model: M; labels: string[] } {
  const model = readModel(files, type, task);
  try {
    return { model, labels: readLabels(files.labels, files.runConfig, model.config.numClasses) };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** The `labels` (classify) or `classes` (vision) of a run's `config.json`, or `labels` as given. */
export function readLabels(
  labels: readonly string[] | undefined,
  runConfig: JsonSource | undefined,
  numClasses: number,
): string[] {
  let found = labels;
  let file = 'labels';
  if (found === undefined && runConfig !== undefined) {
    const run = readJson(runConfig, 'config.json') as Record<string, unknown>;
    found = (run.labels ?? run.classes) as string[] | undefined;
    file = 'config.json';
  }
  if (found === undefined) {
    return Array.from({ length: numClasses }, (_, i) => `LABEL_${i}`);
  }
  if (
    !Array.isArray(found) ||
    found.length !== numClasses ||
    found.some((l) => typeof l !== 'string')
  ) {
    throw new PipelineFileError(
      file,
      `expected ${numClasses} class names (the model's numClasses), got ${JSON.stringify(found)}`,
      file === 'labels' ? undefined : 'labels',
    );
  }
  return [...found];
}
