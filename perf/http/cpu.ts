// CPU and memory of the processes a benchmark measures, from Linux /proc: one process by
// pid, a whole process tree (PostgreSQL: the postmaster and its backends), the process
// listening on a port (the stack's Kafka broker and PostgreSQL, which other stacks on the
// same machine do not share), and the machine.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ

interface Stat {
  ppid: number;
  /** utime + stime, in ticks */
  own: number;
  /** cutime + cstime: the children it has waited for, in ticks */
  reaped: number;
}

function stat(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (comm) ": field 3 (state) is f[0], ppid f[1], utime f[11] … cstime f[14].
    const f = text
      .slice(text.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    return {
      ppid: f[1] as number,
      own: (f[11] as number) + (f[12] as number),
      reaped: (f[13] as number) + (f[14] as number),
    };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process has used so far; NaN once it is gone. */
export function cpuSeconds(pid: number): number {
  const s = stat(pid);
  return s ? s.own / TICKS_PER_SECOND : Number.NaN;
}

function pids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/**
 * CPU seconds of a process and all its children, those alive and those it has reaped:
 * a backend that exits mid-phase moves its time into the parent's cutime, so the sum
 * does not drop (PostgreSQL forks a process per connection).
 */
export function treeCpuSeconds(root: number): number {
  const rootStat = stat(root);
  if (!rootStat) return Number.NaN;
  const parents = new Map<number, Stat>();
  for (const pid of pids()) {
    const s = stat(pid);
    if (s) parents.set(pid, s);
  }
  let ticks = 0;
  const visit = (pid: number, s: Stat) => {
    ticks += s.own + s.reaped;
    for (const [child, cs] of parents) if (cs.ppid === pid) visit(child, cs);
  };
  visit(root, rootStat);
  return ticks / TICKS_PER_SECOND;
}

/** Resident set size of a process, MB. */
export function rssMb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Busy and total CPU time of the whole machine so far, in ticks (/proc/stat). */
export function machineTicks(): { busy: number; total: number } {
  const ticks = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  return { busy: total - (ticks[3] ?? 0) - (ticks[4] ?? 0), total }; // minus idle, iowait
}

export function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** The process with a TCP socket listening on this port (IPv4 or IPv6), or null. */
export function listenerPid(port: number): number | null {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is "<hex ip>:<hex port>", st 0A is LISTEN, inode is field 10.
      if (f[3] === '0A' && Number.parseInt(f[1]?.split(':')[1] ?? '', 16) === port)
        inodes.add(`socket:[${f[9]}]`);
    }
  }
  if (inodes.size === 0) return null;
  for (const pid of pids()) if (openFiles(pid).some((file) => inodes.has(file))) return pid;
  return null;
}

/** What a process's file descriptors point at ("socket:[…]", paths); none once it is gone. */
export function openFiles(pid: number): string[] {
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const fd of fds) {
    try {
      files.push(readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // closed meanwhile
    }
  }
  return files;
}

/** The Kafka broker (the java process running kafka.Kafka) serving this port. */
export function kafkaPid(port: number): number | null {
  const pid = listenerPid(port);
  if (pid && commandLine(pid).includes('kafka.Kafka')) return pid;
  return null;
}

/** The PostgreSQL postmaster serving this port (its backends are its children). */
export function postmasterPid(port: number): number | null {
  let pid = listenerPid(port);
  // The listening socket belongs to the postmaster; walk up should a child hold it too.
  while (pid) {
    const parent = stat(pid)?.ppid;
    if (!parent || !/postgres/.test(commandLine(parent)[0] ?? '')) break;
    pid = parent;
  }
  return pid && /postgres/.test(commandLine(pid)[0] ?? '') ? pid : null;
}
