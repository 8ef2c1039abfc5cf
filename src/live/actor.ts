// Who makes a change through the running Synapse's Admin API, and the clean-up afterwards. Synapse
// caches nothing about a token it has never seen, so a token written into the database works at
// its first request; the same holds for a user it has never seen (live-server-facts.md 5.3, 5.4).
import type { SynapseConfig } from '../config/types.js';
import { ToolError } from '../errors.js';
import { createUsers } from '../synapse/user-operations.js';
import { issueToken, type RandomBytes } from '../synapse/tokens.js';
import { isUsable, selectUsers, toUserRow, type UserContext } from '../synapse/user-store.js';
import { leftoverHelpers } from '../synapse/live-helpers.js';
import { HELPER_PREFIX, isHelperName } from '../synapse/live-helper-name.js';
import { describeCall, describeReply, request, TransportError, userPath, type ApiCall, type ApiReply, type ConfirmedServer } from './http.js';

/** Long enough for any run, short enough that a run killed between steps leaves nothing lasting. */
export const TOKEN_LIFETIME_MS = 5 * 60_000;

/** The Admin API could not be used, or failed: exit 4, with what was already done. */
export class AdminApiError extends ToolError {
  constructor(message: string) {
    super(message, 'admin_api');
  }
}

/** A 403 to an admin that passed the probe: another run took its rights away meanwhile. */
export class ActorNotAdminError extends AdminApiError {}

export interface LiveDeps {
  config: SynapseConfig;
  /** A committed transaction on Synapse's database: a token must be there for Synapse to see it. */
  write<T>(fn: (ctx: UserContext) => Promise<T>): Promise<T>;
  randomBytes: RandomBytes;
  /** Progress for the user, one line each (never a token). */
  say(line: string): void;
}

export interface Actor {
  userId: string;
  /** Made for this run at database level, deactivated through the API at the end. */
  helper: boolean;
}

/** One token the tool minted, held only in memory, and the calls made with it. */
export class ApiSession {
  readonly done: string[] = [];
  private closed = false;

  constructor(
    readonly server: ConfirmedServer,
    readonly actor: Actor,
    private readonly token: string,
    private readonly deps: LiveDeps,
  ) {}

  /** One call; a transport failure or an answer other than 2xx is an AdminApiError naming what was done. */
  async call(call: ApiCall, what: string): Promise<ApiReply> {
    const reply = await this.send(call);
    if (reply.status < 200 || reply.status > 299) {
      const ErrorClass = reply.status === 403 && !this.actor.helper ? ActorNotAdminError : AdminApiError;
      throw new ErrorClass(
        `Synapse's Admin API refused ${describeCall(call)} (${what}) on ${this.server.endpoint.label}: ${describeReply(reply)}. ${this.doneSoFar()}`,
      );
    }
    this.done.push(what);
    return reply;
  }

  /** A call whose answer the caller judges (a 403 that means "try a helper"). */
  async send(call: ApiCall): Promise<ApiReply> {
    try {
      return await request(this.server.endpoint, call, this.token);
    } catch (err) {
      if (err instanceof TransportError) throw new AdminApiError(`${err.message}. ${this.doneSoFar()}`);
      throw err;
    }
  }

  doneSoFar(): string {
    return this.done.length === 0 ? 'Nothing was changed.' : `Done before this: ${this.done.join('; ')}.`;
  }

  /**
   * Ends the token: an admin's by logging it out, a helper by deactivating it (with erase), which
   * ends every token it has; then checks that the token is refused. Returns problems as warnings:
   * the change itself is done by then.
   */
  async close(): Promise<string[]> {
    if (this.closed) return [];
    this.closed = true;
    const { actor } = this;
    const end: ApiCall = actor.helper
      ? { method: 'POST', path: userPath('/_synapse/admin/v1/deactivate/', actor.userId), body: { erase: true } }
      : { method: 'POST', path: '/_matrix/client/v3/logout', body: {} };
    const expires = `It expires by itself within ${TOKEN_LIFETIME_MS / 60_000} minutes.`;
    try {
      const reply = await this.send(end);
      if (reply.status !== 200) return [`Ending the tool's token for ${actor.userId} failed (${describeCall(end)}: ${describeReply(reply)}). ${expires}`];
      const after = await this.send({ method: 'GET', path: '/_matrix/client/v3/account/whoami' });
      if (after.status !== 401) return [`The tool's token for ${actor.userId} still answers ${after.status} after ${describeCall(end)}. ${expires}`];
      if (actor.helper) {
        try {
          await this.deps.write((ctx) => retireHelpers(ctx, [actor.userId]));
        } catch (err) {
          // The run's changes are made and every token is ended: this must not turn into a failure.
          const why = err instanceof Error ? err.message : String(err);
          return [
            `Helper ${actor.userId} is deactivated and its token refused, but clearing its admin flag in the database failed: ${why} ` +
              'list-admins shows it as a deactivated admin; nobody can log in as it.',
          ];
        }
        this.deps.say(`Deactivated helper ${actor.userId}; its token is refused.`);
      } else {
        this.deps.say(`Logged out the tool's token for ${actor.userId}.`);
      }
      return [];
    } catch (err) {
      if (err instanceof AdminApiError) return [`Ending the tool's token for ${actor.userId} failed: ${err.message} ${expires}`];
      throw err;
    }
  }
}

