// Node-only: exported from `@tformer/train/node`, never from the runtime-neutral index.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { crashPoint, syncDirectory, writeFileAtomic } from '@tformer/nn/node';
import type { CheckpointInfo, CheckpointStore } from './checkpoint-store.js';
import { CheckpointError } from './errors.js';

/** The file of a checkpoint directory that lists the others with their sizes and SHA-256. */
export const MANIFEST_FILE = 'manifest.json';

/** The contents of `manifest.json`. */
export interface CheckpointManifest {
  format: 'tformer-checkpoint';
  version: 1;
  /** The save's number in this store (1, 2, …): the newest has the highest. */
  sequence: number;
  step?: number;
  validationLoss?: number;
  files: Record<string, { bytes: number; sha256: string }>;
}

/** One complete checkpoint on disk, as {@link DirectoryCheckpointStore.list} reports it. */
export interface StoredCheckpoint {
  path: string;
  manifest: CheckpointManifest;
}

export interface DirectoryCheckpointStoreOptions {
  /** How many of the newest checkpoints to keep (the best by validation loss is kept besides). Default 2. */
  keep?: number;
  /** Told when `load` skips a damaged checkpoint for an older one. Default: a line on stderr. */
  onWarning?: (message: string) => void;
}

const FINAL = /^ckpt-(\d+)$/;
const STAGING = /^\.staging-(\d+)-/;
const TRASH = '.trash-';

/**
 * A {@link CheckpointStore} that keeps checkpoints as directories under `path`, each
 * `ckpt-<sequence>/` with the Trainer's files and a `manifest.json` (size and SHA-256 of each),
 * and that never leaves no good checkpoint behind:
 *
 * 1. every file goes to `.staging-<sequence>-<id>/`, written durably (temporary file, `fsync`,
 *    rename); `manifest.json` is written last, so a staging directory with a valid manifest is
 *    complete;
 * 2. the staging directory is renamed to `ckpt-<sequence>` (one atomic rename), the parent
 *    flushed;
 * 3. older checkpoints beyond the newest `keep` (default 2), except the best by validation loss,
 *    are moved to `.trash-…` and removed.
 *
 * `load` returns the newest checkpoint whose manifest and checksums verify; a damaged one is
 * skipped (with a warning) for the one before it. A staging directory that was complete when the
 * process died (its manifest verifies) is promoted first; incomplete ones are removed by the next
 * save. Checkpoints written by earlier versions (the files directly in `path`) still load.
 *
 * @param path the directory of checkpoints; created (with its parents) by the first save.
 *
 * @example
 * ```ts
 * import { DirectoryCheckpointStore } from '@tformer/train/node';
 * const store = new DirectoryCheckpointStore('runs/shakespeare/checkpoints', { keep: 3 });
 * ```
 */
export class DirectoryCheckpointStore implements CheckpointStore {
  readonly keep: number;
  private readonly warn: (message: string) => void;

  constructor(
    readonly path: string,
    options: DirectoryCheckpointStoreOptions = {},
  ) {
    const keep = options.keep ?? 2;
    if (!Number.isInteger(keep) || keep < 1)
      throw new CheckpointError(path, `keep must be an integer ≥ 1, got ${keep}`);
    this.keep = keep;
    this.warn = options.onWarning ?? ((m) => process.stderr.write(`warning: ${m}\n`));
  }

