// matrix-authentication-service's own config, as far as this tool needs it: where its database is,
// how it hashes passwords, who its policy makes admin, and which homeserver it serves.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError, ToolError } from '../errors.js';
import type { OsUser, PostgresConnection } from '../libpq/settings.js';
import { masDatabaseFromConfig, masDatabaseFromUrl, type MasDatabase } from './config-database.js';
import {
  admerge,
  boolean,
  defaultMasConfigLocations,
  entry,
  environmentLayer,
  fileOf,
  integer,
  looksLikeMasConfig,
  mapping,
  readMasYaml,
  text,
  type ConfigLayer,
  type ConfigNode,
} from './config-files.js';

export type MasPasswordAlgorithm = 'argon2id' | 'bcrypt' | 'pbkdf2';

export interface MasPasswordScheme {
  version: number;
  algorithm: MasPasswordAlgorithm;
  /** NFKC before hashing (and before the pepper). */
  unicodeNormalization: boolean;
  /** bcrypt's cost (default 12); unused by the other algorithms. */
  cost: number;
  /** The pepper: `secret` as UTF-8 bytes, or `secret_file`'s raw bytes (MAS does not trim them). */
  secret?: Buffer;
}

export interface MasPasswords {
  enabled: boolean;
  /** zxcvbn score 0-4 a new password must reach (default 3). */
  minimumComplexity: number;
  /** Sorted by version, ascending: the last one hashes new passwords. */
  schemes: MasPasswordScheme[];
  /** The file that set `passwords` (for messages), absent for MAS's defaults. */
  file?: string;
}

export interface MasConfig {
  /** Config files read, in merge order; empty when only --mas-database-url was given. */
  files: string[];
  warnings: string[];
  database: { engine: 'postgres'; connection: PostgresConnection };
  /** Where the database setting came from, for messages (a file or "--mas-database-url"). */
  databaseSource: string;
  /** Undefined when no MAS config file was read: hashing then needs --mas-config. */
  passwords?: MasPasswords;
  /** policy.data.admin_users: usernames MAS's policy lets ask for admin whatever their row says. */
  adminUsers: string[];
  /** upstream_oauth2.providers; undefined when no MAS config file was read. */
  upstreamProviders?: MasUpstreamProvider[];
}

/** An upstream_oauth2.providers entry, as far as `adopt` maps Synapse's SSO links to it. */
export interface MasUpstreamProvider {
  /** `id`: the ULID MAS syncs into upstream_oauth_providers. */
  id: string | undefined;
  /** `synapse_idp_id`: the auth_provider Synapse's user_external_ids names it by (oidc-<idp_id>). */
  synapseIdpId: string | undefined;
  /** Where the entry is, for messages. */
  where: string;
}

export interface LoadMasConfigOptions {
  /** --mas-config, repeatable. */
  configPaths: string[];
  /** --mas-database-url. */
  databaseUrl?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** The Synapse config files, for the message when no MAS config is found. */
  synapseFiles: string[];
  /** Synapse's server_name: MAS's matrix.homeserver must be the same. */
  serverName: string;
  /** Where to look without --mas-config or $MAS_CONFIG; defaults to defaultMasConfigLocations(cwd). */
  locations?: string[];
  /** Tests pass these; see LibpqContext and SqlxContext. */
  osUser?: () => OsUser;
  socketDirs?: readonly string[];
}

// crates/config/src/sections/matrix.rs default_homeserver().
const MAS_DEFAULT_HOMESERVER = 'localhost:8008';
const ALGORITHMS: readonly MasPasswordAlgorithm[] = ['argon2id', 'bcrypt', 'pbkdf2'];
const BCRYPT_DEFAULT_COST = 12;

