// Ordered graceful shutdown on SIGTERM/SIGINT (and on a crash), with a force-quit timer:
// the steps run in the order given — stop accepting, drain, flush, close pools.
import type { Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
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
      const started = performance.now();
      for (const [name, run] of steps) {
        try {
          await run();
          logger.debug({ step: name }, 'shutdown step done');
        } catch (stepErr) {
          // One failing close must not keep the others from running.
          logger.error({ err: stepErr, step: name }, 'shutdown step failed');
        }
      }
      logger.info({ durationMs: Math.round(performance.now() - started) }, 'stopped');
    },
  );
  stopWithSupervisor(logger);
}

/**
 * A process started by the supervisor (tools/dev/supervisor.mjs) has an IPC channel to it.
 * Should the supervisor die without stopping us (SIGKILL, a crash), the channel closes:
 * we shut down as on SIGTERM rather than run on as an orphan.
 */
function stopWithSupervisor(logger: Logger): void {
  if (!process.send) return;
  const stop = () => {
    logger.warn('the supervisor is gone; shutting down');
    process.kill(process.pid, 'SIGTERM');
  };
  if (!process.connected) {
    stop();
    return;
  }
  process.channel?.unref();
  process.once('disconnect', stop);
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

export interface HttpDrain {
  /** True from the moment drain() was called. */
  readonly draining: boolean;
  /**
   * Stops the server the way a load balancer and a keep-alive client expect: the listener
   * closes (new connections are refused, never reset), every request already on a
   * connection is answered with `Connection: close`, idle keep-alive connections are
   * closed, and it resolves once the last connection is gone — or after `deadlineMs`,
   * when whatever is left is cut.
   */
  drain(deadlineMs: number): Promise<void>;
}

/**
 * How long a keep-alive connection idle when the drain starts may still bring a request.
 * HTTP/1.1 has no way to tell an idle client "closing": a close that crosses a request
 * already on its way resets it. A client under load sends its next request within
 * milliseconds of the last answer; that request is answered (with Connection: close) and
 * the connection ends cleanly. What stayed silent this long is closed.
 */
const IDLE_GRACE_MS = 250;

/** Node's own state of a socket's current response (what http-terminator reads too). */
const responseOn = (socket: Socket) =>
  (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined;

/**
 * Keeps track of an HTTP server's connections (one listener per connection, nothing per
 * request) so that a shutdown can drain them.
 */
export function trackConnections(server: Server): HttpDrain {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  let draining = false;

  const closeAfterResponse = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
    else {
      // Headers already out with keep-alive: end the connection once this response is done.
      const socket = res.socket;
      res.once('finish', () => socket?.end());
    }
  };

  return {
    get draining() {
      return draining;
    },

    async drain(deadlineMs) {
      if (draining) return;
      draining = true;
      // Requests still to come on open connections (sent before the client saw a close)
      // are answered, with `Connection: close`; ours runs before the app's listener.
      server.prependListener('request', (_req, res: ServerResponse) => closeAfterResponse(res));
      // The listener closes now: new connections are refused. (net.Server's close, not
      // http.Server's, which would also cut idle connections at once: see IDLE_GRACE_MS.)
      const closed = new Promise<void>((resolve) => {
        NetServer.prototype.close.call(server, () => resolve());
      });
      for (const socket of sockets) {
        const res = responseOn(socket);
        if (res) closeAfterResponse(res);
      }
      // Idle keep-alive connections: closed once they stayed silent through the grace.
      // setImmediate: after the poll phase, so a request that has arrived is read first.
      const idle = setTimeout(
        () => setImmediate(() => server.closeIdleConnections()),
        IDLE_GRACE_MS,
      );
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          server.closeAllConnections();
          resolve();
        }, deadlineMs);
      });
      await Promise.race([closed, deadline]);
      clearTimeout(idle);
      clearTimeout(timer);
    },
  };
}
