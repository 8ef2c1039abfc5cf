import argon2 from 'argon2';
import bcrypt from 'bcrypt';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import type { MasPasswordAlgorithm, MasPasswordScheme } from '../../src/mas/config.js';
import {
  currentScheme,
  hashMasPassword,
  hashMasPasswordWithSalt,
  isComplexEnough,
  passwordScore,
  verifyMasPassword,
} from '../../src/mas/password.js';

// PBKDF2 at 600000 rounds and bcrypt at cost 12 take a second per password on a busy machine.
const SLOW = 120_000;

const PEPPER = Buffer.from('a-secret-pepper');
const WRONG_PEPPER = Buffer.from('the-wrong-pepper');

function scheme(algorithm: MasPasswordAlgorithm, secret?: Buffer, extra: Partial<MasPasswordScheme> = {}): MasPasswordScheme {
  return { version: 1, algorithm, unicodeNormalization: false, cost: 10, secret, ...extra };
}

/** The 16 salt bytes of a PHC string (standard base64, no padding). */
function phcSalt(phc: string): Buffer {
  return Buffer.from(phc.split('$').at(-2)!, 'base64');
}

/** The 16 salt bytes of a bcrypt string (bcrypt's own base64 alphabet). */
function bcryptSalt(hash: string): Buffer {
  const std = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const bc = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const text = hash.slice(7, 29);
  return Buffer.from([...text].map((c) => std[bc.indexOf(c)]).join(''), 'base64');
}

// MAS's own snapshots (crates/handlers/src/snapshots/mas_handlers__passwords__tests__*.snap), all of
// password "hunter2"; the bcrypt ones with cost 10.
const VECTORS: Array<{ name: string; algorithm: MasPasswordAlgorithm; pepper?: Buffer; hash: string }> = [
  { name: 'hashing_argon2id (pepper)', algorithm: 'argon2id', pepper: PEPPER, hash: '$argon2id$v=19$m=19456,t=2,p=1$eEi11xG8mIOZYxej+ckCaQ$eBeygPqiuImQAaFQOkE6oVkPfqxIGgnqpQd/MwW4YX4' },
  { name: 'hashing_argon2id-2 (no pepper)', algorithm: 'argon2id', hash: '$argon2id$v=19$m=19456,t=2,p=1$1WdxAF1UChkYSTnJ6NDbKg$ajKAfwlUmkbxITSdh55j+Hvoxzppx20ArNUF44oV9Nk' },
  { name: 'hash_verify_and_upgrade-2 (no pepper)', algorithm: 'argon2id', hash: '$argon2id$v=19$m=19456,t=2,p=1$4aRFZH7bgRs24delZVap/Q$Y2SNOQuEfwWuBXflRnbJhqpksexRziQ9Wf9BatCuIVY' },
  { name: 'hash_verify_and_upgrade-3 (pepper)', algorithm: 'argon2id', pepper: PEPPER, hash: '$argon2id$v=19$m=19456,t=2,p=1$1Ke64U6Mrdl5imSjjFRU+g$yirg39x3QVVTxsV5OI4usyIaCw6IRxPl5Li3mQyNmN8' },
  { name: 'hash_verify_and_upgrade (bcrypt, pepper)', algorithm: 'bcrypt', pepper: PEPPER, hash: '$2b$10$1Mgv9BLlKUPw2H3LIWlseeWUiTWF2yZC/.TyzuC3bGuB9XacoEUu6' },
  { name: 'hashing_bcrypt (pepper)', algorithm: 'bcrypt', pepper: PEPPER, hash: '$2b$10$c/EX8bTbEMfTn4oCvcQyBOR1zPyLmGzZ2pMXoElLASqv2qpq5X15i' },
  { name: 'hashing_bcrypt-2 (no pepper)', algorithm: 'bcrypt', hash: '$2b$10$mqjtwG6w3GawhuQQdwBCqOt0TQ0V4vGhB.tMuCZO8WL.ycBHkOLca' },
  { name: 'hashing_pbkdf2 (pepper)', algorithm: 'pbkdf2', pepper: PEPPER, hash: '$pbkdf2-sha256$i=600000,l=32$eEi11xG8mIOZYxej+ckCaQ$uyS+Ip4DieQ9S+m1EcT+vCtuiWpQ3TsDGPLY4mwkOxc' },
  { name: 'hashing_pbkdf2-2 (no pepper)', algorithm: 'pbkdf2', hash: '$pbkdf2-sha256$i=600000,l=32$1WdxAF1UChkYSTnJ6NDbKg$uwgJSFAtjA082fY37K09Q5Hjbw3mBjFI/JLW9sw0F2A' },
];

