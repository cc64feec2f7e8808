// The deployment files, checked by structure: this machine has no Docker engine to run
// docker compose, so the test reads what compose would read. promtool validates the
// Prometheus config and rules (CI installs it with the Debian prometheus package).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  healthcheck?: { test: unknown };
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  environment?: Record<string, unknown>;
  volumes?: string[];
  restart?: string;
}

const compose = parseYaml(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};

describe('docker-compose.yml', () => {
  const services = compose.services;

  it('runs the three processes from one image plus Redis, Postgres, Kafka, Prometheus and Grafana', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'api',
        'grafana',
        'kafka',
        'migrate',
        'postgres',
        'prometheus',
        'reaper',
        'redis',
        'worker',
      ].sort(),
    );
    const app = ['api', 'worker', 'reaper', 'migrate'].map((n) => services[n] as Service);
    expect(new Set(app.map((s) => s.image))).toEqual(new Set(['drop-engine:local']));
    expect(services.api?.command).toEqual(['node', 'dist/api/main.js']);
    expect(services.worker?.command).toEqual(['node', 'dist/worker/main.js']);
    expect(services.reaper?.command).toEqual(['node', 'dist/reaper/main.js']);
    expect(services.migrate?.command).toEqual(['node', 'dist/tools/dev/migrate.js']);
    expect(services.kafka?.image).toMatch(/^apache\/kafka:3\.9/);
    expect(services.redis?.command?.join(' ')).toContain('--appendonly yes');
  });

  it('has a healthcheck on every long-running service and waits on health, migrations run once', () => {
    for (const [name, s] of Object.entries(services)) {
      if (name === 'migrate') continue;
      expect(s.healthcheck, name).toBeDefined();
    }
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(services[dep], `${name} → ${dep}`).toBeDefined();
        expect(condition, `${name} → ${dep}`).toBe(
          dep === 'migrate' ? 'service_completed_successfully' : 'service_healthy',
        );
      }
    }
    for (const name of ['api', 'worker', 'reaper']) {
      expect(Object.keys(services[name]?.depends_on ?? {}).sort()).toEqual([
        'kafka',
        'migrate',
        'postgres',
        'redis',
      ]);
    }
    expect(services.migrate?.restart).toBe('no');
  });

  it('binds host ports to 127.0.0.1 and keeps data on named volumes', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const port of s.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:/);
    }
    expect(services.postgres?.volumes?.some((v) => v.startsWith('postgres-data:'))).toBe(true);
    expect(Object.keys(compose.volumes)).toEqual(
      expect.arrayContaining(['postgres-data', 'redis-data', 'kafka-data']),
    );
    // Production config: no development secrets reach the containers.
    expect(services.api?.environment?.NODE_ENV).toBe('production');
    expect(String(services.api?.environment?.JWT_SECRET)).toMatch(/^\$\{JWT_SECRET:\?/);
  });
});

describe('docker-compose.cluster.yml', () => {
  const cluster = parseYaml(readFileSync('docker-compose.cluster.yml', 'utf8'), {
    merge: true,
  }) as { services: Record<string, Service & { profiles?: string[] }> };

  it('adds a 3-master Redis Cluster under the cluster profile and points the three processes at it', () => {
    const nodes = ['redis-c1', 'redis-c2', 'redis-c3'];
    for (const node of nodes) {
      expect(cluster.services[node]?.profiles).toEqual(['cluster']);
      expect(String(cluster.services[node]?.command)).toContain('--cluster-enabled');
    }
    for (const app of ['api', 'worker', 'reaper'])
      expect(cluster.services[app]?.environment?.REDIS_CLUSTER_NODES).toBe(
        nodes.map((n) => `${n}:6379`).join(','),
      );
  });
});

describe('Dockerfile', () => {
  it('is multi-stage and runs as a non-root user', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
  });
});

describe('Prometheus', () => {
  const promtool = (() => {
    try {
      execFileSync('promtool', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it('scrapes api, worker and reaper, with the SLO rules loaded', () => {
    const config = parseYaml(readFileSync('prometheus/prometheus.yml', 'utf8')) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
      rule_files: string[];
    };
    const jobs = Object.fromEntries(
      config.scrape_configs.map((j) => [j.job_name, j.static_configs[0]?.targets]),
    );
    expect(jobs).toMatchObject({
      api: ['api:9100'],
      worker: ['worker:9101'],
      reaper: ['reaper:9102'],
    });
    expect(config.rule_files).toContain('rules.yml');
    const rules = readFileSync('prometheus/rules.yml', 'utf8');
    for (const alert of [
      'ReserveLatencyHigh',
      'ApiHighErrorRate',
      'ReaperLate',
      'OutboxBacklog',
      'ProcessDown',
      'QueueStalled',
      'NotificationsMissing',
    ]) {
      expect(rules).toContain(`alert: ${alert}`);
    }
    // promtool, when the machine has it (CI does): config and rules are valid.
    if (promtool) {
      execFileSync('promtool', ['check', 'config', 'prometheus/prometheus.yml'], { stdio: 'pipe' });
      execFileSync('promtool', ['check', 'rules', 'prometheus/rules.yml'], { stdio: 'pipe' });
    }
  });
});
