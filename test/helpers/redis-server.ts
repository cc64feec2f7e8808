// A redis-server of a test's own, for fault injection: its own port and data folder, AOF on
// (`appendfsync everysec`, with `#TS:` timestamp annotations), no RDB snapshots. The fault
// suites kill it, cut its AOF, wipe it and start it again on the same port and folder;
// nothing here ever touches the shared Redis of the other test files.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, rm, stat, truncate } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from './services.js';

export interface OwnRedis {
  readonly port: number;
  readonly dir: string;
  readonly url: string;
  /** Starts redis-server on the port and folder; resolves once PING answers PONG (data loaded). */
  start(): Promise<void>;
  /** SIGKILL, as a crash: resolves once the process is gone. */
  kill(): Promise<void>;
  /** Ends it whatever its state (SIGKILL); for clean-up. */
  stop(): Promise<void>;
  /** Deletes the data folder (a total loss); only while it is down. */
  wipe(): Promise<void>;
  running(): boolean;
  /** What redis-server logged, every boot. */
  log(): string;
}

/** One PING over a fresh connection: true on +PONG (not -LOADING, not refused). */
export function pingRedis(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      reply += d.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

export async function startOwnRedis(dir: string, port?: number): Promise<OwnRedis> {
  const p = port ?? (await freePort());
  let child: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  let out = '';

  const self: OwnRedis = {
    port: p,
    dir,
    url: `redis://127.0.0.1:${p}`,
    async start() {
      if (child) throw new Error('redis-server already running');
      await mkdir(dir, { recursive: true });
      const c = spawn(
        'redis-server',
        [
          '--port',
          String(p),
          '--bind',
          '127.0.0.1',
          '--dir',
          dir,
          '--appendonly',
          'yes',
          '--appendfsync',
          'everysec',
          '--aof-timestamp-enabled',
          'yes',
          '--save',
          '',
          '--logfile',
          '',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child = c;
      exited = once(c, 'exit').then(() => {
        if (child === c) child = undefined;
      });
      c.stdout?.on('data', (d) => {
        out += d;
      });
      c.stderr?.on('data', (d) => {
        out += d;
      });
      const deadline = Date.now() + 20_000;
      while (!(await pingRedis(p))) {
        if (!child) throw new Error(`redis-server exited at start:\n${out.slice(-3000)}`);
        if (Date.now() > deadline) throw new Error(`redis-server not up:\n${out.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async kill() {
      const c = child;
      if (!c) throw new Error('redis-server is not running');
      c.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child) await self.kill();
    },
    async wipe() {
      if (child) throw new Error('wipe a running redis-server? kill it first');
      await rm(dir, { recursive: true, force: true });
    },
    running: () => child !== undefined,
    log: () => out,
  };
  await self.start();
  return self;
}

// ------------------------------------------------------------------------- AOF cut

export interface AofCut {
  file: string;
  bytesBefore: number;
  bytesAfter: number;
  /** The newest `#TS:` annotation of the file (unix seconds). */
  lastTs: number;
  /** Everything from the first annotation ≥ this (unix seconds) on was cut. */
  cutFromTs: number;
  /** Commands (each a write Redis had acknowledged) removed. */
  commandsCut: number;
  commandsKept: number;
}

/** The last incremental file the manifest names (Redis 7 multi-part AOF). */
export async function lastIncrAof(dir: string): Promise<string> {
  const aofDir = join(dir, 'appendonlydir');
  const manifest = await readFile(join(aofDir, 'appendonly.aof.manifest'), 'utf8');
  const incr = manifest
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[0] === 'file' && f[f.indexOf('type') + 1] === 'i')
    .map((f) => ({ name: f[1] as string, seq: Number(f[f.indexOf('seq') + 1]) }))
    .sort((a, b) => a.seq - b.seq);
  const last = incr.at(-1);
  if (!last) throw new Error(`no incr file in the AOF manifest:\n${manifest}`);
  return join(aofDir, last.name);
}

/**
 * Walks a RESP AOF: the byte offset of each `#TS:<seconds>` annotation and of each command.
 * Parsed command by command (not searched for), so a value that happens to contain "#TS:"
 * cannot be mistaken for an annotation. A torn last command (Redis died mid-write) ends
 * the walk.
 */
export function aofLayout(buf: Buffer): {
  annotations: { offset: number; ts: number }[];
  commands: number[];
} {
  const annotations: { offset: number; ts: number }[] = [];
  const commands: number[] = [];
  let pos = 0;
  const line = (): string | null => {
    const end = buf.indexOf('\r\n', pos);
    if (end < 0) return null;
    const text = buf.toString('latin1', pos, end);
    pos = end + 2;
    return text;
  };
  while (pos < buf.length) {
    const start = pos;
    const head = line();
    if (head === null) break;
    if (head.startsWith('#')) {
      if (head.startsWith('#TS:')) annotations.push({ offset: start, ts: Number(head.slice(4)) });
      continue;
    }
    if (!head.startsWith('*'))
      throw new Error(`AOF: unexpected "${head.slice(0, 20)}" at ${start}`);
    const argc = Number(head.slice(1));
    let whole = true;
    for (let i = 0; i < argc && whole; i++) {
      const len = line();
      if (len === null || !len.startsWith('$')) {
        whole = false;
        break;
      }
      pos += Number(len.slice(1)) + 2;
      if (pos > buf.length) whole = false;
    }
    if (!whole) break;
    commands.push(start);
  }
  return { annotations, commands };
}

/**
 * The machine crash, simulated on a killed Redis: cuts the last incr AOF file at its first
 * `#TS:` annotation whose second is ≥ (the newest annotation's second − 1), i.e. the writes
 * of the last one to two seconds, which `appendfsync everysec` had not necessarily synced.
 */
export async function cutLastSecondOfAof(dir: string): Promise<AofCut> {
  const file = await lastIncrAof(dir);
  const buf = await readFile(file);
  const { annotations, commands } = aofLayout(buf);
  const last = annotations.at(-1);
  if (!last) throw new Error(`no #TS: annotation in ${file} (aof-timestamp-enabled?)`);
  const cutFromTs = last.ts - 1;
  const at = annotations.find((a) => a.ts >= cutFromTs) ?? last;
  await truncate(file, at.offset);
  return {
    file,
    bytesBefore: buf.length,
    bytesAfter: (await stat(file)).size,
    lastTs: last.ts,
    cutFromTs,
    commandsCut: commands.filter((o) => o >= at.offset).length,
    commandsKept: commands.filter((o) => o < at.offset).length,
  };
}
