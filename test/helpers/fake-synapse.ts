// A live process whose command line reads like Synapse's (`... -m synapse.app.homeserver`), for
// tests of running-server detection: the tool looks at what a pid runs, not only that it lives.
import { spawn } from 'node:child_process';

export interface FakeSynapse {
  pid: number;
  stop(): Promise<void>;
}

export async function startFakeSynapse(): Promise<FakeSynapse> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 300000)', '--', '-m', 'synapse.app.homeserver'], {
    stdio: 'ignore',
  });
  await new Promise((started) => child.once('spawn', started));
  const exited = new Promise((done) => child.once('exit', done));
  return {
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
