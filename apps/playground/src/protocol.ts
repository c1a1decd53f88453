/** Messages between the page (main.ts) and the worker (worker.ts) that owns tfjs and the model. */

export type BackendChoice = 'auto' | 'wasm' | 'webgl' | 'webgpu' | 'cpu';

export interface ModelSettings {
  dModel: number;
  numLayers: number;
  numHeads: number;
  maxLength: number;
}

export interface TrainSettings {
  batchSize: number;
  learningRate: number;
  steps: number;
  seed: number;
}

/** A run directory's files, read in the page. */
export interface RunFiles {
  /** model/config.json (ours: `format: 'tformer'`, or Hugging Face GPT-2's). */
  modelConfig: unknown;
  /** model/model.safetensors. */
  weights: ArrayBuffer;
  /** tokenizer.json (textgen's `{ kind, tokenizer }`, or a tokenizer's own JSON). */
  tokenizer: unknown;
  /** Where they came from, for messages. */
  source: string;
}

/** A classify or translate run directory's files, read in the page (see task-files.ts). */
export interface TaskFiles {
  kind: 'classify' | 'translate';
  /** model/config.json (EncoderClassifier or EncoderDecoder). */
  modelConfig: unknown;
  /** model/model.safetensors. */
  weights: ArrayBuffer;
  /** classify's tokenizer.json or translate's vocab.json. */
  vocabulary: unknown;
  /** The run's own config.json (labels; decoding settings). */
  runConfig?: unknown;
  source: string;
}

export interface TaskReport {
  kind: 'classify' | 'translate';
  className: string;
  source: string;
}

export type TaskResult =
  | { kind: 'classify'; classes: { label: string; score: number }[] }
  | { kind: 'translate'; translation: string };

export type Request =
  | { type: 'init'; backend: BackendChoice }
  | { type: 'newModel'; text: string; model: ModelSettings; seed: number }
  | { type: 'train'; text: string; train: TrainSettings }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | {
      type: 'generate';
      prompt: string;
      maxNewTokens: number;
      temperature: number;
      topK: number;
      seed: number;
    }
  | { type: 'load'; files: RunFiles }
  | { type: 'loadTask'; files: TaskFiles }
  | { type: 'runTask'; text: string }
  | { type: 'save' }
  | { type: 'inspect'; text: string; target: number };

export interface BackendReport {
  name: string;
  reason: string;
  tried: { name: string; error: string }[];
  details: string;
}

export interface ModelReport {
  className: string;
  config: Record<string, unknown>;
  parameters: number;
  vocabSize: number;
  tokenizer: string;
  origin: string;
}

export interface StepReport {
  step: number;
  loss: number;
  ms: number;
  /** When the step ended, in ms since the epoch (performance.timeOrigin + now: comparable across threads). */
  endedAt: number;
  tokensPerSecond: number;
  numTensors: number;
}

/** Everything the attention, saliency and logit-lens views draw, for one input text. */
export interface Inspection {
  tokens: string[];
  /** [layer][head] → T×T row-major (row = query position, column = key position). */
  attention: Float32Array[][];
  /** T×T, attention rollout over all layers (heads averaged, residual 0.5). */
  rollout: Float32Array;
  /** Saliency of each input token for the prediction at `target`, by method. */
  saliency: { method: string; values: Float32Array }[];
  /** The position whose next-token prediction saliency explains, and that token. */
  target: number;
  targetToken: string;
  targetProbability: number;
  /** Logit lens: [layer 0 = embeddings … numLayers] → per position the top token and its probability. */
  lens: { top: string[]; probability: Float32Array }[];
  /**
   * Integrated gradients' completeness: Σ attributions − (f(x) − f(baseline)) (`gap`) next to
   * the explained logit's change f(x) − f(baseline) (`outputChange`).
   */
  completeness: { gap: number; outputChange: number };
  /** Which @tformer/interpret functions were used, and what the page computed itself. */
  sources: Record<string, string>;
}

export type Reply =
  | { type: 'ok'; id: number; value?: unknown }
  | { type: 'error'; id: number; message: string };

/** Unsolicited messages: streamed while a request runs. */
export type Event =
  | { type: 'step'; step: StepReport }
  | { type: 'token'; text: string; tokensPerSecond: number }
  | { type: 'log'; line: string };

export type FromWorker = Reply | Event;
export type ToWorker = Request & { id: number };