describe("MAS's own vectors", () => {
  for (const v of VECTORS) {
    it(`${v.name}: recomputed byte for byte from its salt, verified, wrong password and pepper refused`, async () => {
      const s = scheme(v.algorithm, v.pepper);
      const salt = v.algorithm === 'bcrypt' ? bcryptSalt(v.hash) : phcSalt(v.hash);
      expect(salt).toHaveLength(16);
      expect(await hashMasPasswordWithSalt('hunter2', s, salt)).toBe(v.hash);
      expect(await verifyMasPassword('hunter2', v.hash, s)).toBe(true);
      expect(await verifyMasPassword('wrong-password', v.hash, s)).toBe(false);
      expect(await verifyMasPassword('hunter2', v.hash, scheme(v.algorithm, v.pepper ? WRONG_PEPPER : PEPPER))).toBe(false);
      if (v.pepper) expect(await verifyMasPassword('hunter2', v.hash, scheme(v.algorithm))).toBe(false);
    }, SLOW);
  }
});

describe('argon2id', () => {
  it('writes m, t, p in MAS order (the argon2 package writes m, p, t) and a fresh 16-byte salt each time', async () => {
    const s = scheme('argon2id', PEPPER);
    const a = await hashMasPassword('hunter2', s);
    const b = await hashMasPassword('hunter2', s);
    expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyMasPassword('hunter2', a, s)).toBe(true);
  });

  it("reads the stored parameters by name in any order, as MAS's parser does", async () => {
    const v = VECTORS[0]!.hash;
    const reordered = v.replace('m=19456,t=2,p=1', 'p=1,m=19456,t=2');
    expect(await verifyMasPassword('hunter2', reordered, scheme('argon2id', PEPPER))).toBe(true);
  });

  it('verifies with the stored parameters, not the defaults (a hash written by the argon2 package, other costs)', async () => {
    const stored = await argon2.hash('hunter2', { type: argon2.argon2id, memoryCost: 8192, timeCost: 3, parallelism: 2, secret: PEPPER });
    expect(stored).toMatch(/\$m=8192,t=3,p=2\$|\$m=8192,p=2,t=3\$/);
    expect(await verifyMasPassword('hunter2', stored, scheme('argon2id', PEPPER))).toBe(true);
    expect(await verifyMasPassword('hunter2', stored, scheme('argon2id'))).toBe(false);
    // Same string with the default costs instead: no longer the same hash.
    const withDefaults = stored.replace(/m=8192,(t=3,p=2|p=2,t=3)/, 'm=19456,t=2,p=1');
    expect(await verifyMasPassword('hunter2', withDefaults, scheme('argon2id', PEPPER))).toBe(false);
  });

  it('refuses what password-hash refuses to parse', async () => {
    const v = VECTORS[1]!.hash;
    const s = scheme('argon2id');
    const [, alg, ver, params, salt, hash] = v.split('$');
    const bad = [
      `$${alg}$${ver}$${params}$${salt}==$${hash}`, // padding
      `$${alg}$${ver}$${params}$${salt}$${hash}=`,
      `$${alg}$${ver}$${params},x=1$${salt}$${hash}`, // unknown parameter
      `$${alg}$${ver}$${params},m=19456$${salt}$${hash}`, // duplicate
      `$${alg}$${ver}$m=019456,t=2,p=1$${salt}$${hash}`, // leading zero
      `$${alg}$${ver}$${params}$${salt}$${hash}$`, // trailing field
      `$${alg}$${ver}$${params}$${salt}`, // no hash
      `$${alg}$${ver}$${params}$${salt}$${hash.replace(/k$/, 'l')}`, // stray bits in the last character
      `$argon2x$${ver}$${params}$${salt}$${hash}`,
      `$${alg}$v=18$${params}$${salt}$${hash}`,
      `${alg}$${ver}$${params}$${salt}$${hash}`,
    ];
    expect(hash!.endsWith('k')).toBe(true);
    for (const b of bad) expect(await verifyMasPassword('hunter2', b, s), b).toBe(false);
    // The version is optional and means 19.
    expect(await verifyMasPassword('hunter2', `$${alg}$${params}$${salt}$${hash}`, s)).toBe(true);
  });
});

