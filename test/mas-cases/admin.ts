// promote, demote, unlock, list-admins and check on servers whose logins belong to MAS.
import type { MasCase } from './types.js';

export const adminCases: MasCase[] = [];
