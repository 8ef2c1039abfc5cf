/** Thin Matrix client/admin API calls against one homeserver; each returns status and body. */
export interface Reply {
  status: number;
  body: any;
}

async function call(baseUrl: string, method: string, path: string, token?: string, body?: unknown): Promise<Reply> {
  const response = await fetch(baseUrl + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not every answer is JSON (e.g. /health); keep the text.
  }
  return { status: response.status, body: parsed };
}

export function login(baseUrl: string, user: string, password: string): Promise<Reply> {
  return call(baseUrl, 'POST', '/_matrix/client/v3/login', undefined, {
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user },
    password,
  });
}

/** Logs in and returns the access token, or throws with Synapse's answer. */
export async function loginToken(baseUrl: string, user: string, password: string): Promise<string> {
  const reply = await login(baseUrl, user, password);
  if (reply.status !== 200) throw new Error(`login as ${user} failed: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body.access_token as string;
}

export const adminGet = (baseUrl: string, token: string, path: string) => call(baseUrl, 'GET', path, token);
export const adminPut = (baseUrl: string, token: string, path: string, body: unknown) => call(baseUrl, 'PUT', path, token, body);
export const adminPost = (baseUrl: string, token: string, path: string, body: unknown) => call(baseUrl, 'POST', path, token, body);

export function getUser(baseUrl: string, token: string, userId: string): Promise<Reply> {
  return adminGet(baseUrl, token, `/_synapse/admin/v2/users/${encodeURIComponent(userId)}`);
}

export function whoami(baseUrl: string, token: string): Promise<Reply> {
  return call(baseUrl, 'GET', '/_matrix/client/v3/account/whoami', token);
}

export function searchUserDirectory(baseUrl: string, token: string, term: string): Promise<Reply> {
  return call(baseUrl, 'POST', '/_matrix/client/v3/user_directory/search', token, { search_term: term, limit: 50 });
}