describe('bcrypt', () => {
  it('writes $2b$ with the configured cost, the pepper appended', async () => {
    const s = scheme('bcrypt', PEPPER, { cost: 5 });
    const hash = await hashMasPassword('hunter2', s);
    expect(hash).toMatch(/^\$2b\$05\$[./A-Za-z0-9]{53}$/);
    expect(await bcrypt.compare('hunter2a-secret-pepper', hash)).toBe(true);
    expect(await verifyMasPassword('hunter2', hash, s)).toBe(true);
  });

  // Vectors from rust-bcrypt's own tests (the crate MAS uses).
  it("matches rust-bcrypt's vectors, including its 2a/2x/2y prefixes and cutting at 72 bytes", async () => {
    const s = scheme('bcrypt');
    const zeroSalt = '$2b$12$......................21jzCB1r6pN6rp5O2Ev0ejjTAboskKm';
    expect(await hashMasPasswordWithSalt('hunter2', scheme('bcrypt', undefined, { cost: 12 }), Buffer.alloc(16))).toBe(zeroSalt);
    for (const prefix of ['2a', '2x', '2y']) {
      expect(await verifyMasPassword('hunter2', zeroSalt.replace('2b', prefix), s)).toBe(true);
    }
    expect(await verifyMasPassword('x'.repeat(100), '$2a$05$......................YgIDy4hFBdVlc/6LHnD9mX488r9cLd2', s)).toBe(true);
    expect(await verifyMasPassword('correctbatteryhorsestapler', '$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie', s)).toBe(true);
    expect(await verifyMasPassword('wrong', '$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie', s)).toBe(false);
  }, SLOW);

  it('cuts password + pepper at 72 bytes, as rust-bcrypt does: a long password drops the pepper', async () => {
    const long = 'p'.repeat(72);
    const hash = await hashMasPassword(long, scheme('bcrypt', PEPPER, { cost: 4 }));
    expect(await verifyMasPassword(long, hash, scheme('bcrypt', undefined))).toBe(true);
    expect(await verifyMasPassword(`${long}and more`, hash, scheme('bcrypt', WRONG_PEPPER))).toBe(true);
    expect(await verifyMasPassword('p'.repeat(71), hash, scheme('bcrypt', PEPPER))).toBe(false);
  });

  it('refuses malformed hashes and costs out of range', async () => {
    const s = scheme('bcrypt');
    const good = '$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie';
    expect(await verifyMasPassword('correctbatteryhorsestapler', good.replace('$04$', '$4$'), s)).toBe(true);
    for (const bad of [good.replace('2b', '2c'), good.replace('$04$', '$03$'), good.slice(0, -1), `${good}e`, good.replace(/e$/, 'f')]) {
      expect(await verifyMasPassword('correctbatteryhorsestapler', bad, s), bad).toBe(false);
    }
    await expect(hashMasPassword('hunter2', scheme('bcrypt', undefined, { cost: 3 }))).rejects.toThrow(ConfigError);
    await expect(hashMasPassword('hunter2', scheme('bcrypt', undefined, { cost: 32 }))).rejects.toThrow(/cost 32/);
  });
});

