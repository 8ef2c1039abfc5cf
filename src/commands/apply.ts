import { resolve } from 'node:path';
import { applyFile, type ApplyResult } from '../apply/apply.js';
import { progressBar } from '../apply/progress.js';
import { loadAppServices } from '../config/appservice.js';
import { UsageError } from '../errors.js';
import { readAll, readFileLimited, type Io } from '../io.js';
import type { Output } from '../output.js';
import type { JsonOf } from '../accounts/json-shapes.js';
import { hashConcurrency } from '../threadpool.js';
import { STDIN_ARG } from './cli-options.js';
import { FIFO_WAIT_MS, fifoWithoutWriter } from '../passwords/input.js';
import { defineCommand } from './define-command.js';
import { prepare } from './prepare.js';
import { booleanOption } from './boolean-options.js';
import { withLiveOption } from '../live/option.js';

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
  // Only MAS adopts: the lines stay as they were where nothing was adopted.
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

export function applyCommand(io: Io, out: Output) {
  return defineCommand({
    builder: (y) =>
      withLiveOption(y)
        .positional('file', { type: 'string', demandOption: true, describe: 'the file declaring the users (YAML or JSON), or - for stdin' })
        .option(...booleanOption('ignore-policy', "skip the config's password_config.policy")),
    handler: async (args) => {
      const { config, accounts } = await prepare(args, io, out, { changes: true });
      const name = args.file === STDIN_ARG ? 'stdin' : args.file;
      const bytes = await readInput(args.file, name, io);
      const appServices = await loadAppServices(config.appServiceConfigFiles, config.serverName);
      const backend = accounts.applyBackend(appServices, { ignorePolicy: args.ignorePolicy, randomBytes: io.randomBytes });
      const res = await applyFile(bytes, backend, {
        name,
        piped: args.file === STDIN_ARG,
        cwd: io.cwd,
        concurrency: hashConcurrency(io.env),
        progress: (total) => progressBar(io.stderr, 'hashing', total),
      });
      const next = await accounts.afterApply(res);
      for (const w of [...res.warnings, ...next.warnings]) out.warn(w);
      const shown = res.users.map(({ password, ...u }) => (password !== undefined && !args.dryRun ? { ...u, password } : u));
      const json: JsonOf<'apply'> = {
        file: name,
        changed: res.changed,
        dry_run: args.dryRun,
        created: count(res, 'create'),
        // 0 where Synapse owns logins: only MAS adopts.
        adopted: count(res, 'adopt'),
        updated: count(res, 'update'),
        demoted: count(res, 'demote'),
        unchanged: count(res, 'unchanged'),
        users: shown,
        notes: next.notes,
        synapse_running: next.synapseRunning,
        restart_needed: next.restartNeeded,
        applied_via: next.appliedVia,
      };
      out.success([...textLines(res, name, args.dryRun), ...next.notes], json);
    },
  });
}
