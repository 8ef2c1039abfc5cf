// What happens after a change written into Synapse's tables: a running Synapse caches some of it
// (admin flag, account state, tokens) and shows it only once restarted. A store that makes the
// change through the running Synapse itself (issue 19's --live) needs none of this.
import type { SynapseConfig } from '../config/types.js';
import { restartAdvice } from '../synapse/messages.js';
import { NO_FOLLOW_UP, type ServerFollowUp } from './outcome.js';

/**
 * After a committed change: whether Synapse runs, and when it caches what changed (`cached` says
 * what it caches, or is undefined), the advice to restart it. Nothing on a dry run.
 */
export type SynapseFollowUp = (changed: boolean, cached: string | undefined) => Promise<ServerFollowUp>;

export function restartFollowUp(config: SynapseConfig, dryRun: boolean): SynapseFollowUp {
  return async (changed, cached) => {
    if (dryRun) return { ...NO_FOLLOW_UP, appliedVia: 'database' };
    const { detectRunningSynapse } = await import('../synapse/live-server.js');
    const live = await detectRunningSynapse(config, {});
    const restartNeeded = live.running && changed && cached !== undefined;
    return {
      warnings: restartNeeded ? [restartAdvice(live.evidence, cached)] : [],
      notes: [],
      synapseRunning: live.running,
      restartNeeded,
      appliedVia: 'database',
    };
  };
}
