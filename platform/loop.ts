// A background loop: runs `pass` again `delayMs(lastOutcome)` after each pass ends (never
// two passes at once), and on stop waits for the pass in progress.
export function createLoop(
  pass: () => Promise<unknown>,
  delayMs: (failedInARow: number) => number,
  onError: (err: unknown, failedInARow: number) => void,
) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = true;
  let failures = 0;

  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pass()
        .then(() => {
          failures = 0;
        })
        .catch((err) => {
          failures += 1;
          onError(err, failures);
        })
        .finally(() => schedule(delayMs(failures)));
    }, delay);
  };

  return {
    start(firstDelayMs = delayMs(0)) {
      stopped = false;
      schedule(firstDelayMs);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running.catch(() => {});
    },
  };
}
