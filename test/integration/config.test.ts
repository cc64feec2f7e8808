import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  DEV_ADMIN_PASSWORD,
  DEV_JWT_SECRET,
  loadConfig,
} from '../../platform/config.js';

const dir = mkdtempSync(join(tmpdir(), 'drop-config-'));
const NO_FILE = join(dir, 'absent.yml');
function yamlFile(text: string): string {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(path, text);
  return path;
}

/** The keys a ConfigError names. */
function badKeys(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => i.key);
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const PROD_OK = {
  NODE_ENV: 'production',
  JWT_SECRET: 'a-real-production-secret-of-enough-length-42',
  ADMIN_PASSWORD: 'a-real-admin-password',
};

describe('config', () => {
  it('has defaults that point at the local stack', () => {
    const c = loadConfig({}, NO_FILE);
    expect(c.PORT).toBe(8080);
    expect(c.REDIS_URL).toBe('redis://127.0.0.1:6390');
    expect(c.DATABASE_URL).toBe('postgres://drop:drop@127.0.0.1:5440/drop');
    expect(c.KAFKA_BROKERS).toBe('127.0.0.1:9192');
    expect(c.HOLD_TTL_SECONDS).toBe(300);
    expect(c.REAPER_INTERVAL_MS).toBe(250);
    expect(c.WORKER_METRICS_PORT).toBe(9101);
    expect(c.REAPER_METRICS_PORT).toBe(9102);
    expect(c.RATE_LIMIT_PER_IP).toBe(100);
    expect(c.RATE_LIMIT_PER_USER).toBe(20);
    expect(c.LOGIN_FAILURES_PER_MINUTE).toBe(10);
    expect(c.RELAY_ENABLED).toBe(true);
  });

  it('takes config.yml over defaults and the environment over config.yml', () => {
    const file = yamlFile('PORT: 9000\nHOLD_TTL_SECONDS: 60\nRELAY_ENABLED: false\n');
    const fromFile = loadConfig({ CONFIG_FILE: file }, NO_FILE);
    expect(fromFile.PORT).toBe(9000);
    expect(fromFile.HOLD_TTL_SECONDS).toBe(60);
    expect(fromFile.RELAY_ENABLED).toBe(false);
    expect(fromFile.REAPER_INTERVAL_MS).toBe(250);

    const fromEnv = loadConfig({ CONFIG_FILE: file, PORT: '9001', RELAY_ENABLED: 'true' }, NO_FILE);
    expect(fromEnv.PORT).toBe(9001);
    expect(fromEnv.RELAY_ENABLED).toBe(true);
    expect(fromEnv.HOLD_TTL_SECONDS).toBe(60);
  });

  it('reads ./config.yml by default when CONFIG_FILE is not set', () => {
    const file = yamlFile('LOG_LEVEL: debug\n');
    expect(loadConfig({}, file).LOG_LEVEL).toBe('debug');
  });

  it('names the key of a bad environment value', () => {
    expect(badKeys(() => loadConfig({ PORT: 'eighty' }, NO_FILE))).toEqual(['PORT']);
    expect(badKeys(() => loadConfig({ PORT: '70000' }, NO_FILE))).toEqual(['PORT']);
    expect(badKeys(() => loadConfig({ RELAY_ENABLED: 'maybe' }, NO_FILE))).toEqual([
      'RELAY_ENABLED',
    ]);
    expect(badKeys(() => loadConfig({ REDIS_URL: 'http://x' }, NO_FILE))).toEqual(['REDIS_URL']);
    expect(badKeys(() => loadConfig({ KAFKA_BROKERS: 'no-port' }, NO_FILE))).toEqual([
      'KAFKA_BROKERS',
    ]);
    expect(badKeys(() => loadConfig({ JWT_SECRET: 'short' }, NO_FILE))).toEqual(['JWT_SECRET']);
    expect(badKeys(() => loadConfig({ LOG_LEVEL: 'loud' }, NO_FILE))).toEqual(['LOG_LEVEL']);
    expect(
      badKeys(() => loadConfig({ HOLD_TTL_SECONDS: '-1', ADMIN_EMAIL: 'nope' }, NO_FILE)).sort(),
    ).toEqual(['ADMIN_EMAIL', 'HOLD_TTL_SECONDS']);
  });

  it('names the key of a bad or unknown config.yml value, and a missing file', () => {
    expect(badKeys(() => loadConfig({ CONFIG_FILE: yamlFile('PORT: -1\n') }, NO_FILE))).toEqual([
      'PORT',
    ]);
    expect(badKeys(() => loadConfig({ CONFIG_FILE: yamlFile('PROT: 80\n') }, NO_FILE))).toEqual([
      'PROT',
    ]);
    expect(badKeys(() => loadConfig({ CONFIG_FILE: yamlFile('- a\n- b\n') }, NO_FILE))).toEqual([
      'CONFIG_FILE',
    ]);
    expect(badKeys(() => loadConfig({ CONFIG_FILE: join(dir, 'missing.yml') }, NO_FILE))).toEqual([
      'CONFIG_FILE',
    ]);
  });

  it('refuses the development secret and admin password in production', () => {
    expect(
      badKeys(() =>
        loadConfig(
          { ...PROD_OK, JWT_SECRET: DEV_JWT_SECRET, ADMIN_PASSWORD: DEV_ADMIN_PASSWORD },
          NO_FILE,
        ),
      ).sort(),
    ).toEqual(['ADMIN_PASSWORD', 'JWT_SECRET']);
    expect(badKeys(() => loadConfig({ NODE_ENV: 'production' }, NO_FILE)).sort()).toEqual([
      'ADMIN_PASSWORD',
      'JWT_SECRET',
    ]);
    expect(loadConfig(PROD_OK, NO_FILE).NODE_ENV).toBe('production');
    // Outside production the development defaults are what makes `npm start` just work.
    expect(loadConfig({ NODE_ENV: 'development' }, NO_FILE).JWT_SECRET).toBe(DEV_JWT_SECRET);
  });

  it('normalises the admin email', () => {
    expect(loadConfig({ ADMIN_EMAIL: '  Boss@Example.COM ' }, NO_FILE).ADMIN_EMAIL).toBe(
      'boss@example.com',
    );
  });
});
