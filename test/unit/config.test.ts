import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  DEV_ADMIN_PASSWORD,
  DEV_JWT_SECRET,
  loadConfig,
  readConfigFile,
} from '../../platform/config.js';

const NO_FILE = '/nonexistent/config.yml';
const load = (env: Record<string, string>) => loadConfig(env, NO_FILE);

/** A config file with this text, in a fresh directory. */
function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'cfg-')), 'config.yml');
  writeFileSync(file, text);
  return file;
}

/** The keys and messages a bad configuration is refused with. */
function refusal(env: Record<string, string>): Record<string, string> {
  try {
    load(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return Object.fromEntries(err.issues.map((i) => [i.key, i.message]));
  }
  throw new Error('accepted');
}

describe('configuration', () => {
  it('environment over file over defaults', () => {
    const file = configFile('PORT: 9000\nHOLD_TTL_SECONDS: 120\n');
    const config = loadConfig({ CONFIG_FILE: file, PORT: '9100' }, NO_FILE);
    expect(config.PORT).toBe(9100);
    expect(config.HOLD_TTL_SECONDS).toBe(120);
    expect(config.REAPER_INTERVAL_MS).toBe(250);
  });

  it('names the bad key', () => {
    expect(() => load({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(Object.keys(refusal({ PORT: 'eighty', HOLD_TTL_SECONDS: '0' })).sort()).toEqual([
      'HOLD_TTL_SECONDS',
      'PORT',
    ]);
  });

  it('the defaults are a development setup on local ports', () => {
    expect(load({})).toMatchObject({
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: 8080,
      REDIS_URL: 'redis://127.0.0.1:6390',
      REDIS_KEY_PREFIX: '',
      REDIS_AUTO_PIPELINING: false,
      KAFKA_BROKERS: '127.0.0.1:9192',
      JWT_ALGORITHM: 'HS256',
      JWT_SECRET: DEV_JWT_SECRET,
      HOLD_TTL_SECONDS: 300,
      RELAY_ENABLED: true,
      NOTIFY_CHANNEL: 'log',
      AVAILABILITY_CACHE_MS: 0,
    });
    expect(load({}).LOG_PRETTY).toBeUndefined();
  });

  it('an empty environment value is no value', () => {
    expect(load({ PORT: '' }).PORT).toBe(8080);
  });

  it.each([
    ['true', true],
    [' TRUE ', true],
    ['1', true],
    ['yes', true],
    ['on', true],
    ['false', false],
    ['0', false],
    ['no', false],
    ['Off', false],
  ])('reads the switch %j as %s', (value, on) => {
    expect(load({ TRUST_PROXY: value }).TRUST_PROXY).toBe(on);
  });

  it('takes a YAML file’s real booleans and numbers', () => {
    const file = configFile('TRUST_PROXY: true\nRATE_LIMIT_PER_IP: 0\nLOG_LEVEL: debug\n');
    expect(loadConfig({ CONFIG_FILE: file }, NO_FILE)).toMatchObject({
      TRUST_PROXY: true,
      RATE_LIMIT_PER_IP: 0,
      LOG_LEVEL: 'debug',
    });
  });

  it.each([
    ['TRUST_PROXY', 'maybe'],
    ['PORT', '65536'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['REDIS_WAIT_REPLICAS', '6'],
    ['AVAILABILITY_CACHE_MS', '501'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['REDIS_URL', 'not a url'],
    ['DATABASE_URL', 'mysql://x@y/z'],
    ['KAFKA_BROKERS', 'broker-1'],
    ['KAFKA_BROKERS', 'a:1, b:2'],
    ['REDIS_KEY_PREFIX', 'has space'],
    ['KAFKA_TOPIC_PREFIX', 'a:b'],
    ['JWT_SECRET', 'short'],
    ['LOG_LEVEL', 'verbose'],
    ['NODE_ENV', 'staging'],
    ['ADMIN_EMAIL', 'not-an-email'],
  ])('refuses %s=%j, naming it', (key, value) => {
    expect(Object.keys(refusal({ [key]: value }))).toEqual([key]);
  });

  it.each([
    ['rediss://user:pw@cache:6380/0', 'REDIS_URL'],
    ['postgresql://drop@db/drop', 'DATABASE_URL'],
  ])('takes %s for %s', (value, key) => {
    expect(load({ [key]: value })).toMatchObject({ [key]: value });
  });

  it('takes a cluster’s seed nodes and a lower-cased admin email', () => {
    expect(
      load({ REDIS_CLUSTER_NODES: 'r1:7000,r2:7001', ADMIN_EMAIL: ' Ops@X.io ' }),
    ).toMatchObject({ REDIS_CLUSTER_NODES: 'r1:7000,r2:7001', ADMIN_EMAIL: 'ops@x.io' });
  });

  it('asks for both PEM keys with an asymmetric algorithm', () => {
    expect(refusal({ JWT_ALGORITHM: 'EdDSA' })).toEqual({
      JWT_PRIVATE_KEY: 'a PEM key is required with JWT_ALGORITHM EdDSA',
      JWT_PUBLIC_KEY: 'a PEM key is required with JWT_ALGORITHM EdDSA',
    });
    const pem = '-----BEGIN KEY-----';
    expect(Object.keys(refusal({ JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY: pem }))).toEqual([
      'JWT_PUBLIC_KEY',
    ]);
  });

  it('asks for the webhook’s address and secret with the webhook channel', () => {
    expect(Object.keys(refusal({ NOTIFY_CHANNEL: 'webhook' }))).toEqual([
      'NOTIFY_WEBHOOK_URL',
      'NOTIFY_WEBHOOK_SECRET',
    ]);
    const webhook = {
      NOTIFY_CHANNEL: 'webhook',
      NOTIFY_WEBHOOK_URL: 'https://hooks.example.com/drop',
      NOTIFY_WEBHOOK_SECRET: 's'.repeat(16),
    };
    expect(load(webhook).NOTIFY_CHANNEL).toBe('webhook');
  });

  it('refuses the development secrets in production, and only there', () => {
    expect(Object.keys(refusal({ NODE_ENV: 'production' })).sort()).toEqual([
      'ADMIN_PASSWORD',
      'JWT_SECRET',
    ]);
    expect(load({ NODE_ENV: 'test' }).ADMIN_PASSWORD).toBe(DEV_ADMIN_PASSWORD);
    const prod = {
      NODE_ENV: 'production',
      JWT_SECRET: 'p'.repeat(40),
      ADMIN_PASSWORD: 'q'.repeat(12),
    };
    expect(load(prod).NODE_ENV).toBe('production');
  });

  it('says every problem in its message, key by key', () => {
    expect(() => load({ PORT: 'x', LOG_LEVEL: 'loud' })).toThrow(
      /^invalid configuration: PORT: .+; LOG_LEVEL: .+$/,
    );
  });
});

describe('the configuration file', () => {
  it('refuses a key the engine does not know', () => {
    const file = configFile('PORT: 9000\nPROT: 9001\n');
    expect(() => readConfigFile(file)).toThrow(/PROT: unknown key in /);
  });

  it.each([
    ['a list', '- PORT\n'],
    ['a scalar', 'just text\n'],
  ])('refuses %s for a mapping', (_, text) => {
    expect(() => readConfigFile(configFile(text))).toThrow(/must be a mapping of keys/);
  });

  it('reads an empty file as nothing set, and refuses one it cannot parse', () => {
    expect(readConfigFile(configFile(''))).toEqual({});
    expect(() => readConfigFile(configFile('PORT: [1\n'))).toThrow(/CONFIG_FILE: cannot read/);
  });

  it('refuses a CONFIG_FILE that is not there, and reads the default file only if it is', () => {
    expect(() => loadConfig({ CONFIG_FILE: NO_FILE }, NO_FILE)).toThrow(/does not exist/);
    const file = configFile('PORT: 9300\n');
    expect(loadConfig({}, file).PORT).toBe(9300);
  });

  it('tracing: off by default, a ratio in 0..1 and an http(s) endpoint', () => {
    const off = loadConfig({}, NO_FILE);
    expect(off.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(off.OTEL_TRACES_SAMPLER_ARG).toBe(0.01);
    const on = loadConfig(
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_SAMPLER_ARG: '1' },
      NO_FILE,
    );
    expect(on.OTEL_TRACES_SAMPLER_ARG).toBe(1);
    try {
      loadConfig(
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317', OTEL_TRACES_SAMPLER_ARG: '1.5' },
        NO_FILE,
      );
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).issues.map((i) => i.key).sort()).toEqual([
        'OTEL_EXPORTER_OTLP_ENDPOINT',
        'OTEL_TRACES_SAMPLER_ARG',
      ]);
    }
  });
});
