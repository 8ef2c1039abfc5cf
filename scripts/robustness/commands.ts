// The writing commands, each with arguments that make it write on the seeded database (world.ts).
import type { World } from './world.js';

export interface WritingCommand {
  name: string;
  args: (w: World) => string[];
}

export const WRITING_COMMANDS: WritingCommand[] = [
  { name: 'promote', args: () => ['promote', 'alice'] },
  { name: 'demote', args: () => ['demote', 'bob'] },
  { name: 'register', args: (w) => ['register', 'carol', '--no-admin', '--password-file', w.passwordFile] },
  { name: 'register --exists-ok (existing)', args: () => ['register', 'alice', '--exists-ok', '--admin'] },
  { name: 'register --exists-ok (new)', args: (w) => ['register', 'carl', '--exists-ok', '--admin', '--password-file', w.passwordFile] },
  { name: 'set-password', args: (w) => ['set-password', 'alice', '--password-file', w.passwordFile] },
  { name: 'set-password --logout', args: (w) => ['set-password', 'dave', '--logout', '--password-file', w.passwordFile] },
  { name: 'set-password --reactivate', args: (w) => ['set-password', 'erin', '--reactivate', '--password-file', w.passwordFile] },
  { name: 'issue-token', args: () => ['issue-token', 'alice', '--device-id', 'FIGURESDEV'] },
  { name: 'unlock', args: () => ['unlock', 'frank', '--unshadowban'] },
];
