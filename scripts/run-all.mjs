// Runs api + worker + reaper in the foreground (npm start). Ctrl-C or SIGTERM reaches each
// child exactly once as SIGTERM, so each shuts down gracefully; a second Ctrl-C forces
// them. If one child dies, the others are stopped and its exit code is ours.
// Built-ins only: it runs before anything is compiled.
import { spawn } from 'node:child_process';

const watch = process.argv.includes('--watch');
const entries = ['api/main.ts', 'worker/main.ts', 'reaper/main.ts'];
const children = new Map();
let stopping = false;
let exitCode = 0;

for (const entry of entries) {
  const args = watch ? ['--import', 'tsx', '--watch', entry] : ['--import', 'tsx', entry];
  // detached: own process group, so the terminal's SIGINT reaches only us.
  const child = spawn(process.execPath, args, { stdio: 'inherit', detached: true });
  children.set(child.pid, { entry, child });
  child.on('exit', (code, signal) => {
    children.delete(child.pid);
    if (!stopping) {
      console.error(`[start] ${entry} exited (${signal ?? code}); stopping the others`);
      exitCode = code || 1;
      stop('SIGTERM');
    }
    if (children.size === 0) process.exit(exitCode);
  });
}

function stop(signal) {
  stopping = true;
  for (const { child } of children.values()) child.kill(signal);
}

let signals = 0;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    signals += 1;
    if (signals === 1) console.error(`[start] ${sig}: shutting down (again to force)`);
    stop(signals === 1 ? 'SIGTERM' : 'SIGKILL');
  });
}
