import bcrypt from 'bcrypt';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { checkPassword, checkPolicy, hashPassword, synapsePasswordBytes } from '../../src/synapse/password.js';
import type { PasswordPolicy } from '../../src/config/types.js';

// Made by Python's bcrypt (3.2.2) with Synapse's own steps from synapse/handlers/auth.py:
// unicodedata.normalize("NFKC", pw).encode("utf8") + pepper.encode("utf8"), cut to 72 bytes,
// bcrypt.hashpw(bytes, bcrypt.gensalt(rounds)). `prepared` is that byte string in hex.
const SYNAPSE_HASHES = [
  {
    name: 'ASCII',
    password: 'correct horse battery staple',
    pepper: '',
    rounds: 4,
    prepared: '636f727265637420686f727365206261747465727920737461706c65',
    hash: '$2b$04$ptFlbcXGl.7C2yyFK8xT9eRc41WivOgUCYS9bjehUFSLINUDtCxHG',
  },
  {
    name: 'ASCII, cost 12',
    password: 'correct horse battery staple',
    pepper: '',
    rounds: 12,
    prepared: '636f727265637420686f727365206261747465727920737461706c65',
    hash: '$2b$12$3e0SrWpKvH5QeI2XISCbuuhkrHKNISC2841Fi4dTgK3Hw.RPrJnb.',
  },
  {
    name: 'pepper',
    password: 'hunter2',
    pepper: 's3cr3t-pepper',
    rounds: 4,
    prepared: '68756e746572327333637233742d706570706572',
    hash: '$2b$04$WrIf6lSnHmYuUxyYLnE4WuUO0qtDnyAgLl/STWiCfmfb30/Hq4DWy',
  },
  {
    name: "'ﬁ' ligature (NFKC: 'fi')",
    password: '\ufb01nance',
    pepper: '',
    rounds: 4,
    prepared: '66696e616e6365',
    hash: '$2b$04$GPcQ3Leztl.TXpX6sBsPPOcdwYJmbjNgoBhQcZvpVE8Ins7QcYvki',
  },
  {
    name: 'full-width letters and digits',
    password: '\uff21\uff22\uff23\uff11\uff12\uff13',
    pepper: '',
    rounds: 4,
    prepared: '414243313233',
    hash: '$2b$04$L8T1Fm5JqkusNeV.afO8X.iX/yPk07UBS6mhoAgXJkTskLAhKDUWG',
  },
  {
    name: "composed 'Å'",
    password: '\u00c5ngstr\u00f6m',
    pepper: '',
    rounds: 4,
    prepared: 'c3856e67737472c3b66d',
    hash: '$2b$04$cg.sMgExCUVDeGuYta2SQOlUbGXHq8VsMFaGdGdjVWbre2KD6pim6',
  },
  {
    name: '80 ASCII bytes (cut to 72)',
    password: 'x'.repeat(80),
    pepper: '',
    rounds: 4,
    prepared: '78'.repeat(72),
    hash: '$2b$04$0Ibe9rN6pSXZmUwinM9d1uWxYjfkvD4An149NapEYD6W3u8cgxpdC',
  },
  {
    name: "'é' straddling byte 72",
    password: 'a'.repeat(71) + '\u00e9tail',
    pepper: '',
    rounds: 4,
    prepared: '61'.repeat(71) + 'c3',
    hash: '$2b$04$pkw1i3hbydg1jwMavRHYeeYd2kT6QgtiP9.CWxNA8A6EbIXT6gKXS',
  },
  {
    name: 'pepper cut at byte 72',
    password: 'p'.repeat(70),
    pepper: 'PEPPER-1234',
    rounds: 4,
    prepared: '70'.repeat(70) + '5045',
    hash: '$2b$04$JFV2bAeI/CL1Ls5.so69zOgTqY5cW76xwV.su5YdS6MnD9lI7mnMq',
  },
  {
    name: 'emoji and umlaut with pepper',
    password: '\u{1F510} vault \u00fc',
    pepper: 'pep',
    rounds: 4,
    prepared: 'f09f9490207661756c7420c3bc706570',
    hash: '$2b$04$K1Blvyvmj7EQVcBnhU/abebf55EfSj5KsH6/Sq29l./sVkgyuZ5Li',
  },
];

// Made by hashPassword and checked once with Python's bcrypt.checkpw on Synapse's prepared bytes.
const OUR_HASHES_CHECKED_BY_PYTHON = [
  { password: 'correct horse battery staple', pepper: '', hash: '$2b$04$tSnKsWWp.BBHxXTxROBwq.T5EgC/emztsIBsml4cjDzMm1OVNlFWm' },
  { password: '\ufb01nance', pepper: '', hash: '$2b$04$0OzaCcoUAJOdVRVprVhcfe0cad2gTxcqQf48TwsDpRCP2EXvXIwpS' },
  { password: 'A\u030angstro\u0308m', pepper: '', hash: '$2b$04$H/Ukl/jF8P04vZt7ny32A.KApn3ap.ngJ/VhylSVCP4nhDwmNRQfK' },
  { password: 'a'.repeat(71) + '\u00e9tail', pepper: '', hash: '$2b$04$7MJXXIOAwqyA0B2lvaprA..Ah54Xea1FCtxikd75i/5KP43rIFuAi' },
  { password: 'p'.repeat(70), pepper: 'PEPPER-1234', hash: '$2b$04$y4.YDX0wGNTWJriYdiQ5veN6g8OVetuCgvPu9yUFMOK30d0sGz/pq' },
];

