import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appServiceClaiming, loadAppServices } from '../../src/config/appservice.js';
import { configError } from '../helpers/config-error.js';
import { tempTree } from '../helpers/temp-tree.js';

const SERVER = 'example.test';

function registration(id: string, senderLocalpart: string, users: string): string {
  return `id: ${id}\nurl: null\nas_token: a_${id}\nhs_token: h_${id}\nsender_localpart: ${senderLocalpart}\nnamespaces:\n  users:\n${users}`;
}

async function services(files: Record<string, string>) {
  const root = await tempTree(files);
  return loadAppServices(
    Object.keys(files).map((f) => join(root, f)),
    SERVER,
  );
}

const IRC = registration(
  'irc',
  'ircbot',
  ['    - {exclusive: true, regex: "@irc_.*:example\\\\.test"}', '    - {exclusive: false, regex: "@shared_.*"}', ''].join('\n'),
);

describe('appServiceClaiming', () => {
  it.each([
    ['@irc_alice:example.test', 'irc'],
    ['@ircbot:example.test', 'irc'],
    ['@alice:example.test', undefined],
    ['@shared_alice:example.test', undefined],
    ['@IRC_alice:example.test', undefined],
  ])('%s is claimed by %s', async (userId, id) => {
    expect(appServiceClaiming(userId, await services({ 'irc.yaml': IRC }))?.id).toBe(id);
  });

  it('says which file and rule claim the user', async () => {
    const all = await services({ 'irc.yaml': IRC });
    expect(appServiceClaiming('@irc_bob:example.test', all)).toEqual({
      file: all[0]!.file,
      id: 'irc',
      reason: 'its exclusive user namespace "@irc_.*:example\\\\.test"',
    });
    expect(appServiceClaiming('@ircbot:example.test', all)?.reason).toMatch(/sender_localpart/);
  });

  it('anchors the regex at the start only, like Python re.match', async () => {
    const all = await services({
      'a.yaml': registration('a', 'abot', '    - {exclusive: true, regex: "@bridge_"}\n    - {exclusive: true, regex: "telegram_.*"}\n'),
    });
    expect(appServiceClaiming('@bridge_anything:else.test', all)?.id).toBe('a');
    expect(appServiceClaiming('@telegram_1:example.test', all)).toBeUndefined();
  });

  it('lets the first matching namespace decide, as Synapse does', async () => {
    const all = await services({
      'a.yaml': registration('a', 'abot', '    - {exclusive: false, regex: "@bot_.*"}\n    - {exclusive: true, regex: "@bot_x.*"}\n'),
    });
    expect(appServiceClaiming('@bot_x1:example.test', all)).toBeUndefined();
  });

  it('looks at every app service', async () => {
    const all = await services({
      'irc.yaml': IRC,
      'tg.yaml': registration('telegram', 'telegrambot', '    - {exclusive: true, regex: "@telegram_[0-9]+:example\\\\.test$"}\n'),
    });
    expect(appServiceClaiming('@telegram_42:example.test', all)?.id).toBe('telegram');
    expect(appServiceClaiming('@telegram_bob:example.test', all)).toBeUndefined();
  });

  it("honours Python's leading (?i) flag", async () => {
    const all = await services({ 'a.yaml': registration('a', 'abot', '    - {exclusive: true, regex: "(?i)@slack_.*"}\n') });
    expect(appServiceClaiming('@SLACK_x:example.test', all)?.id).toBe('a');
  });

  it('has nothing to claim without a users namespace', async () => {
    const all = await services({ 'a.yaml': 'id: a\nsender_localpart: abot\nnamespaces:\n  rooms: []\n' });
    expect(appServiceClaiming('@anyone:example.test', all)).toBeUndefined();
  });
});

describe('loadAppServices', () => {
  it('names a registration file that does not exist', async () => {
    expect(await configError(loadAppServices(['/nowhere/irc.yaml'], SERVER))).toMatch(/\/nowhere\/irc\.yaml does not exist\. It is listed in app_service_config_files/);
  });

  it.each([
    ['- not a mapping\n', /not a key-value mapping/],
    ['sender_localpart: bot\nnamespaces: {}\n', /id must be a string/],
    ['id: a\nnamespaces: {}\n', /sender_localpart must be a string/],
    ['id: a\nsender_localpart: bot\n', /namespaces must be a mapping/],
    ['id: a\nsender_localpart: bot\nnamespaces:\n  users:\n', /namespaces\.users must be a list/],
    [registration('a', 'bot', '    - {exclusive: "true", regex: "@a_.*"}\n'), /namespaces\.users\[0\] needs a string regex and exclusive/],
    [registration('a', 'bot', '    - {exclusive: true, regex: "@a_(.*"}\n'), /namespaces\.users\[0\]\.regex "@a_\(\.\*" is not a regex/],
    ['id: a\nsender_localpart: : bot\n', /not valid YAML: line 2/],
  ])('refuses an invalid registration, naming the file: %j', async (content, message) => {
    const text = await configError(services({ 'bad.yaml': content }));
    expect(text).toMatch(/bad\.yaml/);
    expect(text).toMatch(message);
  });
});
