// The HTTP baseline for k6/drop.js: the same virtual users and request count against
// GET /healthz (no auth, no Redis), so the drop's throughput reads as a ratio to what
// this machine's api can answer at all in the same run.
import http from 'k6/http';
import { BASE, summaryOutput } from './lib.js';

export const options = {
  scenarios: {
    baseline: {
      executor: 'shared-iterations',
      vus: Number(__ENV.VUS || 200),
      iterations: Number(__ENV.REQUESTS || 20000),
      maxDuration: '5m',
    },
  },
  thresholds: { http_req_failed: ['rate==0'] },
};

export default function () {
  http.get(`${BASE}/healthz`);
}

export function handleSummary(data) {
  const d = data.metrics.http_req_duration.values;
  const summary = {
    rps: data.metrics.http_reqs.values.rate,
    med: d.med,
    p95: d['p(95)'],
    p99: d['p(99)'],
  };
  return summaryOutput('baseline', summary, 'baseline /healthz');
}