  async save(files: Record<string, Uint8Array>, info: CheckpointInfo = {}): Promise<void> {
    for (const [name, bytes] of Object.entries(files)) {
      if (name !== basename(name) || name.startsWith('.') || name === MANIFEST_FILE) {
        throw new CheckpointError(
          this.path,
          `file name '${name}' must be a plain name, not hidden, not '${MANIFEST_FILE}'`,
        );
      }
      if (!(bytes instanceof Uint8Array)) {
        throw new CheckpointError(
          join(this.path, name),
          `expected a Uint8Array, got ${typeof bytes}`,
        );
      }
    }
    await mkdir(this.path, { recursive: true });
    await this.recover();
    const sequence = (await this.highestSequence()) + 1;
    const staging = join(this.path, `.staging-${pad(sequence)}-${randomUUID()}`);
    try {
      await mkdir(staging);
      const manifest: CheckpointManifest = {
        format: 'tformer-checkpoint',
        version: 1,
        sequence,
        ...(info.step === undefined ? {} : { step: info.step }),
        ...(info.validationLoss === undefined || !Number.isFinite(info.validationLoss)
          ? {}
          : { validationLoss: info.validationLoss }),
        files: {},
      };
      for (const [name, bytes] of Object.entries(files)) {
        await writeFileAtomic(join(staging, name), bytes);
        manifest.files[name] = { bytes: bytes.byteLength, sha256: sha256(bytes) };
        crashPoint('checkpoint-file-written');
      }
      await writeFileAtomic(join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
      crashPoint('checkpoint-staged');
      await rename(staging, join(this.path, `ckpt-${pad(sequence)}`));
    } catch (error) {
      await rm(staging, { recursive: true, force: true }).catch(() => undefined);
      throw error;
    }
    await syncDirectory(this.path);
    crashPoint('checkpoint-published');
    await this.prune();
  }

  async load(): Promise<Record<string, Uint8Array> | undefined> {
    await this.promoteStaged();
    const found = await this.finalNames();
    const damaged: string[] = [];
    for (const name of found.reverse()) {
      const dir = join(this.path, name);
      const result = await verify(dir);
      if (typeof result === 'string') {
        damaged.push(`${dir}: ${result}`);
        continue;
      }
      for (const d of damaged) this.warn(`skipped a damaged checkpoint (${d}); using ${dir}`);
      return result.files;
    }
    if (damaged.length > 0) {
      throw new CheckpointError(this.path, `no intact checkpoint: ${damaged.join('; ')}`);
    }
    return this.loadLegacy();
  }

  /** The complete checkpoints, oldest first, with their manifests (unverified checksums). */
  async list(): Promise<StoredCheckpoint[]> {
    const result: StoredCheckpoint[] = [];
    for (const name of await this.finalNames()) {
      const path = join(this.path, name);
      const manifest = await readManifest(path);
      if (typeof manifest !== 'string') result.push({ path, manifest });
    }
    return result;
  }

  /** Finishes what a killed save left: promotes complete staging directories, removes the rest. */
  private async recover(): Promise<void> {
    await this.promoteStaged();
    for (const name of await this.names()) {
      if (STAGING.test(name) || name.startsWith(TRASH))
        await rm(join(this.path, name), { recursive: true, force: true });
    }
  }

  private async promoteStaged(): Promise<void> {
    for (const name of await this.names()) {
      const match = STAGING.exec(name);
      if (!match) continue;
      const dir = join(this.path, name);
      const result = await verify(dir);
      if (typeof result === 'string') continue; // incomplete: the next save removes it
      const target = join(this.path, `ckpt-${match[1]}`);
      if (await exists(target)) continue;
      await rename(dir, target);
      await syncDirectory(this.path);
    }
  }

  private async prune(): Promise<void> {
    const all = await this.list();
    const keep = new Set(all.slice(-this.keep).map((c) => c.path));
    let best: StoredCheckpoint | undefined;
    for (const c of all) {
      const loss = c.manifest.validationLoss;
      if (loss !== undefined && (best === undefined || loss <= best.manifest.validationLoss!))
        best = c;
    }
    if (best) keep.add(best.path);
    for (const c of all) {
      if (keep.has(c.path)) continue;
      const trash = join(this.path, `${TRASH}${basename(c.path)}`);
      await rename(c.path, trash);
      await rm(trash, { recursive: true, force: true });
    }
  }

  private async names(): Promise<string[]> {
    return readdir(this.path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
  }

  /** `ckpt-*` names, oldest first. */
  private async finalNames(): Promise<string[]> {
    return (await this.names())
      .filter((n) => FINAL.test(n))
      .sort((a, b) => Number(FINAL.exec(a)![1]) - Number(FINAL.exec(b)![1]));
  }

  private async highestSequence(): Promise<number> {
    let highest = 0;
    for (const name of await this.names()) {
      const match = FINAL.exec(name) ?? STAGING.exec(name);
      if (match) highest = Math.max(highest, Number(match[1]));
    }
    return highest;
  }

  /** A checkpoint of the layout before manifests: the files directly in `path`. */
  private async loadLegacy(): Promise<Record<string, Uint8Array> | undefined> {
    if (!(await exists(join(this.path, 'trainer.json')))) return undefined;
    const files: Record<string, Uint8Array> = {};
    for (const name of await this.names()) {
      if (name.startsWith('.') || name.endsWith('.partial')) continue;
      const info = await stat(join(this.path, name));
      if (info.isFile()) files[name] = new Uint8Array(await readFile(join(this.path, name)));
    }
    return files;
  }
}

const pad = (n: number) => String(n).padStart(6, '0');

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function readManifest(dir: string): Promise<CheckpointManifest | string> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch (error) {
    return `${MANIFEST_FILE} unreadable (${(error as NodeJS.ErrnoException).code ?? error})`;
  }
  try {
    const manifest = JSON.parse(text) as CheckpointManifest;
    if (manifest.format !== 'tformer-checkpoint' || manifest.version !== 1)
      return `${MANIFEST_FILE}: not a tformer-checkpoint version 1`;
    if (typeof manifest.files !== 'object' || manifest.files === null)
      return `${MANIFEST_FILE}: no file list`;
    return manifest;
  } catch {
    return `${MANIFEST_FILE} is not valid JSON`;
  }
}

/** The files of a checkpoint directory if its manifest verifies, else why not. */
async function verify(
  dir: string,
): Promise<{ manifest: CheckpointManifest; files: Record<string, Uint8Array> } | string> {
  const manifest = await readManifest(dir);
  if (typeof manifest === 'string') return manifest;
  const files: Record<string, Uint8Array> = {};
  for (const [name, expected] of Object.entries(manifest.files)) {
    let bytes: Uint8Array;
    try {
      const handle = await open(join(dir, name), 'r');
      try {
        bytes = new Uint8Array(await handle.readFile());
      } finally {
        await handle.close();
      }
    } catch (error) {
      return `${name} unreadable (${(error as NodeJS.ErrnoException).code ?? error})`;
    }
    if (bytes.byteLength !== expected.bytes)
      return `${name} has ${bytes.byteLength} bytes, the manifest says ${expected.bytes}`;
    if (sha256(bytes) !== expected.sha256) return `${name} does not match its SHA-256`;
    files[name] = bytes;
  }
  return { manifest, files };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
