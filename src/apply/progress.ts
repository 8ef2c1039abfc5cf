// A one-line progress bar on a terminal's stderr: done / total, rate, time left. Off when stderr
// is not a terminal (logs, CI, Ansible), so that nothing but messages reaches them.

export interface Progress {
  tick(): void;
  /** Clears the line. */
  end(): void;
}

const NONE: Progress = { tick() {}, end() {} };
const WIDTH = 24;
const REDRAW_MS = 100;

export function progressBar(
  stream: { isTTY?: boolean; write(s: string): unknown },
  label: string,
  total: number,
  now: () => number = () => performance.now(),
): Progress {
  if (stream.isTTY !== true || total === 0) return NONE;
  const start = now();
  let done = 0;
  let drawn = -Infinity;
  const draw = () => {
    const elapsed = (now() - start) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const left = rate > 0 ? Math.ceil((total - done) / rate) : undefined;
    const filled = Math.round((done / total) * WIDTH);
    stream.write(
      `\r${label} [${'#'.repeat(filled)}${' '.repeat(WIDTH - filled)}] ${done}/${total}  ${rate.toFixed(1)}/s  ` +
        `${left === undefined ? '' : `${left}s left`}\x1b[K`,
    );
  };
  return {
    tick() {
      done += 1;
      if (now() - drawn >= REDRAW_MS || done === total) {
        drawn = now();
        draw();
      }
    },
    end() {
      stream.write('\r\x1b[K');
    },
  };
}
