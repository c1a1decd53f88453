/**
 * The page: controls, charts and views. All tfjs work happens in the worker (worker.ts); this
 * thread only sends requests and draws what comes back, so it never freezes while training.
 */
import {
  cellAt,
  drawLens,
  drawLossChart,
  drawMatrix,
  drawTokenStrip,
  showToken,
} from './charts.js';
import { CORPORA } from './corpus.js';
import type {
  BackendChoice,
  BackendReport,
  FromWorker,
  Inspection,
  ModelReport,
  Request,
  RunFiles,
  StepReport,
  TaskFiles,
  TaskReport,
  TaskResult,
} from './protocol.js';
import { type PickedFile, readRunFiles } from './run-files.js';
import { readTaskFiles } from './task-files.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
};
const num = (id: string) => Number($<HTMLInputElement>(id).value);

/** What the end-to-end test (e2e/run.mjs) reads; also handy in the devtools console. */
const page = {
  backend: undefined as BackendReport | undefined,
  model: undefined as ModelReport | undefined,
  steps: [] as StepReport[],
  training: false,
  generating: false,
  generated: '',
  /** Token messages received for the last generation (more than one: it streamed). */
  tokenEvents: 0,
  generateStats: undefined as { tokens: number; ms: number; tokensPerSecond: number } | undefined,
  inspection: undefined as Inspection | undefined,
  loaded: [] as string[],
  /** The classify/translate run loaded through @tformer/pipelines, and its last answer. */
  task: undefined as TaskReport | undefined,
  taskResult: undefined as TaskResult | undefined,
  saved: undefined as { files: string[]; bytes: number } | undefined,
  errors: [] as string[],
};
(window as unknown as { __playground: typeof page }).__playground = page;

function log(line: string): void {
  const pre = $('log');
  pre.textContent = `${new Date().toLocaleTimeString()} ${line}\n${pre.textContent ?? ''}`;
}
function fail(where: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  page.errors.push(`${where}: ${message}`);
  log(`error (${where}): ${message}`);
}

/** Requests to the worker, answered by id; streamed events go to `onEvent`. */
class WorkerClient {
  readonly worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  #next = 1;
  #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  constructor(onEvent: (e: Exclude<FromWorker, { id: number }>) => void) {
    this.worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const m = event.data;
      if (m.type === 'ok' || m.type === 'error') {
        const p = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        if (m.type === 'ok') p?.resolve(m.value);
        else p?.reject(new Error(m.message));
      } else {
        onEvent(m);
      }
    };
    this.worker.onerror = (e) => fail('worker', e.message || 'the worker failed to start');
  }
  call<T>(request: Request, transfer: Transferable[] = []): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...request, id }, transfer);
    });
  }
  terminate(): void {
    this.worker.terminate();
    for (const p of this.#pending.values()) p.reject(new Error('worker replaced'));
  }
}

let client: WorkerClient;
let losses: number[] = [];

function onEvent(e: Exclude<FromWorker, { id: number }>): void {
  if (e.type === 'step') {
    page.steps.push(e.step);
    losses.push(e.step.loss);
    drawLossChart($<HTMLCanvasElement>('loss-chart'), losses);
    const s = e.step;
    $('train-stats').textContent =
      `step ${s.step}  loss ${s.loss.toFixed(4)}  ${s.ms.toFixed(0)} ms/step  ` +
      `${Math.round(s.tokensPerSecond)} tokens/s  tensors ${s.numTensors}`;
  } else if (e.type === 'token') {
    page.generated += e.text;
    page.tokenEvents++;
    $('output').textContent += e.text;
    if (e.tokensPerSecond)
      $('generate-stats').textContent = `${e.tokensPerSecond.toFixed(0)} tokens/s…`;
  } else {
    log(e.line);
  }
}

function showBackend(b: BackendReport): void {
  page.backend = b;
  $('backend-name').textContent = b.name;
  $('backend-reason').textContent = b.reason;
  const ul = $('backend-skipped');
  ul.replaceChildren(
    ...b.tried.map((t) => {
      const li = document.createElement('li');
      li.textContent = `skipped ${t.name}: ${t.error}`;
      return li;
    }),
  );
}

function showModel(m: ModelReport): void {
  page.model = m;
  const c = m.config as { dModel: number; numLayers: number; numHeads: number; maxLength: number };
  $('model-info').textContent =
    `DecoderLM ${c.numLayers}×${c.numHeads}×${c.dModel}, context ${c.maxLength}, ` +
    `${m.parameters.toLocaleString()} parameters, ${m.tokenizer} (${m.origin})`;
}

