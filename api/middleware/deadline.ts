// 504 timeout for a request whose handler outlives its deadline, so a stuck dependency
// costs the caller `ms`, not a hanging connection. One timer sweeps every request instead
// of a setTimeout and clearTimeout per request; the price is precision: a timed-out
// request is answered up to `ms / 10` (at most 100 ms) late.
import { HTTPException } from 'hono/http-exception';

interface Pending {
  due: number;
  fail: (err: Error) => void;
}

export function createDeadline(ms: number) {
  // Every deadline is `now + ms`, so insertion order is due order: a sweep stops at the
  // first request not yet due.
  const pending = new Set<Pending>();
  const sweeper = setInterval(
    () => {
      const now = performance.now();
      for (const request of pending) {
        if (request.due > now) break;
        pending.delete(request);
        request.fail(new HTTPException(504, { message: `No answer within ${ms} ms` }));
      }
    },
    Math.min(100, Math.max(5, ms / 10)),
  );
  sweeper.unref();

  return {
    /**
     * `work`, or a 504 HTTPException once the deadline passes first. One promise settled by
     * whichever comes first: an async function around Promise.race cost far more per request
     * (BENCHMARKS.md, issue 13).
     */
    within(work: Promise<void>): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        const request: Pending = { due: performance.now() + ms, fail: reject };
        pending.add(request);
        work.then(
          () => {
            pending.delete(request);
            resolve();
          },
          (err: unknown) => {
            pending.delete(request);
            reject(err);
          },
        );
      });
    },
    stop: () => clearInterval(sweeper),
  };
}

export type Deadline = ReturnType<typeof createDeadline>;
