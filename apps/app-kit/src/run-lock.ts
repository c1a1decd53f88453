import { rmSync } from 'node:fs';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { RunLockedError } from './file-errors.js';

/** The contents of a run directory's `.lock`. */
export interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

/**
 * Takes the advisory lock `file` for this process (`{ pid, host, since }`, created exclusively).
 * A lock held by a live process stops the caller with a {@link RunLockedError} naming it; a lock
 * left by a process of this host that is gone (killed, crashed) is stale and taken over. Returns
 * the function that releases it (also run at process exit).
 */
export async function acquireLock(file: string): Promise<() => void> {
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(file, `${JSON.stringify(me)}\n`, { flag: 'wx' });
      let released = false;
      // Synchronous, so that it also runs in an 'exit' handler and finishes before the process ends.
      const release = () => {
        if (released) return;
        released = true;
        process.removeListener('exit', release);
        rmSync(file, { force: true });
      };
      process.once('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = await readOwner(file);
    if (owner && !isStale(owner)) {
      throw new RunLockedError(
        `${file}: the run is in use by process ${owner.pid} on ${owner.host} since ${owner.since}; wait for it to end (or, if that process is gone, delete ${file})`,
      );
    }
    if (!owner && (await youngerThan(file, FRESH_MS))) {
      // Created an instant ago and not written yet: another process is taking it now.
      throw new RunLockedError(`${file}: another process is taking the run's lock right now`);
    }
    await rm(file, { force: true }); // stale or unreadable: take it over
  }
  throw new RunLockedError(`${file}: could not take the lock (another process keeps taking it)`);
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(file, 'utf8')) as LockOwner;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? owner : undefined;
  } catch {
    return undefined; // gone, torn or foreign: treated as stale
  }
}

/** Dead when it is of this host and no process has its pid; a lock of another host is live. */
function isStale(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return false;
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** A lock file this young with no owner in it is being written, not abandoned. */
const FRESH_MS = 2_000;

async function youngerThan(file: string, ms: number): Promise<boolean> {
  const info = await stat(file).catch(() => undefined);
  return info !== undefined && Date.now() - info.mtimeMs < ms;
}
