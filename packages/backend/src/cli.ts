import { InvalidBackendOptionError, UnknownBackendError } from './errors.js';
import { BACKEND_CHOICES, type BackendChoice, isBackendChoice } from './names.js';
import {
  type BackendSelection,
  type SelectBackendOptions,
  selectBackend,
} from './select-backend.js';

/** What the apps' shared backend flags said. */
export interface BackendArgs {
  choice: BackendChoice;
  /** Where the choice came from. */
  source: '--backend' | 'TFORMER_BACKEND' | 'default';
  wasmThreads?: number;
  /** argv without the backend flags, for the app's own parser. */
  rest: string[];
}

/** Help text for the flags {@link parseBackendArgs} reads, for an app's `--help`. */
export const BACKEND_FLAGS_HELP = [
  `  --backend <name>      ${BACKEND_CHOICES.join(' | ')} (default: $TFORMER_BACKEND or auto)`,
  '  --wasm-threads <n>    threads for the wasm backend (default: $TFORMER_WASM_THREADS or 1 in Node)',
].join('\n');

/**
 * Reads `--backend <name>` / `--backend=<name>` and `--wasm-threads <n>` from argv, falling back to
 * `TFORMER_BACKEND` / `TFORMER_WASM_THREADS`, then `auto`. A flag beats the environment. Throws
 * {@link UnknownBackendError} / {@link InvalidBackendOptionError} naming the flag and its value.
 *
 * @example
 * ```ts
 * const args = parseBackendArgs(['--backend', 'cpu', 'train.txt'], {});
 * // { choice: 'cpu', source: '--backend', rest: ['train.txt'] }
 * ```
 */
export function parseBackendArgs(
  argv: readonly string[] = process.argv.slice(2),
  env: Record<string, string | undefined> = process.env,
): BackendArgs {
  const rest: string[] = [];
  let backend: string | undefined;
  let threads: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    if (flag === '--backend' || flag === '--wasm-threads') {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith('--'))
        throw new InvalidBackendOptionError(flag, 'a value', value ?? null);
      if (flag === '--backend') backend = value;
      else threads = value;
    } else {
      rest.push(arg);
    }
  }
  const source: BackendArgs['source'] =
    backend !== undefined ? '--backend' : env.TFORMER_BACKEND ? 'TFORMER_BACKEND' : 'default';
  const choice = (backend ?? env.TFORMER_BACKEND ?? 'auto').trim();
  if (!isBackendChoice(choice))
    throw new UnknownBackendError(
      choice,
      BACKEND_CHOICES,
      source === 'default' ? 'backend' : source,
    );
  const threadText = threads ?? env.TFORMER_WASM_THREADS;
  let wasmThreads: number | undefined;
  if (threadText !== undefined && threadText !== '') {
    wasmThreads = Number(threadText);
    if (!Number.isInteger(wasmThreads) || wasmThreads < 1) {
      throw new InvalidBackendOptionError(
        threads !== undefined ? '--wasm-threads' : 'TFORMER_WASM_THREADS',
        'an integer ≥ 1',
        threadText,
      );
    }
  }
  return { choice, source, ...(wasmThreads !== undefined ? { wasmThreads } : {}), rest };
}

/**
 * {@link parseBackendArgs} then {@link selectBackend}: the one call an app makes at start-up.
 *
 * @example
 * ```ts
 * const { selection, rest } = await selectBackendFromArgs(['--backend=cpu'], {});
 * console.log(formatBackendInfo(selection.info), rest);
 * ```
 */
export async function selectBackendFromArgs(
  argv: readonly string[] = process.argv.slice(2),
  env: Record<string, string | undefined> = process.env,
  opts: SelectBackendOptions = {},
): Promise<{ selection: BackendSelection; rest: string[]; args: BackendArgs }> {
  const args = parseBackendArgs(argv, env);
  const selection = await selectBackend(args.choice, {
    ...opts,
    ...(args.wasmThreads ? { wasmThreads: args.wasmThreads } : {}),
  });
  if (args.source !== 'default' && selection.reason === 'requested by name')
    selection.reason = `requested by ${args.source}`;
  return { selection, rest: args.rest, args };
}
