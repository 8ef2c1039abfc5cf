// Which of MAS's schemes could check a password_hash given to apply: MAS's own vectors are taken,
// strings MAS's parsers refuse are not.
import { describe, expect, it } from 'vitest';
import { masHashAlgorithm } from '../../src/mas/password.js';

describe('masHashAlgorithm', () => {
  it.each([
    ['$argon2id$v=19$m=19456,t=2,p=1$1WdxAF1UChkYSTnJ6NDbKg$ajKAfwlUmkbxITSdh55j+Hvoxzppx20ArNUF44oV9Nk', 'argon2id'],
    ['$2b$10$1Mgv9BLlKUPw2H3LIWlseeWUiTWF2yZC/.TyzuC3bGuB9XacoEUu6', 'bcrypt'],
    ['$pbkdf2-sha256$i=600000,l=32$MTIzNDU2Nzg5MDEyMzQ1Ng$ajKAfwlUmkbxITSdh55j+Hvoxzppx20ArNUF44oV9Nk', 'pbkdf2'],
  ])('takes %s as %s', (hash, algorithm) => expect(masHashAlgorithm(hash)).toBe(algorithm));

  it.each([
    ['no salt or hash', '$argon2id$v=19$m=19456,t=2,p=1'],
    ['an unknown argon2 parameter', '$argon2id$v=19$m=19456,t=2,p=1,x=3$1WdxAF1UChkYSTnJ6NDbKg$ajKAfwlUmkbxITSdh55j+Hvoxzppx20ArNUF44oV9Nk'],
    ['an argon2 version MAS does not know', '$argon2id$v=18$m=19456,t=2,p=1$1WdxAF1UChkYSTnJ6NDbKg$ajKAfwlUmkbxITSdh55j+Hvoxzppx20ArNUF44oV9Nk'],
    ['pbkdf2 with a length other than its hash', '$pbkdf2-sha256$i=600000,l=16$MTIzNDU2Nzg5MDEyMzQ1Ng$ajKAfwlUmkbxITSdh55j+Hvoxzppx20ArNUF44oV9Nk'],
    ['pbkdf2-sha1, which MAS is built without', '$pbkdf2$i=600000,l=32$MTIzNDU2Nzg5MDEyMzQ1Ng$ajKAfwlUmkbxITSdh55j+Hvoxzppx20ArNUF44oV9Nk'],
    ['bcrypt with cost 3', '$2b$03$1Mgv9BLlKUPw2H3LIWlseeWUiTWF2yZC/.TyzuC3bGuB9XacoEUu6'],
    ['bcrypt cut short', '$2b$10$1Mgv9BLlKUPw2H3LIWlseeWUiTWF2yZC/.TyzuC3bGuB9Xaco'],
    ['scrypt', '$scrypt$ln=16,r=8,p=1$MTIzNDU2Nzg5MDEyMzQ1Ng$ajKAfwlUmkbxITSdh55j+Hvoxzppx20ArNUF44oV9Nk'],
    ['plain text', 'hunter2'],
  ])('refuses %s', (_what, hash) => expect(masHashAlgorithm(hash)).toBeUndefined());
});
