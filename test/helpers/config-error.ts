import { expect } from 'vitest';
import { ConfigError } from '../../src/errors.js';

/** The message of the ConfigError `promise` rejects with; fails the test if it resolves or throws anything else. */
export async function configError(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).message;
}
