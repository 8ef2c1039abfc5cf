// apply's hashing stage: bounded work in flight, and a progress bar only on a terminal.
import { describe, expect, it } from 'vitest';
import { progressBar } from '../../src/apply/progress.js';
import { forEachConcurrently } from '../../src/apply/work-pool.js';

describe('forEachConcurrently', () => {
  it('keeps at most `concurrency` calls pending and pulls items only as it needs them', async () => {
    let pending = 0;
    let most = 0;
    let pulled = 0;
    let done = 0;
    function* items() {
      for (let i = 0; i < 10_000; i++) {
        pulled += 1;
        // Never more items taken from the source than calls that can be pending.
        expect(pulled - done).toBeLessThanOrEqual(3);
        yield i;
      }
    }
    await forEachConcurrently(items(), 3, async () => {
      pending += 1;
      most = Math.max(most, pending);
      await new Promise((r) => setImmediate(r));
      pending -= 1;
    }, () => (done += 1));
    expect({ most, done }).toEqual({ most: 3, done: 10_000 });
  });

  it('stops on the first failure and throws it', async () => {
    let calls = 0;
    await expect(
      forEachConcurrently([1, 2, 3, 4, 5, 6], 2, async (n) => {
        calls += 1;
        if (n === 2) throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(calls).toBeLessThan(6);
  });
});

describe('progressBar', () => {
  const sink = (isTTY: boolean) => {
    const writes: string[] = [];
    return { isTTY, writes, write: (s: string) => writes.push(s) };
  };

  it('draws done / total, rate and time left on a terminal, and clears the line at the end', () => {
    const stream = sink(true);
    let t = 0;
    const bar = progressBar(stream, 'hashing', 4, () => t);
    for (let i = 0; i < 4; i++) {
      t += 500;
      bar.tick();
    }
    bar.end();
    expect(stream.writes[0]).toMatch(/^\rhashing \[#{6} {18}\] 1\/4 {2}2\.0\/s {2}2s left/);
    expect(stream.writes.at(-2)).toMatch(/4\/4 {2}2\.0\/s {2}0s left/);
    expect(stream.writes.at(-1)).toBe('\r\x1b[K');
  });

  it('writes nothing when stderr is not a terminal', () => {
    const stream = sink(false);
    const bar = progressBar(stream, 'hashing', 4);
    bar.tick();
    bar.end();
    expect(stream.writes).toEqual([]);
  });
});