/** A token for `userId`, expiring soon, with no device: Synapse has never seen it. */
async function mint(deps: LiveDeps, userId: string, forLogout = false): Promise<string> {
  const issued = await deps.write((ctx) => issueToken(ctx, userId, { expiresInMs: TOKEN_LIFETIME_MS, randomBytes: deps.randomBytes, forLogout }));
  return issued.accessToken;
}

/** Deletes a minted token Synapse never accepted (a 401: another database, or MAS). */
async function forget(deps: LiveDeps, token: string): Promise<void> {
  await deps.write(async (ctx) => {
    await ctx.db('access_tokens').where({ token }).delete();
  });
}

/**
 * The first call with a fresh token. When it gets no answer at all, Synapse has most likely never
 * seen the token, so deleting its row ends it at once (were it seen, its expiry still ends it).
 * An unknown token means another database or MAS: the row goes too, and the run stops there.
 */
async function firstCall(session: ApiSession, deps: LiveDeps, token: string, call: ApiCall): Promise<ApiReply> {
  let reply: ApiReply;
  try {
    reply = await session.send(call);
  } catch (err) {
    if (err instanceof AdminApiError) await forget(deps, token);
    throw err;
  }
  if (unknownToken(reply)) {
    await forget(deps, token);
    throw wrongServer(session.server, deps.config);
  }
  return reply;
}

/** Active, unlocked admins other than `exclude`, helpers left out, by name. */
async function usableAdmins(ctx: UserContext, exclude: string | undefined): Promise<string[]> {
  const rows = (await selectUsers(ctx).where({ admin: 1, is_guest: 0 }).whereNull('appservice_id').orderBy('name')).map(toUserRow);
  return rows.filter((u) => isUsable(u) && u.name !== exclude && !isHelperName(u.name)).map((u) => u.name);
}

/**
 * A deactivated helper has no token left for Synapse to check its cached admin flag against, so
 * the flag is cleared in the database: it is no admin for list-admins, check or a restart.
 */
async function retireHelpers(ctx: UserContext, helpers: readonly string[]): Promise<void> {
  await ctx.db('users').whereIn('name', [...helpers]).where({ deactivated: 1 }).update({ admin: 0 });
}

/** Asks Synapse whether this fresh token's user is an admin: 200, 403 (not in its eyes), or 401. */
async function probe(session: ApiSession, deps: LiveDeps, token: string): Promise<ApiReply> {
  return firstCall(session, deps, token, { method: 'GET', path: userPath('/_synapse/admin/v1/users/', session.actor.userId, '/admin') });
}

function unknownToken(reply: ApiReply): boolean {
  return reply.status === 401 && (reply.body as { errcode?: unknown } | undefined)?.errcode === 'M_UNKNOWN_TOKEN';
}

function wrongServer(server: ConfirmedServer, config: SynapseConfig): AdminApiError {
  return new AdminApiError(
    `The Synapse at ${server.endpoint.label} does not know a token the tool wrote into ${config.databaseSource === '--database-url' ? 'the database given with --database-url' : 'the database in ' + config.files.join(', ')}: ` +
      'it runs on another database, or its logins belong to matrix-authentication-service. Nothing was changed. ' +
      'Check that -c names the config of the Synapse that listens there, or run with --live never and restart Synapse.',
  );
}

/**
 * A session as an admin Synapse takes for one: an existing usable admin with a minted token, or,
 * when there is none or Synapse still thinks it is not an admin (403), a helper made for this run.
 */
async function openAdminSession(server: ConfirmedServer, deps: LiveDeps, opts: { exclude?: string } = {}): Promise<ApiSession> {
  const [admin] = await deps.write((ctx) => usableAdmins(ctx, opts.exclude));
  if (admin !== undefined) {
    const token = await mint(deps, admin);
    const session = new ApiSession(server, { userId: admin, helper: false }, token, deps);
    const reply = await probe(session, deps, token);
    if (reply.status === 200 && (reply.body as { admin?: unknown }).admin === true) {
      deps.say(`Acting as admin ${admin}, with a token the tool wrote (valid ${TOKEN_LIFETIME_MS / 60_000} minutes).`);
      return session;
    }
    // Synapse's cache still holds an older answer for this admin (a database-level promote).
    deps.say(`Synapse does not take ${admin} for an admin yet (${describeReply(reply)}): making a helper admin for this run.`);
    for (const w of await session.close()) deps.say(w);
  }
  return openHelperSession(server, deps);
}

