// How a command module declares itself to yargs with types that follow from its builder: the
// handler's arguments, the shared <user> positional, and the one cast yargs' types need.
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { GlobalOptions, OptionsOf } from './global-options.js';

/** What a handler receives, as its builder declares it: the global options and the command's own. */
export type ArgsOf<B> = ArgumentsCamelCase<OptionsOf<B>>;

/** A command as its module gives it: the catalog adds its heading (`command` and `describe`). */
export interface CommandSpec<A> {
  builder: (y: Argv<GlobalOptions>) => Argv<A>;
  handler: (args: ArgumentsCamelCase<A>) => Promise<void>;
}

/** A yargs command without its heading, which the catalog adds. */
export type CommandBody = Omit<CommandModule, 'command' | 'describe'>;

/**
 * A yargs command whose handler's argument type is inferred from its builder, so the two cannot
 * disagree. yargs types a command list as one module type for all; the one cast is here.
 */
export function defineCommand<A>(spec: CommandSpec<A>): CommandBody {
  return spec as unknown as CommandBody;
}

/** The `<user>` positional of every command about one user. */
export function withUserPositional<T>(y: Argv<T>) {
  return y.positional('user', {
    describe: 'a localpart (alice) or a full user ID (@alice:example.org) of this server',
    type: 'string',
    demandOption: true,
  });
}

export type UserArgs = ArgsOf<typeof withUserPositional<GlobalOptions>>;