describe('pbkdf2', () => {
  it("writes $pbkdf2-sha256$i=600000,l=32$ and refuses what MAS's crate refuses", async () => {
    const s = scheme('pbkdf2', PEPPER);
    const hash = await hashMasPassword('hunter2', s);
    expect(hash).toMatch(/^\$pbkdf2-sha256\$i=600000,l=32\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyMasPassword('hunter2', hash, s)).toBe(true);
    const [, alg, params, salt, out] = hash.split('$');
    expect(await verifyMasPassword('hunter2', `$${alg}$l=32,i=600000$${salt}$${out}`, s)).toBe(true);
    expect(await verifyMasPassword('hunter2', `$${alg}$i=600000$${salt}$${out}`, s)).toBe(true);
    for (const bad of [
      `$${alg}$i=600000,l=31$${salt}$${out}`, // l must match the hash
      `$${alg}$i=600001,l=32$${salt}$${out}`,
      `$${alg}$v=19$${params}$${salt}$${out}`, // no versions
      `$pbkdf2$${params}$${salt}$${out}`, // sha1: not built into MAS
      `$${alg}$${params},x=1$${salt}$${out}`,
    ]) {
      expect(await verifyMasPassword('hunter2', bad, s), bad).toBe(false);
    }
  }, SLOW);
});

describe('every algorithm', () => {
  const algorithms: MasPasswordAlgorithm[] = ['argon2id', 'bcrypt', 'pbkdf2'];
  // A secret_file is raw bytes, not text: bytes that are no UTF-8 must reach the hash unchanged.
  const BINARY_PEPPER = Buffer.from([0xff, 0xfe, 0x80, 0x0a]);
  const REPLACED_PEPPER = Buffer.from('\ufffd\ufffd\ufffd\n', 'utf8');

  for (const algorithm of algorithms) {
    it(`${algorithm}: round trips with and without pepper; wrong password or pepper refused`, async () => {
      for (const pepper of [undefined, PEPPER, BINARY_PEPPER]) {
        const s = scheme(algorithm, pepper, { cost: 4 });
        const hash = await hashMasPassword('correct horse', s);
        expect(await verifyMasPassword('correct horse', hash, s)).toBe(true);
        expect(await verifyMasPassword('correct horsE', hash, s)).toBe(false);
        expect(await verifyMasPassword('correct horse', hash, scheme(algorithm, pepper ? undefined : PEPPER))).toBe(false);
      }
    }, SLOW);

    it(`${algorithm}: a pepper that is no UTF-8 is used as bytes`, async () => {
      const binary = await hashMasPassword('hunter2', scheme(algorithm, BINARY_PEPPER, { cost: 4 }));
      expect(await verifyMasPassword('hunter2', binary, scheme(algorithm, REPLACED_PEPPER))).toBe(false);
      expect(await verifyMasPassword('hunter2', binary, scheme(algorithm, BINARY_PEPPER.subarray(0, 3)))).toBe(false);
    }, SLOW);

    it(`${algorithm}: NFKC only when the scheme asks, and before the pepper, which is never normalized`, async () => {
      const nfkc = scheme(algorithm, PEPPER, { unicodeNormalization: true, cost: 4 });
      const ligature = await hashMasPassword('\ufb01nance', nfkc);
      expect(await verifyMasPassword('finance', ligature, nfkc)).toBe(true);
      expect(await verifyMasPassword('\ufb01nance', ligature, nfkc)).toBe(true);
      const plain = { ...nfkc, unicodeNormalization: false };
      expect(await verifyMasPassword('\ufb01nance', ligature, plain)).toBe(false);
      expect(await verifyMasPassword('finance', ligature, plain)).toBe(true);
      expect(await verifyMasPassword('finance', await hashMasPassword('\ufb01nance', plain), plain)).toBe(false);
      const ligaturePepper = scheme(algorithm, Buffer.from('\ufb01'), { unicodeNormalization: true, cost: 4 });
      const withLigaturePepper = await hashMasPassword('hunter2', ligaturePepper);
      expect(await verifyMasPassword('hunter2', withLigaturePepper, { ...ligaturePepper, secret: Buffer.from('fi') })).toBe(false);
    }, SLOW);
  }

  it('bcrypt appends the binary pepper byte for byte', async () => {
    const hash = await hashMasPassword('hunter2', scheme('bcrypt', BINARY_PEPPER, { cost: 4 }));
    expect(await bcrypt.compare(Buffer.concat([Buffer.from('hunter2'), BINARY_PEPPER]), hash)).toBe(true);
  });

  it('a hash under another algorithm is not verified', async () => {
    expect(await verifyMasPassword('hunter2', VECTORS[1]!.hash, scheme('bcrypt'))).toBe(false);
    expect(await verifyMasPassword('hunter2', VECTORS[6]!.hash, scheme('argon2id'))).toBe(false);
    expect(await verifyMasPassword('hunter2', VECTORS[8]!.hash, scheme('argon2id'))).toBe(false);
  });
});

