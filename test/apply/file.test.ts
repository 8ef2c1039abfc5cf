// Reading apply files: every problem with its line, and what each key means.
import { describe, expect, it } from 'vitest';
import { ApplyFileError, readApplyFile, type FileRules } from '../../src/apply/file.js';
import { synapseHashRule } from '../../src/apply/synapse-backend.js';
import { makePlan, type Account, type CurrentState, type PlanRules } from '../../src/apply/plan.js';

const RULES: FileRules = {
  serverName: 'example.test',
  userTypes: ['support', 'bot'],
  reservedFor: (id) => (id === '@notices:example.test' ? 'it is the server notices user' : undefined),
  passwordHashProblem: synapseHashRule(12),
};

const HASH = '$2b$04$abcdefghijklmnopqrstuu5Hs0pMEYh6gbldvQ3d6cTdiEW4nUAMW';

function problemsOf(text: string) {
  return readApplyFile(text, RULES).problems.map((p) => `${p.line}: ${p.message}`);
}

describe('readApplyFile', () => {
  it('reads a file in the issue’s shape', () => {
    const { state, problems } = readApplyFile(
      `users:
  - user: alice            # localpart or full user ID
    admin: true
    password_file: /run/secrets/alice
    displayname: Alice
    user_type: support
  - user: "@bob:example.test"
    password_hash: "${HASH}"
    user_type: null
admins: exclusive
update_password: always
`,
      RULES,
    );
    expect(problems).toEqual([]);
    expect(state).toEqual({
      exclusiveAdmins: true,
      updatePassword: 'always',
      users: [
        { line: 2, userId: '@alice:example.test', localpart: 'alice', admin: true, password: { kind: 'file', path: '/run/secrets/alice' }, displayname: 'Alice', userType: 'support' },
        { line: 7, userId: '@bob:example.test', localpart: 'bob', password: { kind: 'hash', hash: HASH }, userType: null },
      ],
    });
  });

  it('reads JSON with the same meaning', () => {
    const { state, problems } = readApplyFile('{"users": [{"user": "alice", "admin": false, "random_password": true}]}', RULES);
    expect(problems).toEqual([]);
    expect(state.users[0]).toMatchObject({ userId: '@alice:example.test', admin: false, password: { kind: 'random' } });
    expect(state).toMatchObject({ exclusiveAdmins: false, updatePassword: 'on_create' });
  });

  it('says which line is broken YAML, without quoting the file', () => {
    expect(problemsOf(`users:\n  - user: a\n    password_hash: "${HASH}\n`)).toEqual([
      // Where the parser notices: the unclosed quote runs to the end of the file.
      '4: not valid YAML or JSON: something is missing: a closing quote or bracket, or the ": " after a key',
    ]);
    expect(problemsOf('users:\n  - user: a\n    user: b\n')[0]).toBe('3: not valid YAML or JSON: a key given twice in the same mapping: keep one');
    expect(problemsOf(`users:\n  - user: a\n    password_hash: "${HASH}\n`).join()).not.toContain('$2b$');
  });

  it('lists unknown keys, wrong types and bad values each with its line', () => {
    expect(
      problemsOf(`users:
  - user: alice
    admin: yes
    random_password: "true"
    displayname: 42
  - user: 123
  - just-a-string
admins: all
update_password: sometimes
extra: 1
`),
    ).toEqual([
      '3: admin must be true or false (unquoted), not the string "yes"',
      '4: random_password must be true or false (unquoted), not a string (the value is not shown: it may be a password)',
      '5: displayname must be a string, not 42',
      '6: user must be a string (quote it), not 123',
      '7: each entry of users must be a mapping with at least `user:`, not the string "just-a-string"',
      '8: admins must be "exclusive" (or be left out), not the string "all"',
      '9: update_password must be on_create or always, not the string "sometimes"',
      '10: unknown key "extra": the top level takes users, admins, update_password',
    ]);
  });

  it('refuses duplicates, also those that differ only in case', () => {
    expect(problemsOf('users:\n  - user: alice\n  - user: "@alice:example.test"\n  - user: ALICE\n')).toEqual([
      '3: @alice:example.test is listed twice (first on line 2)',
      '4: @ALICE:example.test and @alice:example.test (line 2) differ only in case; Synapse treats user IDs case-insensitively, so they are one user. List it once',
    ]);
  });

  it('refuses users of another server, reserved users and unknown user types', () => {
    const problems = problemsOf('users:\n  - user: "@a:other.test"\n  - user: notices\n  - user: b\n    user_type: wizard\n');
    expect(problems[0]).toMatch(/^2: @a:other\.test belongs to the server "other\.test"/);
    expect(problems[1]).toBe('3: @notices:example.test is reserved: it is the server notices user. Remove it from the file');
    expect(problems[2]).toMatch(/^5: user_type "wizard" is not a user type of this server: use support, bot, or null/);
  });

  it('accepts one password source per user, and only bcrypt hashes Synapse can check', () => {
    const problems = problemsOf(`users:
  - user: a
    password_file: /x
    password_hash: "${HASH}"
  - user: b
    password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"
  - user: c
    password_hash: "$2x$04$abcdefghijklmnopqrstuu5Hs0pMEYh6gbldvQ3d6cTdiEW4nUAMW"
  - user: d
    password_hash: "$2y$04$abcdefghijklmnopqrstuu5Hs0pMEYh6gbldvQ3d6cTdiEW4nUAMW"
  - user: e
    random_password: false
    password_file: /y
`);
    expect(problems).toEqual([
      '4: @a:example.test has password_file and password_hash: give one password source',
      expect.stringMatching(/^6: password_hash of @b:example\.test is not a bcrypt hash as Synapse stores them/),
      expect.stringMatching(/^8: password_hash of @c:example\.test is a \$2x\$ hash/),
    ]);
    expect(problems.join()).not.toContain('argon2id');
  });

  it('never shows a value under a password key, whatever its type (issue 16)', () => {
    const problems = problemsOf(`users:
  - user: a
    random_password: "Tr0ub4dor-S3cret"
  - user: b
    password_file: 918273645
  - user: c
    password_hash: 5647382910
  - user: d
    random_password: 31415926
  - user: e
    password_file: [Sw0rdf1sh-Secret]
`);
    expect(problems).toEqual([
      '3: random_password must be true or false (unquoted), not a string (the value is not shown: it may be a password)',
      '5: password_file must be a string, not a number (the value is not shown: it may be a password)',
      '7: password_hash must be a string, not a number (the value is not shown: it may be a password)',
      '9: random_password must be true or false (unquoted), not a number (the value is not shown: it may be a password)',
      '11: password_file must be a string, not a list',
    ]);
    for (const secret of ['Tr0ub4dor', '918273645', '5647382910', '31415926', 'Sw0rdf1sh']) expect(problems.join('\n')).not.toContain(secret);
  });

  it('reads bytes as UTF-8 only, naming the line and column of the first that is not (issue 16)', () => {
    const bytesProblems = (bytes: Buffer) => readApplyFile(bytes, RULES).problems;
    const latin1 = bytesProblems(Buffer.from('users:\n  - user: jm\n    random_password: true\n    displayname: J\u00fcrgen M\u00fcller\n', 'latin1'));
    expect(latin1).toEqual([
      {
        line: 4,
        column: 19,
        message:
          'not valid UTF-8 (byte 64 of the file): apply reads files as UTF-8 and never guesses another encoding. Save the file as UTF-8 (from Latin-1: iconv -f latin1 -t utf-8)',
      },
    ]);
    const utf16 = bytesProblems(Buffer.from('\uFEFFusers: []\n', 'utf16le'));
    expect(utf16[0]!.message).toMatch(/^not valid UTF-8 \(byte 0 of the file; it looks like UTF-16 little-endian, by its byte order mark\)/);
    expect(bytesProblems(Buffer.from('users: []\n', 'utf16le'))[0]!.message).toMatch(/it looks like UTF-16 or UTF-32 without a byte order mark/);
    const utf8 = readApplyFile(Buffer.from('\uFEFFusers:\n  - {user: jm, random_password: true, displayname: J\u00fcrgen M\u00fcller}\n'), RULES);
    expect(utf8.problems).toEqual([]);
    expect(utf8.state.users[0]!.displayname).toBe('J\u00fcrgen M\u00fcller');
  });

  it('holds YAML to the config files’ rules: no unknown tags, one document, nesting within reason (issue 16)', () => {
    expect(problemsOf('users:\n  - user: !secret newx\n    random_password: true\n')).toEqual([
      '2: not valid YAML or JSON: a tag (!name) that apply cannot read: a value that starts with ! must be quoted',
    ]);
    expect(readApplyFile('users:\n  - user: !secret newx\n', RULES).state.users).toEqual([]);
    expect(problemsOf('users: []\n---\nusers: [{user: x}]\n')).toEqual([
      '2: not valid YAML or JSON: a second YAML document starts here (apply reads only one): remove what follows the "..." or "---" line that ends the first (keep a final "..." where it is asked for)',
    ]);
    for (const depth of [101, 20_000]) {
      expect(problemsOf(`users: ${'['.repeat(depth)}${']'.repeat(depth)}\n`)).toEqual([
        '1: not valid YAML or JSON: lists or mappings nested more than 100 levels deep, which apply does not read: no such file needs that many',
      ]);
    }
    expect(readApplyFile('users: [1]\n---\n', RULES).problems[0]).toMatchObject({ line: 2, column: 1 });
  });

  it('follows aliases to their anchors, and names an alias without one (issue 16)', () => {
    const { state, problems } = readApplyFile('users:\n  - {user: &who alice, admin: &yes true, random_password: true}\n  - {user: bob, admin: *yes}\n  - *who\n', RULES);
    expect(problems.map((p) => `${p.line}: ${p.message}`)).toEqual(['4: each entry of users must be a mapping with at least `user:`, not the string "alice"']);
    expect(state.users.map((u) => [u.userId, u.admin])).toEqual([['@alice:example.test', true], ['@bob:example.test', true]]);
    expect(problemsOf('users:\n  - user: *nobody\n')).toEqual([
      '2: not valid YAML or JSON: an alias (*name) with no anchor (&name) before it: a value that starts with * must be quoted',
    ]);
  });

  it('shortens long values, with their length (issue 16)', () => {
    const problems = problemsOf(`users:\n  - user: "${'x'.repeat(10_000_000)}"\n  - user: y\n    user_type: "${'t'.repeat(500)}"\n`);
    expect(problems).toEqual([
      `2: user is the string "${'x'.repeat(40)}…" (10000000 characters): a user ID has at most 255 characters`,
      expect.stringMatching(/^4: user_type "t{40}…" \(500 characters\) is not a user type of this server/),
    ]);
  });

  it('lists the first 50 problems and says how many more (issue 16)', () => {
    const text = `users:\n${Array.from({ length: 1000 }, (_, i) => `  - {user: u${i}, admin: maybe}`).join('\n')}\n`;
    const { problems } = readApplyFile(text, RULES);
    expect(problems.length).toBe(1000);
    const err = new ApplyFileError('big.yaml', problems);
    const lines = err.message.split('\n');
    expect(lines[0]).toBe('big.yaml has 1000 problems; nothing was changed. Fix them and run apply again:');
    expect(lines.length).toBe(1 + 50 + 1);
    expect(lines[1]).toBe('  big.yaml:2: admin must be true or false (unquoted), not the string "maybe"');
    expect(lines.at(-1)).toBe('  … and 950 more (only the first 50 are listed)');
    expect(err.details).toMatchObject({ problem_count: 1000 });
    expect((err.details as { problems: unknown[] }).problems.length).toBe(50);
  });

  it('needs YAML read from a pipe to end with `...`, so a cut-off stdin is never applied (issue 16)', () => {
    const full = 'admins: exclusive\nusers:\n  - {user: alice, admin: true}\n  - {user: bob, admin: true}\n';
    const piped = (text: string) => readApplyFile(text, RULES, { mustShowEnd: true }).problems.map((p) => `${p.line}: ${p.message}`);
    // Cut after line 3: valid YAML that no longer lists bob, an admin that exclusive would demote.
    const cut = full.split('\n').slice(0, 3).join('\n') + '\n';
    expect(piped(cut)).toEqual([expect.stringMatching(/^3: stdin ended without the YAML document end marker: YAML read from stdin must end with a line `\.\.\.`/)]);
    expect(piped(full)[0]).toMatch(/^4: stdin ended without the YAML document end marker/);
    expect(piped(`${full}...\n`)).toEqual([]);
    expect(piped(`---\n${full}... # end\n\n`)).toEqual([]);
    expect(piped('{"users": [{"user": "alice", "random_password": true}]}')).toEqual([]);
    expect(piped('{"users": [{"user": "alice", "random_password": true}]')[0]).toMatch(/not valid YAML or JSON/);
    // A file named on the command line is read whole: no marker needed.
    expect(problemsOf(cut)).toEqual([]);
  });

  // Issue 16: Synapse's login raised "Invalid salt" (HTTP 500) on the first, and would hash for
  // about 36 hours on the cost-31 one. SALT and DIGEST are a real hash's parts.
  const SALT = 'abcdefghijklmnopqrstuu';
  const DIGEST = '5Hs0pMEYh6gbldvQ3d6cTdiEW4nUAMW';
  it.each([
    ['a salt bcrypt cannot decode', `$2b$04$${'z'.repeat(53)}`, /has a salt that bcrypt cannot decode .*HTTP 500 \("Invalid salt"\)/],
    ['a salt whose last character carries stray bits', `$2b$04$${SALT.slice(0, 21)}v${DIGEST}`, /has a salt that bcrypt cannot decode/],
    ['a hash part bcrypt never writes', `$2b$04$${SALT}${DIGEST.slice(0, 30)}z`, /does not end in the 31 characters bcrypt writes/],
    ['a trailing newline', `$2b$04$${SALT}${DIGEST}\n`, /does not end in the 31 characters bcrypt writes/],
    ['cost 31', `$2b$31$${SALT}${DIGEST}`, /has cost 31: each login would take 524288 times as long as at cost 12 .*at most 16/],
    ['cost 17, above the limit', `$2b$17$${SALT}${DIGEST}`, /has cost 17: .*at most 16 \(16, or the server's own cost when higher\)/],
    ['cost 03', `$2b$03$${SALT}${DIGEST}`, /has cost 03, but bcrypt takes 4 to 31/],
    ['cost 32', `$2b$32$${SALT}${DIGEST}`, /has cost 32, but bcrypt takes 4 to 31/],
    ['a one-digit cost', `$2b$4$${SALT}${DIGEST}`, /is not a bcrypt hash as Synapse stores them/],
  ])('refuses a password_hash with %s, naming user and key but not the hash', (_, hash, message) => {
    const problems = problemsOf(`users:\n  - user: a\n    password_hash: ${JSON.stringify(hash)}\n`);
    expect(problems).toEqual([expect.stringMatching(/^3: password_hash of @a:example\.test /)]);
    expect(problems[0]).toMatch(message);
    expect(problems[0]).not.toContain(hash.slice(7, 20));
  });

  it.each([`$2b$04$${SALT}${DIGEST}`, `$2a$10$${SALT}${DIGEST}`, `$2y$16$${SALT}${DIGEST}`])('accepts %s', (hash) => {
    expect(problemsOf(`users:\n  - user: a\n    password_hash: "${hash}"\n`)).toEqual([]);
  });

  it("accepts a cost above 16 when the server's bcrypt_rounds is as high", () => {
    const hash = `$2b$18$${SALT}${DIGEST}`;
    expect(readApplyFile(`users:\n  - {user: a, password_hash: "${hash}"}\n`, { ...RULES, passwordHashProblem: synapseHashRule(18) }).problems).toEqual([]);
    expect(readApplyFile(`users:\n  - {user: a, password_hash: "${hash}"}\n`, { ...RULES, passwordHashProblem: synapseHashRule(17) }).problems).toHaveLength(1);
  });

  it('needs a users list', () => {
    expect(problemsOf('admins: exclusive\n')).toEqual(['1: the file has no `users:` list; write `users: []` to declare none']);
    expect(problemsOf('- alice\n')).toEqual(['1: the file must be a mapping with a `users:` list (see the README)']);
    expect(problemsOf('users: []\n')).toEqual([]);
  });
});

const PLAN_RULES: PlanRules = { newLocalpartProblem: () => undefined, policyProblems: () => [], policyName: 'password_config.policy', defaultUserType: null };

function account(userId: string, admin: boolean, extra: Partial<Account> = {}): Account {
  return { userId, admin, usable: true, passwordHash: HASH, warnings: [], ...extra };
}

function current(accounts: Account[]): CurrentState {
  return { accounts: new Map(accounts.map((a) => [a.userId, a])), admins: accounts.filter((a) => a.admin), problems: [] };
}

describe('makePlan', () => {
  it('leaves an existing user’s admin flag alone when the file omits it, unless admins are exclusive', () => {
    const { state } = readApplyFile('users:\n  - user: alice\n', RULES);
    const now = current([account('@alice:example.test', true), account('@root:example.test', true)]);
    expect(makePlan(state, now, PLAN_RULES, new Map()).plan.users[0]!.admin).toBe(true);
    const exclusive = readApplyFile('admins: exclusive\nusers:\n  - user: alice\n  - {user: root, admin: true}\n', RULES).state;
    const { plan } = makePlan(exclusive, now, PLAN_RULES, new Map());
    expect(plan.users.map((u) => u.admin)).toEqual([false, true]);
    expect(plan.demotions).toEqual([]);
  });

  it('refuses to demote the last usable admin, but only warns when the server had none', () => {
    const exclusive = readApplyFile('admins: exclusive\nusers:\n  - {user: bob, random_password: true}\n', RULES).state;
    expect(makePlan(exclusive, current([account('@root:example.test', true)]), PLAN_RULES, new Map()).plan.leavesNoAdmin).toBe(true);
    const locked = current([account('@root:example.test', true), account('@lock:example.test', false, { usable: false })]);
    const promoteLocked = readApplyFile('admins: exclusive\nusers:\n  - {user: lock, admin: true}\n', RULES).state;
    expect(makePlan(promoteLocked, locked, PLAN_RULES, new Map()).plan.leavesNoAdmin).toBe(true);
    const { plan } = makePlan(exclusive, current([]), PLAN_RULES, new Map());
    expect(plan.leavesNoAdmin).toBe(false);
    expect(plan.warnings).toEqual(['The server has no usable admin, and this file makes none: give one user admin: true.']);
  });

  it('checks stored passwords only with update_password: always, and never rewrites a random one', () => {
    const { state } = readApplyFile(
      `update_password: always\nusers:\n  - {user: a, password_file: /a}\n  - {user: b, random_password: true}\n  - {user: c, password_hash: "${HASH}"}\n`,
      RULES,
    );
    const now = current(['@a:example.test', '@b:example.test', '@c:example.test'].map((id) => account(id, false)));
    const { plan } = makePlan(state, now, PLAN_RULES, new Map([['@a:example.test', 'pw']]));
    expect(plan.users.map((u) => u.password.kind)).toEqual(['check', 'keep', 'keep']);
  });
});