async function openHelperSession(server: ConfirmedServer, deps: LiveDeps): Promise<ApiSession> {
  const localpart = `${HELPER_PREFIX}${deps.randomBytes(4).toString('hex')}`;
  const userId = `@${localpart}:${deps.config.serverName}`;
  // No password at all: the helper acts only through the token below, and nobody can log in as
  // it, even when an interrupted run leaves it behind.
  await deps.write(async (ctx) => {
    const taken = await createUsers(ctx, [
      {
        userId,
        localpart,
        admin: true,
        newUser: { passwordHash: null, displayname: localpart, userType: null, inDirectory: false, stats: deps.config.statsEnabled },
      },
    ]);
    if (taken.length > 0) throw new Error(`helper ${userId} already exists`);
  });
  const token = await mint(deps, userId);
  const session = new ApiSession(server, { userId, helper: true }, token, deps);
  deps.say(`Made helper admin ${userId} for this run, with a token the tool wrote (valid ${TOKEN_LIFETIME_MS / 60_000} minutes).`);
  const reply = await probe(session, deps, token);
  if (reply.status === 200) return session;
  const problems = await session.close();
  throw new AdminApiError(
    `The Synapse at ${server.endpoint.label} refused the helper admin ${userId} made for this run (${describeReply(reply)}). Nothing was changed.` +
      (problems.length > 0 ? ` ${problems.join(' ')}` : ''),
  );
}

/**
 * Runs `work` as an admin (see openAdminSession), finishing interrupted runs' helpers first. When
 * the admin loses its rights half-way (403: another run demoted it), a helper made for this run
 * takes over and `work` runs again: it must skip what it already did. Every token the tool
 * minted is ended before this returns; problems ending one come back as warnings.
 */
export async function asAdmin<T>(server: ConfirmedServer, deps: LiveDeps, opts: { exclude?: string }, work: (session: ApiSession) => Promise<T>): Promise<{ result: T; warnings: string[] }> {
  const warnings: string[] = [];
  let session = await openAdminSession(server, deps, opts);
  try {
    await finishLeftoverHelpers(session, deps);
    try {
      return { result: await work(session), warnings };
    } catch (err) {
      if (!(err instanceof ActorNotAdminError)) throw err;
      deps.say(`${session.actor.userId} lost its admin rights during the run (${err.message.split(': ').pop()}); a helper admin takes over.`);
      warnings.push(...(await session.close()));
      session = await openHelperSession(server, deps);
      return { result: await work(session), warnings };
    }
  } finally {
    warnings.push(...(await session.close()));
  }
}

/** Finishes interrupted runs: deactivates their helpers through the API. */
async function finishLeftoverHelpers(session: ApiSession, deps: LiveDeps): Promise<void> {
  const helpers = (await deps.write(leftoverHelpers)).filter((h) => h !== session.actor.userId);
  const finished: string[] = [];
  for (const helper of helpers) {
    const reply = await session.send({ method: 'POST', path: userPath('/_synapse/admin/v1/deactivate/', helper), body: { erase: true } });
    if (reply.status === 200) finished.push(helper);
    else deps.say(`Could not deactivate ${helper}, left by an interrupted run: ${describeReply(reply)}.`);
  }
  if (finished.length === 0) return;
  await deps.write((ctx) => retireHelpers(ctx, finished));
  deps.say(`Deactivated helper(s) left by an interrupted run: ${finished.join(', ')}.`);
}

/**
 * For --logout: a token of the user itself and POST /_matrix/client/v3/logout/all, which ends
 * every device and token of the user (and their pushers) as Synapse's own reset does, this token
 * included. No admin is needed, and a locked user is no obstacle: logout/all accepts its token.
 */
export async function logoutEverywhere(server: ConfirmedServer, deps: LiveDeps, userId: string): Promise<void> {
  const token = await mint(deps, userId, true);
  const session = new ApiSession(server, { userId, helper: false }, token, deps);
  const reply = await firstCall(session, deps, token, { method: 'POST', path: '/_matrix/client/v3/logout/all', body: {} });
  if (reply.status !== 200) {
    throw new AdminApiError(
      `Synapse refused POST /_matrix/client/v3/logout/all for ${userId} on ${server.endpoint.label}: ${describeReply(reply)}. ` +
        `The tool's token for it expires within ${TOKEN_LIFETIME_MS / 60_000} minutes.`,
    );
  }
  // A locked user's live token also gets a 401 (M_USER_LOCKED): only M_UNKNOWN_TOKEN says it is gone.
  const after = await session.send({ method: 'GET', path: '/_matrix/client/v3/account/whoami' });
  if (!unknownToken(after)) throw new AdminApiError(`After logout/all, a token of ${userId} still answers ${describeReply(after)}.`);
}
