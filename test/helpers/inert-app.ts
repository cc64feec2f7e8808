// The app built on inert collaborators: what it is before it serves anything (its routes,
// its OpenAPI document), for the unit tier, without Redis, Postgres or Kafka. Building the
// app only keeps its collaborators; one that is used answers with an error naming itself.
import { type AppDeps, createApp } from '../../api/app.js';
import { loadConfig } from '../../platform/config.js';
import { createLogger } from '../../platform/logger.js';
import { createRegistry } from '../../platform/metrics.js';

/** A collaborator every property of which is another, and that throws when called. */
function inert(name: string): unknown {
  const target = () => undefined;
  return new Proxy(target, {
    get: (_, key) =>
      key === 'then' || typeof key === 'symbol' ? undefined : inert(`${name}.${key}`),
    apply: () => {
      throw new Error(`inert collaborator ${name} was called`);
    },
  });
}

export function buildInertApp() {
  const config = loadConfig({ LOG_LEVEL: 'silent' }, '/nonexistent/config.yml');
  const real: Partial<AppDeps> = {
    config,
    logger: createLogger(config, 'api-unit'),
    registry: createRegistry('api'),
  };
  const deps = new Proxy(real, {
    get: (given, key: string) => (key in given ? given[key as keyof AppDeps] : inert(key)),
  });
  return createApp(deps as AppDeps);
}
