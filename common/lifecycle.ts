// Ordered graceful shutdown on SIGTERM/SIGINT (and on a crash), with a force-quit timer:
// the steps run in the order given — stop accepting, drain, flush, close pools.
import closeWithGrace from 'close-with-grace';
import type { Logger } from './logger.js';

export type ShutdownStep = readonly [name: string, run: () => Promise<unknown> | unknown];

export function onShutdown(logger: Logger, timeoutMs: number, steps: ShutdownStep[]): void {
  closeWithGrace(
    {
      delay: timeoutMs,
      logger: { error: (msg: unknown) => logger.error({ msg }, 'shutdown') },
      onTimeout: (delay) => logger.error({ delay }, 'graceful shutdown timed out; forcing exit'),
    },
    async ({ signal, err }) => {
      if (err) logger.fatal({ err }, 'crashed; shutting down');
      else logger.info({ signal }, 'shutting down');
      for (const [name, run] of steps) {
        try {
          await run();
          logger.debug({ step: name }, 'shutdown step done');
        } catch (stepErr) {
          // One failing close must not keep the others from running.
          logger.error({ err: stepErr, step: name }, 'shutdown step failed');
        }
      }
      logger.info('stopped');
    },
  );
}

/** Closes a Node HTTP server: stop accepting, let in-flight requests finish. */
export function closeServer(server: {
  close(cb: (err?: Error) => void): unknown;
  closeIdleConnections?: () => void;
}): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    // Keep-alive sockets with no request in flight would otherwise hold close() open.
    server.closeIdleConnections?.();
  });
}