/** Starts (or restarts) the worker on `choice`; a model it had is carried over through bytes. */
async function startBackend(choice: BackendChoice): Promise<void> {
  let carried: { config: unknown; weights: ArrayBuffer; tokenizer: unknown } | undefined;
  if (client && page.model) {
    carried = await client.call({ type: 'save' });
  }
  client?.terminate();
  page.backend = undefined;
  // A classify/translate run is not carried over: its worker is gone; load it again.
  page.task = undefined;
  $('task-section').hidden = true;
  client = new WorkerClient(onEvent);
  $('backend-name').textContent = `starting ${choice}…`;
  try {
    showBackend(await client.call<BackendReport>({ type: 'init', backend: choice }));
    log(`backend ${page.backend!.name}: ${page.backend!.reason}`);
  } catch (error) {
    $('backend-name').textContent = 'failed';
    $('backend-reason').textContent = error instanceof Error ? error.message : String(error);
    fail('backend', error);
    return;
  }
  if (carried) {
    const files: RunFiles = {
      modelConfig: carried.config,
      weights: carried.weights,
      tokenizer: carried.tokenizer,
      source: 'the previous backend',
    };
    showModel(await client.call<ModelReport>({ type: 'load', files }, [files.weights]));
  }
}

function modelSettings() {
  return {
    dModel: num('d-model'),
    numLayers: num('num-layers'),
    numHeads: num('num-heads'),
    maxLength: num('max-length'),
  };
}

async function newModel(): Promise<void> {
  const m = await client.call<ModelReport>({
    type: 'newModel',
    text: $<HTMLTextAreaElement>('text').value,
    model: modelSettings(),
    seed: num('seed'),
  });
  showModel(m);
  losses = [];
  page.steps = [];
  drawLossChart($<HTMLCanvasElement>('loss-chart'), losses);
  log(`new model: ${$('model-info').textContent}`);
}

function setTraining(on: boolean): void {
  page.training = on;
  $<HTMLButtonElement>('train').disabled = on;
  $<HTMLButtonElement>('new-model').disabled = on;
  $<HTMLButtonElement>('pause').disabled = !on;
  $<HTMLButtonElement>('stop').disabled = !on;
  $<HTMLSelectElement>('backend').disabled = on;
  $('pause').textContent = 'Pause';
}

async function train(): Promise<void> {
  if (!page.model) await newModel();
  setTraining(true);
  try {
    const r = await client.call<{ steps: number; stopped: boolean }>({
      type: 'train',
      text: $<HTMLTextAreaElement>('text').value,
      train: {
        batchSize: num('batch-size'),
        learningRate: num('learning-rate'),
        steps: num('steps'),
        seed: num('seed'),
      },
    });
    log(`trained ${r.steps} steps${r.stopped ? ' (stopped)' : ''}`);
  } finally {
    setTraining(false);
  }
}

async function generate(): Promise<void> {
  page.generating = true;
  page.generated = '';
  page.tokenEvents = 0;
  page.generateStats = undefined;
  $('output').textContent = $<HTMLInputElement>('prompt').value;
  $<HTMLButtonElement>('generate').disabled = true;
  try {
    const r = await client.call<{ tokens: number; ms: number; tokensPerSecond: number }>({
      type: 'generate',
      prompt: $<HTMLInputElement>('prompt').value,
      maxNewTokens: num('max-new-tokens'),
      temperature: num('temperature'),
      topK: num('top-k'),
      seed: num('seed'),
    });
    page.generateStats = r;
    $('generate-stats').textContent =
      `${r.tokens} tokens in ${r.ms.toFixed(0)} ms: ${r.tokensPerSecond.toFixed(1)} tokens/s (KV cache)`;
  } finally {
    page.generating = false;
    $<HTMLButtonElement>('generate').disabled = false;
  }
}

/** Every file under a dropped entry, with its path. */
async function walk(entry: FileSystemEntry, out: PickedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) =>
      (entry as FileSystemFileEntry).file(resolve, reject),
    );
    out.push({ path: entry.fullPath.replace(/^\//, ''), blob: file });
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
      reader.readEntries(resolve, reject),
    );
    if (batch.length === 0) break;
    for (const child of batch) await walk(child, out);
  }
}

async function loadPicked(files: PickedFile[]): Promise<void> {
  const status = $('files-status');
  status.textContent = `reading ${files.length} files…`;
  const task = await readTaskFiles(files);
  if (task) return loadTaskRun(task);
  const { files: run, notes } = await readRunFiles(files);
  const m = await client.call<ModelReport>({ type: 'load', files: run }, [run.weights]);
  showModel(m);
  losses = [];
  page.steps = [];
  drawLossChart($<HTMLCanvasElement>('loss-chart'), losses);
  page.loaded.push(run.source);
  status.textContent = `loaded: ${notes.join('; ')}`;
  log(`loaded ${run.source}: ${$('model-info').textContent}`);
}

