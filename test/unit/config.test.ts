import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../platform/config.js';

const NO_FILE = '/nonexistent/config.yml';

describe('configuration', () => {
  it('environment over file over defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'config.yml');
    writeFileSync(file, 'PORT: 9000\nHOLD_TTL_SECONDS: 120\n');
    const config = loadConfig({ CONFIG_FILE: file, PORT: '9100' }, NO_FILE);
    expect(config.PORT).toBe(9100);
    expect(config.HOLD_TTL_SECONDS).toBe(120);
    expect(config.REAPER_INTERVAL_MS).toBe(250);
  });

  it('names the bad key', () => {
    expect(() => loadConfig({ PORT: 'eighty' }, NO_FILE)).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'eighty', HOLD_TTL_SECONDS: '0' }, NO_FILE);
    } catch (err) {
      expect((err as ConfigError).issues.map((i) => i.key).sort()).toEqual([
        'HOLD_TTL_SECONDS',
        'PORT',
      ]);
    }
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
