// The bcrypt work limiter (core/auth/passwords.ts): at most `concurrency` at once, a bounded
// queue served in order, and past it an immediate refusal.
import { describe, expect, it } from 'vitest';
import { createWorkLimiter, normaliseEmail, PasswordWorkBusy } from '../../core/auth/passwords.js';

/** A task that runs until released, recording when it started. */
function gate(log: string[], name: string) {
  let open: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    open = resolve;
  });
  return {
    task: async () => {
      log.push(name);
      await done;
      return name;
    },
    release: () => open(),
  };
}

describe('the password work limiter', () => {
  it('runs `concurrency` tasks at once and the rest in arrival order', async () => {
    const limiter = createWorkLimiter({ concurrency: 2, maxQueue: 10 });
    const log: string[] = [];
    const gates = ['a', 'b', 'c', 'd'].map((n) => gate(log, n));
    const results = gates.map((g) => limiter.run(g.task));
    await Promise.resolve();
    expect(log).toEqual(['a', 'b']);
    expect([limiter.running, limiter.waiting]).toEqual([2, 2]);
    gates[1]?.release();
    await results[1];
    await Promise.resolve();
    expect(log).toEqual(['a', 'b', 'c']);
    expect([limiter.running, limiter.waiting]).toEqual([2, 1]);
    for (const g of gates) g.release();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
    expect([limiter.running, limiter.waiting]).toEqual([0, 0]);
  });

  it('refuses at once past the queue, and a failed task gives its turn on', async () => {
    const limiter = createWorkLimiter({ concurrency: 1, maxQueue: 1 });
    const log: string[] = [];
    const first = gate(log, 'first');
    const running = limiter.run(first.task);
    const queued = limiter.run(async () => 'queued');
    await expect(limiter.run(async () => 'third')).rejects.toBeInstanceOf(PasswordWorkBusy);
    first.release();
    expect(await running).toBe('first');
    expect(await queued).toBe('queued');
    await expect(limiter.run(() => Promise.reject(new Error('bcrypt')))).rejects.toThrow('bcrypt');
    expect(await limiter.run(async () => 'after')).toBe('after');
    expect(limiter.running).toBe(0);
  });

  it.each([
    [' Fan@Example.COM ', 'fan@example.com'],
    ['fan@example.com', 'fan@example.com'],
  ])('an email %j is kept as %j', (email, normal) => {
    expect(normaliseEmail(email)).toBe(normal);
  });
});
