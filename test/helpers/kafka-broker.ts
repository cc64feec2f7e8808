// A Kafka broker of the test's own (same jars as the local stack), for the tests that
// stop and restart Kafka: stopping the shared broker would disturb every other file.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { fromRoot } from '../../platform/paths.js';
import { eventually, freePort } from './services.js';

const LIBS = process.env.KAFKA_LIBS ?? fromRoot('.stack', 'kafka', 'libs');

export interface OwnBroker {
  brokers: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function ownBroker(): Promise<OwnBroker> {
  if (!existsSync(LIBS) || !readdirSync(LIBS).some((f) => f.startsWith('kafka_2.13-'))) {
    throw new Error(
      `no Kafka jars in ${LIBS}: run tools/stack/stack.sh up (it fetches them), or set KAFKA_LIBS`,
    );
  }
  const [port, controller] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'drop-kafka-'));
  const props = join(dir, 'server.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controller}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${join(dir, 'data')}`,
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=false',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'log4j.properties'),
    'log4j.rootLogger=WARN, stdout\nlog4j.appender.stdout=org.apache.log4j.ConsoleAppender\nlog4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n',
  );
  const cp = `${LIBS}/*`;
  const format = spawn(
    'java',
    [
      '-cp',
      cp,
      'kafka.tools.StorageTool',
      'format',
      '--cluster-id=q1Sh-9_ISia_zwGINzRvyQ',
      '-c',
      props,
    ],
    { stdio: 'ignore' },
  );
  const [code] = await once(format, 'exit');
  if (code !== 0) throw new Error(`formatting the test broker's storage failed (${code})`);

  const brokers = `127.0.0.1:${port}`;
  let java: ChildProcess | undefined;
  const answers = async () => {
    const admin = new Kafka({
      clientId: 'probe',
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 500,
    }).admin();
    try {
      await admin.connect();
      await admin.listTopics();
      return true;
    } finally {
      await admin.disconnect().catch(() => {});
    }
  };

  return {
    brokers,
    async start() {
      java = spawn(
        'java',
        [
          '-Xms128m',
          '-Xmx512m',
          `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`,
          '-cp',
          cp,
          'kafka.Kafka',
          props,
        ],
        { stdio: 'ignore' },
      );
      await eventually(answers, {
        timeoutMs: 60_000,
        intervalMs: 200,
        what: 'the test broker answers',
      });
    },
    async stop() {
      if (!java || java.exitCode !== null) return;
      const exited = once(java, 'exit');
      java.kill('SIGTERM');
      await exited;
    },
  };
}