export async function loadMasConfig(opts: LoadMasConfigOptions): Promise<MasConfig> {
  const warnings: string[] = [];
  try {
    return await readAndInterpret(opts, warnings);
  } catch (err) {
    // A warning (a usual place that could not be read, a file skipped) is often the explanation.
    if (err instanceof ToolError && warnings.length > 0) err.message += warnings.map((w) => `\nNote: ${w}`).join('');
    throw err;
  }
}

async function readAndInterpret(opts: LoadMasConfigOptions, warnings: string[]): Promise<MasConfig> {
  const layers = await findLayers(opts, warnings);
  const files = layers.map((l) => l.source);
  if (files.length === 0 && opts.databaseUrl === undefined) throw noConfig(opts);

  const env = environmentLayer(opts.env);
  if (env && files.length > 0) {
    const names = [...collectWhere(env.root)].join(', ');
    warnings.push(`MAS reads ${names} from the environment under its config files, and so does this tool.`);
  }
  const root = [env, ...layers].filter((l): l is ConfigLayer => l !== undefined).reduce<ConfigNode>(
    (merged, layer) => admerge(merged, layer.root),
    { kind: 'map', entries: new Map(), where: 'MAS defaults' },
  );
  const ctx = { env: opts.env, cwd: opts.cwd, osUser: opts.osUser, socketDirs: opts.socketDirs };

  let database: MasDatabase;
  if (opts.databaseUrl !== undefined) {
    database = masDatabaseFromUrl(opts.databaseUrl, ctx);
  } else {
    database = await masDatabaseFromConfig(entry(root, 'database'), files, ctx);
  }
  warnings.push(...database.warnings);
  if (files.length === 0) {
    return { files, warnings, database: { engine: 'postgres', connection: database.connection }, databaseSource: database.source, adminUsers: [] };
  }

  checkHomeserver(root, files, opts);
  return {
    files,
    warnings,
    database: { engine: 'postgres', connection: database.connection },
    databaseSource: database.source,
    passwords: await passwords(entry(root, 'passwords'), opts.cwd, warnings),
    adminUsers: adminUsers(root),
    upstreamProviders: upstreamProviders(root),
  };
}

function collectWhere(node: ConfigNode): Set<string> {
  if (node.kind === 'scalar') return new Set([node.where]);
  const children = node.kind === 'map' ? [...node.entries.values()] : node.items;
  return new Set(children.flatMap((c) => [...collectWhere(c)]));
}

async function findLayers(opts: LoadMasConfigOptions, warnings: string[]): Promise<ConfigLayer[]> {
  const named = async (paths: string[], origin: string): Promise<ConfigLayer[]> => {
    const layers: ConfigLayer[] = [];
    for (const path of paths) {
      const layer = await readMasYaml(resolve(opts.cwd, path), origin);
      if (layer) layers.push(layer);
      else warnings.push(`The MAS config ${resolve(opts.cwd, path)} is empty; nothing is read from it.`);
    }
    return layers;
  };
  // Relative paths are taken from the working directory; figment would also search its parents.
  if (opts.configPaths.length > 0) return named(opts.configPaths, '--mas-config');
  if (opts.env.MAS_CONFIG !== undefined) {
    // mas-cli splits on ":" and tries every part; an empty part names no file.
    const paths = opts.env.MAS_CONFIG.split(':').filter((p) => p !== '');
    if (paths.length === 0) throw new ConfigError('$MAS_CONFIG is set but names no file. Set it to MAS\'s config file(s), separated by ":", or unset it.');
    return named(paths, '$MAS_CONFIG');
  }
  const found: ConfigLayer[] = [];
  for (const path of opts.locations ?? defaultMasConfigLocations(opts.cwd)) {
    const layer = await readMasYaml(path, 'a usual place').catch((err: unknown) => {
      // A place we may not read, or a file that is not YAML: say so, and keep looking.
      if (err instanceof ConfigError && !/does not exist/.test(err.message)) warnings.push(err.message);
      return undefined;
    });
    if (layer === undefined) continue;
    if (!looksLikeMasConfig(layer)) {
      warnings.push(`${path} is not read: it does not look like a MAS config (no matrix.homeserver and secrets sections).`);
      continue;
    }
    found.push(layer);
  }
  const [chosen, ...others] = found;
  if (chosen && others.length > 0) {
    warnings.push(`Using the MAS config ${chosen.source}; ${others.map((l) => l.source).join(' and ')} also exist. If MAS uses another, pass it with --mas-config.`);
  }
  return chosen ? [chosen] : [];
}

