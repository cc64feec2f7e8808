// `npm start` and its supervisor (tools/dev/supervisor.mjs) as an operator meets them: a
// SIGTERM to npm stops everything in order and leaves no process and no port behind; a
// child that dies is restarted; a crash loop stops the whole; the supervisor killed
// outright takes its children with it.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunningProcess, runCommand, runEntry, terminate } from '../helpers/processes.js';
import { eventually, freePort } from '../helpers/services.js';

const started: RunningProcess[] = [];
const strays = new Set<number>();
afterAll(() => {
  for (const p of started) p.child.kill('SIGKILL');
  for (const pid of strays) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already: what the tests want
    }
  }
});

/** Every live descendant of `root`, from /proc. */
function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...; comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') parentOf.set(Number(entry), Number(fields[1]));
    } catch {
      // exited while we looked
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift() as number;
    for (const [pid, ppid] of parentOf) {
      if (ppid === parent) {
        found.push(pid);
        queue.push(pid);
      }
    }
  }
  return found;
}

const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

/** Whether a new listener could bind the port now (what a second `npm start` needs). */
const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

const ready = (port: number, timeoutMs = 90_000) =>
  eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, {
    timeoutMs,
    intervalMs: 200,
    what: `readyz on ${port}`,
  });

async function enginePorts() {
  const [api, apiOps, worker, reaper] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  return {
    ports: { api, apiOps, worker, reaper },
    env: {
      PORT: String(api),
      API_METRICS_PORT: String(apiOps),
      WORKER_METRICS_PORT: String(worker),
      REAPER_METRICS_PORT: String(reaper),
      BCRYPT_COST: '4',
    },
  };
}

/** The pid the supervisor last reported for a child. */
function pidOf(p: RunningProcess, name: string): number {
  const all = [
    ...p.output().matchAll(new RegExp(`\\[supervisor\\] ${name} started \\(pid (\\d+)\\)`, 'g')),
  ];
  const last = all.at(-1)?.[1];
  if (!last) throw new Error(`no pid for ${name} in:\n${p.output()}`);
  return Number(last);
}

/** The supervisor's lines about stopping, in order, e.g. ['api', 'reaper', 'worker']. */
const stopOrder = (log: string) =>
  [...log.matchAll(/\[supervisor\] stopping (\w+) \(pid/g)].map((m) => m[1]);

describe('npm start', () => {
  it('SIGTERM to npm drains api, reaper and worker in order; no process, no port is left', async () => {
    const { ports, env } = await enginePorts();
    const npm = runCommand('npm', ['start', '--silent'], env);
    started.push(npm);
    for (const port of [ports.api, ports.worker, ports.reaper, ports.apiOps]) {
      await ready(port).catch((err) => {
        throw new Error(`${String(err)}\n--- output ---\n${npm.output()}`);
      });
    }
    const tree = descendants(npm.child.pid as number);
    for (const pid of tree) strays.add(pid);
    // npm, the supervisor and its three children (npm execs the shell script, which execs
    // the supervisor: no shell in between to swallow the signal).
    expect(tree.length).toBeGreaterThanOrEqual(4);

    const sent = Date.now();
    const code = await terminate(npm, 30_000);
    expect(Date.now() - sent).toBeLessThan(15_000);
    expect(code).toBe(0);
    await eventually(async () => tree.every((pid) => !alive(pid)), {
      timeoutMs: 3000,
      what: 'every process of npm start gone',
    });
    for (const port of Object.values(ports)) expect(await portFree(port)).toBe(true);
    const log = npm.output();
    expect(stopOrder(log)).toEqual(['api', 'reaper', 'worker']);
    expect(log).toContain('[supervisor] all stopped');
    expect(log.match(/"msg":"stopped"/g)).toHaveLength(3);
  }, 150_000);
});

describe('the supervisor', () => {
  it('restarts each child that dies, says so, and still drains in order', async () => {
    const { ports, env } = await enginePorts();
    const sup = runEntry('tools/dev/supervisor.mjs', {
      ...env,
      SUPERVISOR_RESTART_BASE_MS: '200',
    });
    started.push(sup);
    const portOf = { api: ports.api, worker: ports.worker, reaper: ports.reaper };
    for (const port of Object.values(portOf)) await ready(port);

    for (const name of ['api', 'worker', 'reaper'] as const) {
      const pid = pidOf(sup, name);
      process.kill(pid, 'SIGKILL');
      await eventually(async () => pidOf(sup, name) !== pid, {
        timeoutMs: 10_000,
        what: `${name} restarted`,
      });
      expect(sup.output()).toContain(
        `[supervisor] ${name} (pid ${pid}) died (signal SIGKILL); restarting in 200 ms`,
      );
      await ready(portOf[name], 60_000);
    }
    const pids = ['api', 'worker', 'reaper'].map((name) => pidOf(sup, name));
    expect(await terminate(sup, 30_000, 'SIGINT')).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
    expect(stopOrder(sup.output())).toEqual(['api', 'reaper', 'worker']);
  }, 180_000);

  it('stops everything with a clear message on a crash loop', async () => {
    const { ports, env } = await enginePorts();
    // Someone else holds the api's port: the api dies at every start.
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(ports.api, '127.0.0.1', resolve));
    try {
      const sup = runEntry('tools/dev/supervisor.mjs', {
        ...env,
        SUPERVISOR_RESTART_BASE_MS: '100',
        SUPERVISOR_MAX_RESTARTS: '2',
      });
      started.push(sup);
      const code = await sup.exited;
      const log = sup.output();
      expect(code, log).toBe(1);
      expect(log).toMatch(
        /\[supervisor\] crash loop: api died again \(code 1\) after 2 restarts within 60 s; giving up and stopping everything/,
      );
      expect(log).toContain('[supervisor] all stopped; exit 1');
      const children = ['worker', 'reaper'].map((name) => pidOf(sup, name));
      expect(children.filter(alive)).toEqual([]);
    } finally {
      squatter.close();
    }
  }, 120_000);

  it('stops at once when a child refuses its configuration', async () => {
    const { env } = await enginePorts();
    const sup = runEntry('tools/dev/supervisor.mjs', { ...env, HOLD_TTL_SECONDS: '0' });
    started.push(sup);
    expect(await sup.exited).toBe(78);
    expect(sup.output()).toMatch(
      /refused its configuration \(exit 78\); a restart cannot fix that/,
    );
    expect(sup.output()).not.toContain('restarting in');
  }, 60_000);

  it('killed outright, it leaves no orphan: its children stop themselves', async () => {
    const { ports, env } = await enginePorts();
    const sup = runEntry('tools/dev/supervisor.mjs', env);
    started.push(sup);
    for (const port of [ports.api, ports.worker, ports.reaper]) await ready(port);
    const children = ['api', 'worker', 'reaper'].map((name) => pidOf(sup, name));
    for (const pid of children) strays.add(pid);
    sup.child.kill('SIGKILL');
    await eventually(async () => children.every((pid) => !alive(pid)), {
      timeoutMs: 20_000,
      intervalMs: 100,
      what: 'the children of a killed supervisor gone',
    });
    for (const port of Object.values(ports)) expect(await portFree(port)).toBe(true);
  }, 120_000);
});
