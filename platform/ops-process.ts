// What the worker and the reaper share around their own job: config, logger, metrics
// registry and the ops server (/healthz, /readyz, /metrics) on their own port.

import type { Registry } from 'prom-client';
import { type Config, loadConfigOrExit } from './config.js';
import type { Probes } from './health.js';
import { closeServer, onShutdown, type ShutdownStep } from './lifecycle.js';
import { createLogger, type Logger } from './logger.js';
import { createRegistry } from './metrics.js';
import { createOpsApp, startOpsServer } from './ops-server.js';
import { startTracing } from './tracing.js';

export interface OpsProcess {
  config: Config;
  logger: Logger;
  registry: Registry;
}

/**
 * Runs a background process: `start` connects and starts the work, returning the
 * dependency probes and the shutdown steps of that work. The ops server starts after
 * it and stops first on shutdown. Tracing starts before anything else (the logger and the
 * work ask whether the process traces) and is flushed last, once the work has stopped.
 */
export async function runOpsProcess(
  service: 'worker' | 'reaper',
  port: (config: Config) => number,
  start: (p: OpsProcess) => Promise<{ probes: Probes; shutdown: ShutdownStep[] }>,
): Promise<void> {
  const config = loadConfigOrExit();
  const tracing = startTracing(config, service);
  const logger = createLogger(config, service);
  try {
    const registry = createRegistry(service);
    const { probes, shutdown } = await start({ config, logger, registry });
    const ops = createOpsApp(registry, probes, config.READY_CHECK_TIMEOUT_MS);
    const server = await startOpsServer(ops, config.OPS_HOST, port(config));
    logger.info({ host: config.OPS_HOST, port: port(config) }, `${service} ops server listening`);
    onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, [
      ['ops-http', () => closeServer(server)],
      ...shutdown,
      ['tracing', () => tracing.shutdown()],
    ]);
  } catch (err) {
    logger.fatal({ err }, `${service} failed to start`);
    process.exit(1);
  }
}
