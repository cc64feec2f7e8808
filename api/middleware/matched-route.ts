import type { Context } from 'hono';
import { matchedRoutes } from 'hono/route';

/**
 * The pattern of the route that handled the request (e.g. `/v1/reservations/:id`), never
 * the raw URL, so metric labels stay bounded. Middleware registers as method ALL; a
 * request that matched only middleware is `unmatched`.
 */
export function matchedRoute(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i];
    if (route && route.method !== 'ALL') return route.path;
  }
  return 'unmatched';
}