function noConfig(opts: LoadMasConfigOptions): ConfigError {
  const places = opts.locations ?? defaultMasConfigLocations(opts.cwd);
  return new ConfigError(
    `${opts.synapseFiles.join(', ')} hand${opts.synapseFiles.length === 1 ? 's' : ''} logins to matrix-authentication-service (MAS), ` +
      `but no MAS config was found: $MAS_CONFIG is not set, and none of ${places.join(', ')} is a MAS config. ` +
      'Pass the files MAS is started with: --mas-config PATH (repeatable, merged as mas-cli --config merges them), ' +
      'set $MAS_CONFIG, or give MAS\'s database with --mas-database-url postgresql://...',
  );
}

/** A MAS config for another homeserver is the wrong one: its users and admins are not this server's. */
function checkHomeserver(root: ConfigNode, files: string[], opts: LoadMasConfigOptions): void {
  const matrix = mapping(entry(root, 'matrix'), 'matrix');
  const node = entry(matrix, 'homeserver');
  const homeserver = text(node, 'matrix.homeserver') ?? MAS_DEFAULT_HOMESERVER;
  if (homeserver === opts.serverName) return;
  const masSide = node ? `matrix.homeserver "${homeserver}" (${node.where})` : `no matrix.homeserver in ${files.join(', ')} (MAS's default is "${homeserver}")`;
  throw new ConfigError(
    `The MAS config serves another homeserver: ${masSide}, but Synapse's server_name is "${opts.serverName}" (${opts.synapseFiles.join(', ')}). ` +
      'Pass the MAS config of this homeserver with --mas-config.',
  );
}

async function passwords(node: ConfigNode | undefined, cwd: string, warnings: string[]): Promise<MasPasswords> {
  const section = mapping(node, 'passwords');
  const enabled = boolean(entry(section, 'enabled'), 'passwords.enabled') ?? true;
  const complexityNode = entry(section, 'minimum_complexity');
  const minimumComplexity = integer(complexityNode, 'passwords.minimum_complexity', 0, 255) ?? 3;
  if (minimumComplexity > 4) {
    warnings.push(`passwords.minimum_complexity (${complexityNode!.where}) is ${minimumComplexity}, above the highest zxcvbn score (4): MAS accepts no new password.`);
  }
  const schemesNode = entry(section, 'schemes');
  if (schemesNode !== undefined && schemesNode.kind !== 'seq') {
    throw new ConfigError(`passwords.schemes (${schemesNode.where}) must be a list of hashing schemes; MAS refuses anything else too.`);
  }
  const file = section ? fileOf(section) : undefined;
  const schemes = schemesNode
    ? await Promise.all(schemesNode.items.map((s, i) => scheme(s, `passwords.schemes[${i}]`, cwd, enabled)))
    : [{ version: 1, algorithm: 'argon2id' as const, unicodeNormalization: false, cost: BCRYPT_DEFAULT_COST }];
  // MAS checks these only when passwords are enabled (PasswordsConfig::validate and load).
  if (enabled) {
    if (schemes.length === 0) {
      throw new ConfigError(`passwords.schemes (${schemesNode!.where}) is empty; MAS needs at least one hashing scheme while passwords are enabled.`);
    }
    const versions = schemes.map((s) => s.version);
    const repeated = versions.find((v, i) => versions.indexOf(v) !== i);
    if (repeated !== undefined) {
      throw new ConfigError(
        `passwords.schemes in ${file} has version ${repeated} more than once (lists in several MAS config files are joined); MAS refuses that too. Give each scheme its own version.`,
      );
    }
  }
  schemes.sort((a, b) => a.version - b.version);
  return { enabled, minimumComplexity, schemes, ...(file ? { file } : {}) };
}