describe('currentScheme', () => {
  it('is the last (highest version) scheme', () => {
    const schemes = [scheme('bcrypt'), { ...scheme('argon2id'), version: 2 }];
    expect(currentScheme({ enabled: true, minimumComplexity: 3, schemes }).version).toBe(2);
    expect(() => currentScheme({ enabled: true, minimumComplexity: 3, schemes: [] })).toThrow();
  });
});

describe('complexity', () => {
  // The scores the Rust zxcvbn crate (the one MAS uses) asserts in its own tests.
  const RUST_CRATE_SCORES: Array<[string, number]> = [
    ['r0sebudmaelstrom11/20/91aaaa', 4],
    ['', 0],
    ['r0sebudmaelstrom丂/20/91aaaa', 4],
    ['Imaginative-Say-Shoulder-Dish-0', 4],
    ['TestMeNow!', 3],
    ['hey<123', 2],
    ['!QASW@#EDFR$%TGHY^&UJKI*(OL', 4],
    ['08märz2010', 3],
    // Characters outside the BMP: the crate counts characters, Dropbox's JS UTF-16 units (3 here).
    ['𐰊𐰂𐰄𐰀𐰁', 1],
  ];
  for (const [password, score] of RUST_CRATE_SCORES) {
    it(`${JSON.stringify(password)} scores ${score}, as in the Rust crate`, () => {
      expect(passwordScore(password)).toBe(score);
    });
  }

  it('scores common passwords low', () => {
    expect(passwordScore('password')).toBe(0);
    expect(passwordScore('hunter2')).toBe(1);
  });

  it('looks at the first 100 characters only, as the Rust crate does', () => {
    const weakStart = 'a'.repeat(100);
    expect(passwordScore(weakStart)).toBe(1);
    expect(passwordScore(`${weakStart}Xq7#pL9!vR2@kW5$`)).toBe(1);
    expect(passwordScore(`${'a'.repeat(90)}Xq7#pL9!vR2@kW5$`)).toBe(4);
  });

  it('sees a run of characters outside the BMP as a sequence, as the crate does with characters', () => {
    // U+1D41A..: consecutive code points, like U+A000.. in the BMP.
    expect(passwordScore('𝐚𝐛𝐜𝐝𝐞𝐟𝐠𝐡𝐢𝐣')).toBe(passwordScore('ꀀꀁꀂꀃꀄꀅꀆꀇꀈꀉ'));
    expect(passwordScore('𝐚𝐛𝐜𝐝𝐞𝐟𝐠𝐡𝐢𝐣')).toBe(0);
    expect(passwordScore('😀😃😀😃😀😃')).toBe(passwordScore('ababab'));
  });

  it('compares with minimum_complexity as MAS does (score >= minimum)', () => {
    const passwords = { enabled: true, minimumComplexity: 3, schemes: [scheme('argon2id')] };
    expect(isComplexEnough('TestMeNow!', passwords)).toBe(true);
    expect(isComplexEnough('hey<123', passwords)).toBe(false);
    expect(isComplexEnough('', { ...passwords, minimumComplexity: 0 })).toBe(true);
  });
});
