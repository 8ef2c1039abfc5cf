// Issue 7 item 6: is Synapse running? Asked of a real Synapse run as systemd runs it: in the
// foreground, no pid file, its only listener a unix socket; and of a stale pid file whose pid now
// belongs to another program.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eContext } from './harness/context.js';
import { Homeserver } from './harness/homeserver.js';
import { waitFor } from './harness/net.js';
import { isAlive, terminate } from './harness/process.js';
import { scriptsDir } from './harness/paths.js';
import { okJson, runTool } from './harness/tool.js';

const ctx = e2eContext();

/** GET /health over a unix socket: Synapse's answer, or undefined while nothing answers. */
function healthOverSocket(socketPath: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const request = http.get({ socketPath, path: '/health', agent: false, timeout: 2000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(response.statusCode === 200 ? body : undefined));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}

describe('a foreground Synapse listening only on a unix socket, with no pid file', () => {
  let hs: Homeserver;
  let socketPath: string;
  let synapse: ChildProcess | undefined;
  let sleeper: ChildProcess | undefined;

  /** The tool on this homeserver's config, plus one more file that replaces some top-level keys. */
  function toolWith(override: Record<string, unknown> | undefined, args: string[], input?: string) {
    const extra: string[] = [];
    if (override) {
      const file = path.join(hs.dir, `override-${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(file, JSON.stringify(override));
      extra.push('-c', file);
    }
    return runTool([...hs.configArgs, ...extra, ...args], { input });
  }

  beforeAll(async () => {
    // Where Homeserver.create puts this homeserver's directory.
    socketPath = path.join(ctx.runDir, 'hs', 'live-sock', 'synapse.sock');
    hs = await Homeserver.create(ctx, {
      name: 'live-sock',
      engine: 'sqlite',
      bcryptRounds: 4,
      extra: {
        // No pid_file at all: undefined drops the generated one from the YAML.
        pid_file: undefined,
        listeners: [{ path: socketPath, type: 'http', x_forwarded: true, resources: [{ names: ['client'], compress: false }] }],
      },
    });
    expect(path.dirname(socketPath)).toBe(hs.dir);
    // in-chroot.sh execs its way down to python3, so this child's pid becomes Synapse's own,
    // as under systemd's Type=simple/notify: nothing else knows the pid.
    synapse = spawn('bash', [path.join(scriptsDir, 'in-chroot.sh'), ctx.chroot, ctx.runDir, '--',
      'python3', '-m', 'synapse.app.homeserver', ...hs.configArgs], { stdio: 'ignore' });
    const exited = new Promise<void>((done) => synapse!.once('exit', () => done()));
    let gone = false;
    void exited.then(() => (gone = true));
    await waitFor(
      async () => {
        if (gone) throw new Error(`the foreground Synapse exited during start-up:\n${hs.logTail()}`);
        return (await healthOverSocket(socketPath)) === 'OK' ? true : undefined;
      },
      90_000,
      () => `Synapse did not answer /health on ${socketPath} within 90 s:\n${hs.logTail()}`,
    );
    expect(existsSync(hs.pidFile)).toBe(false);
  });

  afterAll(async () => {
    if (synapse?.pid !== undefined) await terminate(synapse.pid);
    if (sleeper?.pid !== undefined) await terminate(sleeper.pid);
    await hs?.destroy();
  });

  it('check says running, because the socket answered', async () => {
    const json = okJson(await toolWith(undefined, ['--json', 'register', 'root', '--admin', '--password-stdin'], 'Root-pw-1-long'));
    expect(json.created).toBe(true);
    const check = okJson(await toolWith(undefined, ['--json', 'check']));
    expect(check.synapse_running).toBe(true);
    expect(check.synapse_running_evidence).toEqual([`unix socket ${socketPath} answered OK on /health`]);
  });

  it('a promote goes through the Admin API over the socket (issue 19); with --live never it warns that Synapse must restart', async () => {
    okJson(await toolWith(undefined, ['--json', 'register', 'bob', '--no-admin', '--password-stdin'], 'Bob-pw-1-long'));
    const live = okJson(await toolWith(undefined, ['--json', 'promote', 'bob']));
    expect(live).toMatchObject({ changed: true, applied_via: 'admin-api', restart_needed: false });
    expect(live.notes.join('\n')).toContain(`answers at unix socket ${socketPath}.`);
    expect(live.notes.join('\n')).toContain(`Logged out the tool's token for @root:`);
    okJson(await toolWith(undefined, ['--json', 'register', 'alice', '--no-admin', '--password-stdin'], 'Alice-pw-1-long'));
    const run = await toolWith(undefined, ['--json', 'promote', 'alice', '--live', 'never']);
    expect(okJson(run)).toMatchObject({ changed: true, synapse_running: true, restart_needed: true });
    expect(run.stderr).toMatch(/Synapse looks like it is running \(unix socket .*\).*Restart Synapse/);
  });

  it('a pid file naming this Synapse counts: its command line is Debian\'s python3 -m synapse.app.homeserver', async () => {
    const pidFile = path.join(hs.dir, 'real.pid');
    writeFileSync(pidFile, `${synapse!.pid}\n`);
    const check = okJson(await toolWith({ pid_file: pidFile, listeners: [] }, ['--json', 'check']));
    expect(check.synapse_running).toBe(true);
    expect(check.synapse_running_evidence).toEqual([`pid file ${pidFile} names running Synapse process ${synapse!.pid}`]);
  });

  it('after it stops, a stale pid file naming a live `sleep` does not make it "running"', async () => {
    await terminate(synapse!.pid!);
    expect(isAlive(synapse!.pid!)).toBe(false);
    // Twisted removes its socket on a clean stop.
    expect(existsSync(socketPath)).toBe(false);
    sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
    const pidFile = path.join(hs.dir, 'stale.pid');
    writeFileSync(pidFile, `${sleeper.pid}\n`);
    const check = okJson(await toolWith({ pid_file: pidFile }, ['--json', 'check']));
    expect(check.synapse_running).toBe(false);
    expect(check.synapse_running_evidence).toEqual([]);
    const human = await toolWith({ pid_file: pidFile }, ['check']);
    expect(human.stdout).toMatch(new RegExp(`Synapse: +not running \\(pid file ${pidFile} names process ${sleeper.pid} \\(sleep\\), which is not Synapse\\)`));
  });
});