async function scheme(node: ConfigNode, key: string, cwd: string, readSecret: boolean): Promise<MasPasswordScheme> {
  const map = mapping(node, key)!;
  const get = (k: string) => entry(map, k);
  const version = integer(get('version'), `${key}.version`, 0, 65535);
  if (version === undefined) throw new ConfigError(`${key} (${map.where}) has no version; MAS needs one for every scheme.`);
  const algorithmNode = get('algorithm');
  const algorithm = text(algorithmNode, `${key}.algorithm`);
  if (algorithm === undefined || !ALGORITHMS.includes(algorithm as MasPasswordAlgorithm)) {
    throw new ConfigError(`${key}.algorithm (${(algorithmNode ?? map).where}) must be one of ${ALGORITHMS.join(', ')}; MAS refuses anything else.`);
  }
  const secretNode = get('secret');
  const secretFileNode = get('secret_file');
  if (readSecret && secretNode && secretFileNode) {
    throw new ConfigError(`${key}.secret (${secretNode.where}) and ${key}.secret_file (${secretFileNode.where}) are both set; MAS refuses that too. Keep one.`);
  }
  const secret = text(secretNode, `${key}.secret`);
  const secretFile = text(secretFileNode, `${key}.secret_file`);
  const result: MasPasswordScheme = {
    version,
    algorithm: algorithm as MasPasswordAlgorithm,
    unicodeNormalization: boolean(get('unicode_normalization'), `${key}.unicode_normalization`) ?? false,
    cost: integer(get('cost'), `${key}.cost`, 0, 4294967295) ?? BCRYPT_DEFAULT_COST,
  };
  if (!readSecret) return result;
  if (secret !== undefined) result.secret = Buffer.from(secret, 'utf8');
  if (secretFile !== undefined) result.secret = await readSecretFile(resolve(cwd, secretFile), `${key}.secret_file`, secretFileNode!);
  return result;
}

/** MAS reads secret_file as raw bytes (tokio::fs::read): a trailing newline is part of the pepper. */
async function readSecretFile(path: string, key: string, node: ConfigNode): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new ConfigError(`Cannot read ${key} ${path} (${node.where}): ${(err as NodeJS.ErrnoException).code}. Run the tool as a user who may read it, or fix the path.`);
  }
}

function adminUsers(root: ConfigNode): string[] {
  const data = mapping(entry(mapping(entry(root, 'policy'), 'policy'), 'data'), 'policy.data');
  const list = entry(data, 'admin_users');
  if (list === undefined) return [];
  if (list.kind !== 'seq') throw new ConfigError(`policy.data.admin_users (${list.where}) must be a list of usernames.`);
  return list.items.map((item, i) => text(item, `policy.data.admin_users[${i}]`)!);
}

function upstreamProviders(root: ConfigNode): MasUpstreamProvider[] {
  const list = entry(mapping(entry(root, 'upstream_oauth2'), 'upstream_oauth2'), 'providers');
  if (list === undefined) return [];
  if (list.kind !== 'seq') throw new ConfigError(`upstream_oauth2.providers (${list.where}) must be a list of providers.`);
  return list.items.map((item, i) => {
    const provider = mapping(item, `upstream_oauth2.providers[${i}]`)!;
    return {
      id: text(entry(provider, 'id'), `upstream_oauth2.providers[${i}].id`),
      synapseIdpId: text(entry(provider, 'synapse_idp_id'), `upstream_oauth2.providers[${i}].synapse_idp_id`),
      where: provider.where,
    };
  });
}
