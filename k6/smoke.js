// Smoke test for a running stack: liveness and readiness must be fast and always 200.
// Run: k6 run k6/smoke.js   (another target: k6 run -e BASE_URL=http://host:8080 k6/smoke.js)
import { check, sleep } from 'k6';
import http from 'k6/http';

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8080';

export const options = {
  vus: 5,
  duration: '10s',
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(99)<50'],
  },
};

export default function () {
  for (const path of ['/healthz', '/readyz']) {
    const res = http.get(`${BASE_URL}${path}`, { tags: { name: path } });
    check(res, { [`${path} status is 200`]: (r) => r.status === 200 });
  }
  // Keeps this a smoke test rather than a load test.
  sleep(0.1);
}