/** A classify or translate run: @tformer/pipelines runs it in the worker (panel "Classify or translate"). */
async function loadTaskRun(files: TaskFiles): Promise<void> {
  const report = await client.call<TaskReport>({ type: 'loadTask', files }, [files.weights]);
  page.task = report;
  page.taskResult = undefined;
  const verb = report.kind === 'classify' ? 'classifies' : 'translates';
  $('task-info').textContent =
    `${report.className} from ${report.source}: @tformer/pipelines ${verb} the text below`;
  $('task-output').textContent = '';
  $('task-section').hidden = false;
  $('files-status').textContent = `loaded: ${report.kind} run ${report.source}`;
  log(`loaded ${report.kind} run ${report.source} (${report.className})`);
}

async function runTask(): Promise<void> {
  const result = await client.call<TaskResult>({
    type: 'runTask',
    text: $<HTMLInputElement>('task-text').value,
  });
  page.taskResult = result;
  $('task-output').textContent =
    result.kind === 'classify'
      ? result.classes.map((c) => `${c.label} ${c.score.toFixed(3)}`).join('   ')
      : result.translation;
}

function download(name: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function save(): Promise<void> {
  const saved = await client.call<{ config: unknown; weights: ArrayBuffer; tokenizer: unknown }>({
    type: 'save',
  });
  download('config.json', `${JSON.stringify(saved.config, null, 2)}\n`, 'application/json');
  download('model.safetensors', saved.weights, 'application/octet-stream');
  download('tokenizer.json', JSON.stringify(saved.tokenizer), 'application/json');
  page.saved = {
    files: ['config.json', 'model.safetensors', 'tokenizer.json'],
    bytes: saved.weights.byteLength,
  };
  $('files-status').textContent =
    `saved config.json, model.safetensors (${(saved.weights.byteLength / 1024).toFixed(0)} KiB), ` +
    'tokenizer.json: put them in one folder and drop it here to load them again';
}

function showInspection(r: Inspection): void {
  page.inspection = r;
  const T = r.tokens.length;
  const hover = $('hover');
  const size = Math.max(120, Math.min(220, T * 6));
  const grid = $('attention-grid');
  const H = r.attention[0]?.length ?? 0;
  grid.style.gridTemplateColumns = `repeat(${H}, ${size}px)`;
  const figures: HTMLElement[] = [];
  const hoverOn = (canvas: HTMLCanvasElement, values: Float32Array, name: string) => {
    canvas.addEventListener('mousemove', (e) => {
      const cell = cellAt(canvas, e, T);
      if (!cell) return;
      const row = Array.from(values.subarray(cell.row * T, cell.row * T + T));
      const top = row
        .map((w, j) => [w, j] as const)
        .sort((a, b) => b[0] - a[0])
        .slice(0, 3)
        .map(([w, j]) => `${showToken(r.tokens[j]!)}@${j} ${w.toFixed(2)}`)
        .join(', ');
      hover.textContent =
        `${name}: ${showToken(r.tokens[cell.row]!)}@${cell.row} → ${showToken(r.tokens[cell.col]!)}@${cell.col} ` +
        `= ${values[cell.row * T + cell.col]!.toFixed(3)}   (row's top: ${top})`;
    });
  };
  r.attention.forEach((heads, l) => {
    heads.forEach((values, h) => {
      const fig = document.createElement('figure');
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = size;
      canvas.className = 'heatmap';
      canvas.dataset.layer = String(l);
      canvas.dataset.head = String(h);
      drawMatrix(canvas, values, T);
      hoverOn(canvas, values, `layer ${l} head ${h}`);
      const cap = document.createElement('figcaption');
      cap.textContent = `layer ${l} · head ${h}`;
      fig.append(canvas, cap);
      figures.push(fig);
    });
  });
  grid.replaceChildren(...figures);
  const rollout = $<HTMLCanvasElement>('rollout');
  const fresh = rollout.cloneNode() as HTMLCanvasElement; // drops the old hover listener
  rollout.replaceWith(fresh);
  drawMatrix(fresh, r.rollout, T, { normalise: true });
  hoverOn(fresh, r.rollout, 'rollout');

  $('saliency-caption').textContent =
    `Which input tokens drove the prediction after position ${r.target} ` +
    `("${showToken(r.tokens[r.target]!)}" → "${showToken(r.targetToken)}", p = ${r.targetProbability.toFixed(2)}): ` +
    'blue pushed it up, red down.';
  const strips = r.saliency.map(({ method, values }) => {
    const div = document.createElement('div');
    const h = document.createElement('h3');
    h.textContent = method;
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(400, Math.min(1100, T * 22));
    canvas.height = 28;
    drawTokenStrip(canvas, r.tokens, values, r.target);
    div.append(h, canvas);
    return div;
  });
  $('saliency-strips').replaceChildren(...strips);

  const lens = $<HTMLCanvasElement>('lens');
  lens.width = Math.max(400, Math.min(1100, 56 + T * 22));
  lens.height = 26 * r.lens.length;
  drawLens(lens, r.lens);
  $('inspect-status').textContent =
    `${T} tokens; integrated gradients sum to the logit change ${r.completeness.outputChange.toFixed(3)} within ${Math.abs(r.completeness.gap).toExponential(1)}. ` +
    Object.entries(r.sources)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ');
}

async function inspect(): Promise<void> {
  $('inspect-status').textContent = 'computing…';
  showInspection(
    await client.call<Inspection>({
      type: 'inspect',
      text: $<HTMLInputElement>('inspect-text').value,
      target: num('target'),
    }),
  );
}

function selectView(view: string): void {
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('#tabs button'))) {
    b.classList.toggle('active', b.dataset.view === view);
  }
  for (const v of Array.from(document.querySelectorAll<HTMLElement>('.view'))) {
    v.hidden = v.id !== `view-${view}`;
  }
}

