// register, set-password and issue-token on servers whose logins belong to MAS.
import type { MasCase } from './types.js';

export const credentialCases: MasCase[] = [];
