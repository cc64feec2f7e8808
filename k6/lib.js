// What the k6 scripts share: request options, the admin's sign-in, and a drop set up the
// way an operator does it (an on-sale event with one category).
import http from 'k6/http';

export const BASE = __ENV.BASE_URL || 'http://127.0.0.1:8080';

export const json = (token) => ({
  headers: {
    'Content-Type': 'application/json',
    ...(token ? { Authorization: `Bearer ${token}` } : {}),
  },
});

export function adminLogin() {
  const res = http.post(
    `${BASE}/v1/auth/login`,
    JSON.stringify({
      email: __ENV.ADMIN_EMAIL || 'admin@example.com',
      password: __ENV.ADMIN_PASSWORD || 'admin-dev-password',
    }),
    json(),
  );
  if (res.status !== 200) throw new Error(`admin login: ${res.status} ${res.body}`);
  return res.json('accessToken');
}

/** An on-sale event with one category of `capacity` seats: {eventId, categoryId}. */
export function createDrop(admin, { name, capacity, holdTtlSeconds, perUserLimit = 10 }) {
  const event = http.post(
    `${BASE}/v1/admin/events`,
    JSON.stringify({
      name,
      venue: 'Load Hall',
      startsAt: new Date(Date.now() + 86_400_000).toISOString(),
      status: 'on_sale',
      holdTtlSeconds,
      perUserLimit,
    }),
    json(admin),
  );
  if (event.status !== 201) throw new Error(`create event: ${event.status} ${event.body}`);
  const eventId = event.json('id');
  const category = http.post(
    `${BASE}/v1/admin/events/${eventId}/categories`,
    JSON.stringify({ name: 'GA', priceCents: 5000, capacity }),
    json(admin),
  );
  if (category.status !== 201)
    throw new Error(`create category: ${category.status} ${category.body}`);
  return { eventId, categoryId: category.json('id') };
}
