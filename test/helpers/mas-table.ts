// Runs MAS command tables (test/mas-cases/*.ts): each case in a world of its own, through the
// checks every table row gets (./table-case.ts).
import { describe, it } from 'vitest';
import type { MasCase } from '../mas-cases/types.js';
import { masWorld } from './mas-world.js';
import { playCase } from './table-case.js';

/** The name of the describe that holds `table`. */
export const masTableSuite = (table: string) => `MAS commands: ${table}`;

export function runMasTables(tables: [string, MasCase[]][]): void {
  for (const [table, cases] of tables) {
    describe.runIf(cases.length > 0)(masTableSuite(table), () => {
      // Not it.each('$name'): vitest cuts a formatted name at 40 characters, so -t could not find a case.
      for (const c of cases) it(c.name, async () => {
        const world = await masWorld(c.world);
        try {
          await c.seed?.(world);
          await playCase(c, world, () => world.snapshot(), (args, input) => world.run(['--json', ...args], input));
        } finally {
          await world.cleanup();
        }
      });
    });
  }
}
