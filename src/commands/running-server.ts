// After a command changed users: say what a running Synapse will not see until it restarts.
import type { SynapseConfig } from '../config/types.js';
import type { Output } from '../output.js';

/**
 * A running Synapse caches what we just changed (admin flag, account state, tokens); tell the
 * user what it will not see until it restarts.
 */
export async function warnIfRunning(config: SynapseConfig, out: Output, changed: boolean, what: string): Promise<boolean> {
  const { detectRunningSynapse } = await import('../synapse/live-server.js');
  const live = await detectRunningSynapse(config, {});
  if (live.running && changed) {
    out.warn(`Synapse looks like it is running (${live.evidence.join('; ')}). ${what} Restart Synapse for the change to show.`);
  }
  return live.running;
}