function setText(text: string): void {
  $<HTMLTextAreaElement>('text').value = text;
  $('text-stats').textContent =
    `${[...text].length.toLocaleString()} characters, ${new Set(text).size} distinct`;
}

/** Runs a handler, reporting its error on the page instead of as an unhandled rejection. */
const guard = (where: string, run: () => Promise<void>) => () => {
  run().catch((error) => fail(where, error));
};

function wire(): void {
  const corpus = $<HTMLSelectElement>('corpus');
  for (const c of CORPORA) corpus.append(new Option(c.title, c.id));
  corpus.append(new Option('(your own text: paste it below)', 'own'));
  corpus.onchange = () => {
    const c = CORPORA.find((x) => x.id === corpus.value);
    if (c) setText(c.text);
  };
  $('text').oninput = () => {
    corpus.value = 'own';
    setText($<HTMLTextAreaElement>('text').value);
  };
  setText(CORPORA[0]!.text);
  drawLossChart($<HTMLCanvasElement>('loss-chart'), []);

  const backend = $<HTMLSelectElement>('backend');
  const initial = new URLSearchParams(location.search).get('backend');
  if (initial && Array.from(backend.options).some((o) => o.value === initial))
    backend.value = initial;
  backend.onchange = guard('backend', () => startBackend(backend.value as BackendChoice));

  $('new-model').onclick = guard('new model', newModel);
  $('train').onclick = guard('train', train);
  $('pause').onclick = guard('pause', async () => {
    const pausing = $('pause').textContent === 'Pause';
    await client.call({ type: pausing ? 'pause' : 'resume' });
    $('pause').textContent = pausing ? 'Resume' : 'Pause';
    log(pausing ? 'paused' : 'resumed');
  });
  $('stop').onclick = guard('stop', () => client.call({ type: 'stop' }));
  $('generate').onclick = guard('generate', generate);
  $('save').onclick = guard('save', save);
  $('inspect').onclick = guard('inspect', inspect);
  $('task-run').onclick = guard('task', runTask);
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('#tabs button'))) {
    b.onclick = () => selectView(b.dataset.view!);
  }

  const picked = (input: HTMLInputElement) =>
    guard('load', async () => {
      const files = Array.from(input.files ?? []).map((f) => ({
        path: f.webkitRelativePath || f.name,
        blob: f,
      }));
      input.value = '';
      if (files.length) await loadPicked(files);
    });
  $<HTMLInputElement>('pick-files').onchange = picked($<HTMLInputElement>('pick-files'));
  $<HTMLInputElement>('pick-folder').onchange = picked($<HTMLInputElement>('pick-folder'));
  const zone = $('drop-zone');
  zone.ondragover = (e) => {
    e.preventDefault();
    zone.classList.add('over');
  };
  zone.ondragleave = () => zone.classList.remove('over');
  zone.ondrop = (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const entries = Array.from(e.dataTransfer?.items ?? [])
      .map((item) => item.webkitGetAsEntry())
      .filter((x): x is FileSystemEntry => x !== null);
    guard('load', async () => {
      const files: PickedFile[] = [];
      for (const entry of entries) await walk(entry, files);
      await loadPicked(files);
    })();
  };
}

wire();
guard('backend', () => startBackend($<HTMLSelectElement>('backend').value as BackendChoice))();
