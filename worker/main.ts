// The worker process: consumes Kafka and keeps Postgres as the durable record. The
// consumer groups (persister, notifier) plug in here; for now it owns its connections,
// the topics and its ops server.
import { connectKafkaAdmin, connectPostgres } from '../common/connect.js';
import { kafkaProbe, postgresProbe } from '../common/health.js';
import { runOpsProcess } from '../common/ops-process.js';

await runOpsProcess(
  'worker',
  (config) => config.WORKER_METRICS_PORT,
  async ({ config, logger }) => {
    const [sql, kafkaAdmin] = await Promise.all([
      connectPostgres(config, logger),
      connectKafkaAdmin(config, logger, 'worker'),
    ]);
    return {
      probes: { postgres: postgresProbe(sql), kafka: kafkaProbe(kafkaAdmin) },
      shutdown: [
        ['kafka', () => kafkaAdmin.disconnect()],
        ['postgres', () => sql.end({ timeout: 5 })],
      ],
    };
  },
);
