// apply's password files when several are FIFOs that nobody writes: each open of one holds a libuv
// thread, so they must never take the whole pool. A separate process with a pool of 4 threads (and a
// kill after a bound), since a stall would hang a vitest worker for good.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sab-fifos-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

it('six FIFOs without a writer beside a regular file are each refused, with a pool of four threads', async () => {
  const users = Array.from({ length: 6 }, (_, i) => `f${i}`);
  for (const u of users) execFileSync('mkfifo', [join(dir, u)]);
  await writeFile(join(dir, 'plain'), 'a fine password\n');
  const entries = [...users, 'plain'].map((u, i) => ({ userId: `@${u}:example.test`, line: i + 2, password: { kind: 'file', path: u } }));
  const script = `
    const { readPasswordFiles } = await import('./src/apply/passwords.ts');
    const state = { users: ${JSON.stringify(entries)}, updatePassword: 'on_create' };
    const { passwords, problems } = await readPasswordFiles(state, () => false, ${JSON.stringify(dir)}, 1000);
    console.log(JSON.stringify({ passwords: [...passwords], problems: problems.map((p) => p.message) }));
  `;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: join(import.meta.dirname, '../..'),
    env: { ...process.env, UV_THREADPOOL_SIZE: '4' },
    timeout: 20_000,
    killSignal: 'SIGKILL',
    encoding: 'utf8',
  });
  expect(run.signal, `stalled: ${run.stderr}`).toBeNull();
  expect(run.status, run.stderr).toBe(0);
  const out = JSON.parse(run.stdout) as { passwords: [string, string][]; problems: string[] };
  expect(out.passwords).toEqual([['@plain:example.test', 'a fine password']]);
  expect(out.problems).toHaveLength(6);
  for (const m of out.problems) expect(m).toMatch(/is a named pipe \(FIFO\), and nothing opened it for writing within 1 second,/);
}, 30_000);
