// The harness's own start-up check: a race in it failed CI once (an empty pid file read as a
// dead Synapse), so it is tested against real processes and a real file.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pidFileWatcher, terminate } from './harness/process.js';

describe('pidFileWatcher', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function pidFile(): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'sab-pid-'));
    dirs.push(dir);
    return path.join(dir, 'homeserver.pid');
  }

  it('reads a missing or empty pid file (the daemon has not written it yet) as starting', () => {
    const file = pidFile();
    const watch = pidFileWatcher(file);
    expect(watch()).toBe('starting');
    writeFileSync(file, '');
    expect(watch()).toBe('starting');
  });

  it('follows the pid once written: alive while it runs, died after it exits, even if the file goes', async () => {
    const file = pidFile();
    const watch = pidFileWatcher(file);
    writeFileSync(file, '');
    expect(watch()).toBe('starting');
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    writeFileSync(file, String(child.pid));
    expect(watch()).toBe('alive');
    await terminate(child.pid!);
    await exited;
    // Synapse's atexit handler removes its pid file; the watcher remembers the pid.
    rmSync(file);
    expect(watch()).toBe('died');
  });
});
