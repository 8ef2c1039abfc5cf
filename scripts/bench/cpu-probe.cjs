// Preloaded (node --require) into the processes the start-up bench times for CPU: at exit, the
// process's own CPU time (user + system, every thread, from its start) goes to the file named by
// SAB_BENCH_CPU_FILE. A loaded machine stretches wall-clock time; CPU time it mostly does not.
'use strict';
process.on('exit', () => {
  const { user, system } = process.cpuUsage();
  require('node:fs').writeFileSync(process.env.SAB_BENCH_CPU_FILE, String((user + system) / 1000));
});
