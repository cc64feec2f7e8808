// The processes a benchmark measures, each ready once its health URL answers 200: a .ts
// entry the way `npm start` starts it (node with the tsx loader), a .js entry of the build
// as the image runs it (plain node).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

export interface Service {
  name: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startService(
  name: string,
  entry: string,
  env: Record<string, string>,
  readyUrl: string,
  nodeArgs: string[] = [],
  timeoutMs = 60_000,
): Promise<Service> {
  const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, ...loader, entry], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = once(child, 'exit');
  const service: Service = {
    name,
    pid: child.pid as number,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(force);
    },
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    const ok = await fetch(readyUrl).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return service;
    if (Date.now() > deadline) {
      await service.stop();
      throw new Error(`${name} not ready at ${readyUrl} within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