describe('Synapse-made hashes', () => {
  it.each(SYNAPSE_HASHES)('$name: we prepare the same bytes as Synapse', (c) => {
    expect(synapsePasswordBytes(c.password, c.pepper).toString('hex')).toBe(c.prepared);
  });

  it.each(SYNAPSE_HASHES)('$name: checkPassword accepts the password', async (c) => {
    expect(await checkPassword(c.password, c.hash, { pepper: c.pepper })).toBe(true);
  });

  it.each(SYNAPSE_HASHES)('$name: checkPassword refuses a near miss', async (c) => {
    expect(await checkPassword(c.password.slice(0, 5) + '#', c.hash, { pepper: c.pepper })).toBe(false);
    expect(await checkPassword(c.password, c.hash, { pepper: c.pepper + '!' })).toBe(
      // Past byte 72 the pepper no longer matters: Synapse's cut drops it.
      c.prepared.length === 144,
    );
  });

  it.each(SYNAPSE_HASHES)('$name: our hash verifies against the bytes Synapse hashes', async (c) => {
    const ours = await hashPassword(c.password, { pepper: c.pepper, bcryptRounds: c.rounds });
    expect(ours.startsWith(`$2b$${String(c.rounds).padStart(2, '0')}$`)).toBe(true);
    expect(await bcrypt.compare(Buffer.from(c.prepared, 'hex'), ours)).toBe(true);
    expect(ours).not.toBe(c.hash); // a fresh salt every time
  });
});

describe('our hashes, checked by Python bcrypt', () => {
  it.each(OUR_HASHES_CHECKED_BY_PYTHON)('$hash', async (c) => {
    expect(await checkPassword(c.password, c.hash, { pepper: c.pepper })).toBe(true);
  });
});

describe('normalisation and the 72-byte cut', () => {
  const byName = (name: string) => SYNAPSE_HASHES.find((c) => c.name === name)!;

  it('NFKC makes the ligature, full-width and decomposed forms log in as their plain forms', async () => {
    expect(await checkPassword('finance', byName("'ﬁ' ligature (NFKC: 'fi')").hash, { pepper: '' })).toBe(true);
    expect(await checkPassword('ABC123', byName('full-width letters and digits').hash, { pepper: '' })).toBe(true);
    const composed = byName("composed 'Å'").hash;
    expect(await checkPassword('A\u030angstro\u0308m', composed, { pepper: '' })).toBe(true);
    // U+212B ANGSTROM SIGN is compatibility-equivalent to U+00C5.
    expect(await checkPassword('\u212bngstr\u00f6m', composed, { pepper: '' })).toBe(true);
    expect(await checkPassword('Angstrom', composed, { pepper: '' })).toBe(false);
  });

  it('only the first 72 bytes count, even inside a character', async () => {
    expect(await checkPassword('x'.repeat(72), byName('80 ASCII bytes (cut to 72)').hash, { pepper: '' })).toBe(true);
    expect(await checkPassword('x'.repeat(71), byName('80 ASCII bytes (cut to 72)').hash, { pepper: '' })).toBe(false);
    // 'è' is C3 A8 and 'é' is C3 A9: byte 72 is C3 for both, so both log in.
    const straddle = byName("'é' straddling byte 72").hash;
    expect(await checkPassword('a'.repeat(71) + '\u00e8', straddle, { pepper: '' })).toBe(true);
    expect(await checkPassword('a'.repeat(71) + 'u', straddle, { pepper: '' })).toBe(false);
  });

  it('an empty or missing hash never matches', async () => {
    expect(await checkPassword('', '', { pepper: '' })).toBe(false);
    expect(await checkPassword('x', null, { pepper: '' })).toBe(false);
  });

  it.each([
    [3, /is 3, but bcrypt needs a whole number from 4 to 31/],
    [32, /is 32,/],
    [12.5, /is 12.5,/],
    ['12', /is a string \(quoted\)/],
    [null, /is null,/],
    [true, /is true,/],
  ])('refuses bcrypt_rounds %j when hashing, naming the file', async (rounds, message) => {
    const settings = { pepper: '', bcryptRounds: rounds, bcryptRoundsFile: '/etc/matrix-synapse/homeserver.yaml' };
    await expect(hashPassword('x', settings)).rejects.toThrow(ConfigError);
    await expect(hashPassword('x', settings)).rejects.toThrow(message);
    await expect(hashPassword('x', settings)).rejects.toThrow(/bcrypt_rounds in \/etc\/matrix-synapse\/homeserver\.yaml /);
  });
});

describe('checkPolicy', () => {
  const strict: PasswordPolicy = {
    enabled: true,
    minimumLength: 8,
    requireDigit: true,
    requireSymbol: true,
    requireUppercase: true,
    requireLowercase: true,
  };

  it('passes everything when the policy is not enabled', () => {
    expect(checkPolicy('', { ...strict, enabled: false })).toEqual([]);
  });

  it('lists every problem in Synapse words', () => {
    expect(checkPolicy('abc', strict)).toEqual([
      'The password must be at least 8 characters long',
      'The password must include at least one digit',
      'The password must include at least one symbol',
      'The password must include at least one uppercase letter',
    ]);
  });

  it.each([
    ['Abcdefg1!', []],
    ['Abcdefg1 ', []], // a space is a symbol
    ['Abcdefg1é', []], // so is any non-ASCII character
    ['ABCDEFG1!', ['The password must include at least one lowercase letter']],
    ['Ébcdefg1!', ['The password must include at least one uppercase letter']], // 'É' is not A-Z
    ['Abcdefg١!', ['The password must include at least one digit']], // Arabic-Indic one is not 0-9
    ['Abcdefgh1', ['The password must include at least one symbol']],
    // Seven code points, though the emoji takes two UTF-16 units: Python counts code points.
    ['Ab1!\u{1F510}xy', ['The password must be at least 8 characters long']],
  ])('%j', (password, problems) => {
    expect(checkPolicy(password, strict)).toEqual(problems);
  });
});
