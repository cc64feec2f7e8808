// Finds the real services the tests run against: the ones named by REDIS_URL,
// DATABASE_URL and KAFKA_BROKERS (the local stack, which `npm test` brings up), or else
// testcontainers when a Docker engine runs. Without either it fails loudly; it never skips.
import type { TestProject } from 'vitest/node';
import { runMigrations } from '../platform/db/migrate.js';
import type { Services } from './helpers/services.js';

const HOW_TO =
  'Run the tests with `npm test` (it starts the local stack: tools/stack/stack.sh up), or export ' +
  'REDIS_URL, DATABASE_URL and KAFKA_BROKERS (see `tools/stack/stack.sh env`), or start a Docker ' +
  'engine for testcontainers.';

async function fromTestcontainers(): Promise<{ services: Services; stop: () => Promise<void> }> {
  let modules: [
    typeof import('@testcontainers/redis'),
    typeof import('@testcontainers/postgresql'),
    typeof import('@testcontainers/kafka'),
  ];
  try {
    modules = await Promise.all([
      import('@testcontainers/redis'),
      import('@testcontainers/postgresql'),
      import('@testcontainers/kafka'),
    ]);
  } catch (err) {
    throw new Error(`testcontainers could not be loaded (${String(err)}). ${HOW_TO}`);
  }
  const [{ RedisContainer }, { PostgreSqlContainer }, { KafkaContainer }] = modules;
  try {
    const [redis, postgres, kafka] = await Promise.all([
      new RedisContainer('redis:7.2-alpine')
        .withCommand(['redis-server', '--appendonly', 'yes'])
        .start(),
      new PostgreSqlContainer('postgres:16-alpine').start(),
      new KafkaContainer('confluentinc/cp-kafka:7.7.1').withKraft().start(),
    ]);
    return {
      services: {
        redisUrl: redis.getConnectionUrl(),
        databaseUrl: postgres.getConnectionUri(),
        kafkaBrokers: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
      },
      stop: async () => {
        await Promise.all([redis.stop(), postgres.stop(), kafka.stop()]);
      },
    };
  } catch (err) {
    throw new Error(`No services for the tests: ${String(err)}. ${HOW_TO}`);
  }
}

export default async function setup(project: TestProject) {
  const { REDIS_URL, DATABASE_URL, KAFKA_BROKERS } = process.env;
  let services: Services;
  let stop: (() => Promise<void>) | undefined;
  if (REDIS_URL && DATABASE_URL && KAFKA_BROKERS) {
    services = {
      redisUrl: REDIS_URL,
      databaseUrl: DATABASE_URL,
      kafkaBrokers: KAFKA_BROKERS,
      // npm run test:cluster: the whole suite on a Redis Cluster.
      ...(process.env.REDIS_CLUSTER_NODES
        ? { redisClusterNodes: process.env.REDIS_CLUSTER_NODES }
        : {}),
    };
  } else {
    ({ services, stop } = await fromTestcontainers());
  }
  await runMigrations(services.databaseUrl);
  project.provide('services', services);
  return stop;
}
