// Exit 0 when a real kafkajs admin can list topics on $KAFKA_BROKERS (used by stack.sh).
import { Kafka, logLevel } from 'kafkajs';

const kafka = new Kafka({
  clientId: 'stack-ready',
  brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9192').split(','),
  logLevel: logLevel.NOTHING,
  connectionTimeout: 1000,
  retry: { retries: 0 },
});
const admin = kafka.admin();
try {
  await admin.connect();
  await admin.listTopics();
  process.exit(0);
} catch {
  process.exit(1);
} finally {
  await admin.disconnect().catch(() => {});
}
