// adopt <user>: give a user that exists only in Synapse a MAS account, as syn2mas does for one user
// (src/mas/adopt.ts). A command of its own rather than `register --adopt`: register makes a user
// whose name is free and refuses a taken one, while adopt takes an account that exists and carries
// what it has (its password hash, emails, SSO links, devices); neither may do the other's job.
import { loadAppServices } from '../config/appservice.js';
import { UsageError } from '../errors.js';
import type { Io } from '../io.js';
import type { Output } from '../output.js';
import { masPasswordsForNewPassword, obtainMasPasswordHash, passwordSourceGiven } from '../passwords/new-password.js';
import { booleanOption } from './boolean-options.js';
import { defineCommand, withUserPositional } from './define-command.js';
import type { GlobalOptions } from './global-options.js';
import { reportMasOperation } from './mas-report.js';
import { withPasswordOptions } from './password-options.js';
import { prepareForUser } from './prepare.js';
import type { AdoptInput } from '../mas/adopt.js';

function adoptOptions(y: import('yargs').Argv<GlobalOptions>) {
  return withPasswordOptions(withUserPositional(y)).option(
    ...booleanOption('admin', "may request admin in MAS (--no-admin: may not); default: Synapse's admin flag"),
  );
}

export function adoptCommand(io: Io, out: Output) {
  return defineCommand({
    builder: adoptOptions,
    handler: async (args) => {
      const prepared = await prepareForUser(args, io, out, { changes: true });
      const { config, user, read } = prepared;
      const mas = prepared.mas;
      if (mas === undefined) {
        throw new UsageError(
          `${config.files.join(', ')} does not hand logins to matrix-authentication-service (no matrix_authentication_service.enabled ` +
            'or experimental_features.msc3861.enabled): Synapse itself owns its users, so there is nothing to adopt. Use `promote` or `set-password`.',
        );
      }
      const [{ readSynapseAccount }, { adoptIntoMas, carriedPassword, checkAdoptable, refuseExistingMasUser }] = await Promise.all([
        import('../mas/adopt-source.js'),
        import('../mas/adopt.js'),
      ]);
      // A MAS user first (exit 6, whether or not Synapse has it), before anyone types a password;
      // adoptIntoMas asks again in its transaction.
      await mas.read((ctx) => refuseExistingMasUser(ctx, user));
      const account = await read((ctx) => readSynapseAccount(ctx, user.userId));
      checkAdoptable(account, await loadAppServices(config.appServiceConfigFiles, config.serverName));
      const admin = args.admin ?? account.admin;
      let password: AdoptInput['password'];
      let generated: string | undefined;
      if (passwordSourceGiven(args)) {
        const hashed = await obtainMasPasswordHash(args, io, out, mas.config, masPasswordsForNewPassword(mas.config));
        password = { hash: hashed.hash, version: hashed.version, source: 'new' as const };
        generated = hashed.generated;
      } else {
        const carried = carriedPassword(account, mas.config, config.password.pepper);
        if (carried.note !== undefined) out.warn(carried.note);
        password = carried.row && { ...carried.row, source: 'synapse' as const };
      }
      const res = await mas.write((ctx) => adoptIntoMas(ctx, account, { admin, password }));
      const showPassword = generated !== undefined && !args.dryRun;
      await reportMasOperation(
        out,
        args,
        res,
        {
          done:
            `Adopted ${res.userId} into MAS${admin ? ' (may request admin)' : ''}: ${carriedSummary(res.adopted)}.` +
            (showPassword ? `\nPassword: ${generated}` : ''),
          unchanged: `${res.userId} needs nothing.`,
        },
        { adopted: res.adopted, ...(showPassword ? { password: generated } : {}) },
      );
    },
  });
}

function carriedSummary(a: { password: string | null; emails: number; upstream_links: number; devices: number }): string {
  const password = a.password === 'synapse' ? 'its Synapse password' : a.password === 'new' ? 'a new password' : 'no password';
  return `${password}, ${a.emails} email address(es), ${a.upstream_links} upstream link(s), ${a.devices} device(s)`;
}
