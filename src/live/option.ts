// The --live option, declared by the commands that change what a running Synapse caches. Kept
// apart from the rest of src/live so that parsing a command line loads nothing more.
import type { Argv } from 'yargs';

export const LIVE_MODES = ['auto', 'always', 'never'] as const;
export type LiveMode = (typeof LIVE_MODES)[number];

export function withLiveOption<T>(y: Argv<T>) {
  return y.option('live', {
    choices: LIVE_MODES,
    default: 'auto' as LiveMode,
    requiresArg: true,
    describe:
      'change a running Synapse through its Admin API, so the change shows at once (auto: when Synapse runs and a client listener answers; always: or exit 4; never: database only, restart needed)',
  });
}
