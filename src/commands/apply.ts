import { resolve } from 'node:path';
import { applyFile, type ApplyResult } from '../apply/apply.js';
import { progressBar } from '../apply/progress.js';
import { loadAppServices } from '../config/appservice.js';
import { UsageError } from '../errors.js';
import { readAll, readFileLimited, type Io } from '../io.js';
import type { Output } from '../output.js';
import { masApplyBackend } from '../apply/mas-backend.js';
import { MAS_CACHE_NOTE } from '../mas/admin-operations.js';
import { workerWarnings } from '../mas/jobs.js';
import { synapseApplyBackend } from '../apply/synapse-backend.js';
import { passwordLoginWorks } from '../synapse/login.js';
import { hashConcurrency } from '../threadpool.js';
import { STDIN_ARG } from './cli-options.js';
import { FIFO_WAIT_MS, fifoWithoutWriter } from '../passwords/input.js';
import { defineCommand } from './define-command.js';
import { prepare } from './prepare.js';
import { warnIfRunning } from './running-server.js';
import { booleanOption } from './boolean-options.js';

// An apply file's user is about a hundred bytes: this holds over half a million of them, and stops
// a device (/dev/zero) or a wrong file before it fills memory. Bytes, not text: the reader refuses
// what is not UTF-8 rather than decode it lossily.
const APPLY_FILE_LIMIT = 64 * 1024 * 1024;

async function readInput(file: string, name: string, io: Io): Promise<Buffer> {
  const tooLarge = () =>
    new UsageError(`${name} is larger than ${APPLY_FILE_LIMIT / 1024 / 1024} MiB; it was not read further. Check that it is the apply file, or split it.`);
  try {
    if (file !== STDIN_ARG) {
      const fifo = () => fifoWithoutWriter(name, FIFO_WAIT_MS, '. Start its writer alongside, or give a regular file.');
      return await readFileLimited(resolve(io.cwd, file), { limit: APPLY_FILE_LIMIT, tooLarge, fifoWaitMs: FIFO_WAIT_MS, noWriter: fifo });
    }
    return await readAll(io.stdin, APPLY_FILE_LIMIT, tooLarge);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`Cannot read ${name} (${(err as NodeJS.ErrnoException).code ?? String(err)}). Check the path, or give - to read the file from stdin.`);
  }
}

function count(res: ApplyResult, action: string): number {
  return res.users.filter((u) => u.action === action).length;
}

function textLines(res: ApplyResult, name: string, dryRun: boolean): string[] {
  const unchanged = count(res, 'unchanged');
  if (!res.changed) return [`Nothing to change: ${name} is already applied (${unchanged} user${unchanged === 1 ? '' : 's'} as declared).`];
  const [c, u, d, a] = (['create', 'update', 'demote', 'adopt'] as const).map((action) => count(res, action));
  // Only MAS adopts: Synapse's lines stay as they were.
  const adopted = a > 0 ? [`${a} ${dryRun ? 'to adopt' : 'adopted'}`] : [];
  const changes = res.users.flatMap((user) => [
    ...user.changes.map((line) => `  ${line}`),
    ...(user.password !== undefined && !dryRun ? [`    password: ${user.password}`] : []),
  ]);
  return [
    dryRun
      ? `Dry run of ${name}: nothing was written. It would change (${[`${c} to create`, ...adopted, `${u} to update`, `${d} to demote`, `${unchanged} unchanged`].join(', ')}):`
      : `Applied ${name} (${[`${c} created`, ...adopted, `${u} updated`, `${d} demoted`, `${unchanged} unchanged`].join(', ')}):`,
    ...changes,
  ];
}

/** On MAS, what happens after the commit: the worker provisions, Synapse's cache catches up. */
function masNotes(res: ApplyResult): string[] {
  const created = count(res, 'create');
  return [
    ...(created > 0
      ? [`MAS's worker creates the Synapse account${created === 1 ? '' : 's'} of the ${created} new user${created === 1 ? '' : 's'} from the provision-user jobs, within seconds while it runs.`]
      : []),
    ...(count(res, 'adopt') > 0 ? ["MAS's worker updates the adopted users' existing Synapse accounts from the provision-user jobs (nothing there is recreated)."] : []),
    ...(res.users.some((u) => u.action === 'update' || u.action === 'demote') ? [MAS_CACHE_NOTE] : []),
  ];
}

export function applyCommand(io: Io, out: Output) {
  return defineCommand({
    builder: (y) =>
      y
        .positional('file', { type: 'string', demandOption: true, describe: 'the file declaring the users (YAML or JSON), or - for stdin' })
        .option(...booleanOption('ignore-policy', "skip the config's password_config.policy")),
    handler: async (args) => {
      const { config, read, write, mas } = await prepare(args, io, out, { changes: true });
      const name = args.file === STDIN_ARG ? 'stdin' : args.file;
      const bytes = await readInput(args.file, name, io);
      const appServices = await loadAppServices(config.appServiceConfigFiles, config.serverName);
      const backendOpts = { ignorePolicy: args.ignorePolicy, randomBytes: io.randomBytes };
      const backend =
        mas === undefined
          ? synapseApplyBackend(config, appServices, { read, write }, backendOpts)
          : masApplyBackend(config, appServices, mas, { read }, backendOpts);
      const res = await applyFile(bytes, backend, {
        name,
        piped: args.file === STDIN_ARG,
        cwd: io.cwd,
        concurrency: hashConcurrency(io.env),
        progress: (total) => progressBar(io.stderr, 'hashing', total),
      });
      for (const w of res.warnings) out.warn(w);
      let running: boolean | undefined;
      const notes: string[] = [];
      if (mas !== undefined) {
        if (res.changed && !args.dryRun) {
          for (const w of await mas.read(workerWarnings)) out.warn(w);
          notes.push(...masNotes(res));
        }
      } else {
        if (res.users.some((u) => u.action === 'create') && !passwordLoginWorks(config.password)) {
          out.warn('Password login is off in this config (password_config), so these passwords will not log anyone in.');
        }
        running = args.dryRun
          ? undefined
          : await warnIfRunning(config, out, res.changed, 'It caches who is an admin, and may answer 404 for new users it looked up before.');
      }
      const shown = res.users.map(({ password, ...u }) => (password !== undefined && !args.dryRun ? { ...u, password } : u));
      out.success([...textLines(res, name, args.dryRun), ...notes], {
        file: name,
        changed: res.changed,
        dry_run: args.dryRun,
        created: count(res, 'create'),
        ...(mas === undefined ? {} : { adopted: count(res, 'adopt') }),
        updated: count(res, 'update'),
        demoted: count(res, 'demote'),
        unchanged: count(res, 'unchanged'),
        users: shown,
        ...(mas === undefined ? {} : { notes }),
        ...(running === undefined ? {} : { synapse_running: running, restart_needed: running && res.changed }),
      });
    },
  });
}
