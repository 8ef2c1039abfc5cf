// User IDs that application services reserve, as Synapse's registration checks them
// (synapse/handlers/register.py check_user_id_not_appservice_exclusive, synapse/appservice).
import { ConfigError } from '../errors.js';

export interface UserNamespace {
  regex: RegExp;
  /** The regex as written in the registration file. */
  source: string;
  exclusive: boolean;
}

export interface AppServiceUsers {
  file: string;
  id: string;
  /** @sender_localpart:server_name, reserved like an exclusive namespace. */
  sender: string;
  /** The `users` namespaces in file order: the first whose regex matches decides. */
  namespaces: UserNamespace[];
}

export interface AppServiceClaim {
  file: string;
  id: string;
  /** Why the app service owns the user ID, for messages. */
  reason: string;
}

export async function loadAppServices(files: string[], serverName: string): Promise<AppServiceUsers[]> {
  return Promise.all(files.map((file) => loadAppService(file, serverName)));
}

async function loadAppService(file: string, serverName: string): Promise<AppServiceUsers> {
  // The YAML parser comes with the config loader; the matching below is used without it too.
  const { isMapping, pyGet, readSynapseYaml } = await import('./yaml.js');
  const data = await readSynapseYaml(file, 'It is listed in app_service_config_files: fix the path or remove it from the list.');
  const invalid = (what: string): ConfigError =>
    new ConfigError(`App service registration ${file}: ${what}. Synapse refuses it too: fix the file or remove it from app_service_config_files.`);
  if (!isMapping(data)) throw invalid('not a key-value mapping');
  const { id, sender_localpart: senderLocalpart, namespaces } = data;
  if (typeof id !== 'string') throw invalid('id must be a string');
  if (typeof senderLocalpart !== 'string') throw invalid('sender_localpart must be a string');
  if (!isMapping(namespaces)) throw invalid('namespaces must be a mapping');
  const users = pyGet(namespaces, 'users', []);
  if (!Array.isArray(users)) throw invalid('namespaces.users must be a list');
  return {
    file,
    id,
    sender: `@${senderLocalpart}:${serverName}`,
    namespaces: users.map((ns: unknown, i): UserNamespace => {
      if (!isMapping(ns) || typeof ns.regex !== 'string' || typeof ns.exclusive !== 'boolean') {
        throw invalid(`namespaces.users[${i}] needs a string regex and exclusive: true or false`);
      }
      return { regex: pythonMatch(ns.regex, () => invalid(`namespaces.users[${i}].regex ${JSON.stringify(ns.regex)} is not a regex this tool can read`)), source: ns.regex, exclusive: ns.exclusive };
    }),
  };
}

/**
 * Synapse tests `re.match(regex, user_id)`: anchored at the start only. Python's global inline
 * flags such as `(?i)` become JS flags; other Python-only syntax (`(?P<name>...)`) is refused.
 */
function pythonMatch(source: string, invalid: () => ConfigError): RegExp {
  const inline = /^\(\?([ims]+)\)/.exec(source);
  try {
    return new RegExp(`^(?:${inline ? source.slice(inline[0].length) : source})`, inline?.[1] ?? '');
  } catch {
    throw invalid();
  }
}

/** The app service that owns `userId` exclusively, as Synapse refuses it for registration. */
export function appServiceClaiming(userId: string, services: AppServiceUsers[]): AppServiceClaim | undefined {
  for (const service of services) {
    // ApplicationService._is_exclusive: only the first matching namespace counts.
    const first = service.namespaces.find((ns) => ns.regex.test(userId));
    if (first?.exclusive) {
      return { file: service.file, id: service.id, reason: `its exclusive user namespace ${JSON.stringify(first.source)}` };
    }
    if (userId === service.sender) {
      return { file: service.file, id: service.id, reason: 'it is the app service\'s own sender_localpart user' };
    }
  }
  return undefined;
}

/**
 * Whether any app service is interested in `userId` (any namespace, exclusive or not, or its
 * sender): Synapse keeps such users out of the user directory (should_include_local_user_in_dir).
 */
export function appServiceInterested(userId: string, services: readonly AppServiceUsers[]): boolean {
  return services.some((s) => userId === s.sender || s.namespaces.some((ns) => ns.regex.test(userId)));
}
