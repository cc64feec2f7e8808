// What a request to no route gets: 404 not_found for an unknown path, 405
// method_not_allowed with Allow for a known path with a method it does not have (RFC 9110
// §15.5.6), and the Allow list itself for OPTIONS.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './env.js';
import { ApiError, problemResponse } from './problem.js';

/** Installs the answers on the app; the routes are read on the first such request. */
export function answerUnknownRoutes(app: OpenAPIHono<AppEnv>): void {
  const allowedMethods = methodsByPath(app.routes);
  app.notFound((c) => {
    const allowed = allowedMethods(c.req.path);
    if (allowed.length === 0) {
      return problemResponse(c, new ApiError('not_found', 'No such resource'));
    }
    const allow = allowed.join(', ');
    if (c.req.method === 'OPTIONS') return c.body(null, 204, { Allow: allow });
    return problemResponse(
      c,
      new ApiError('method_not_allowed', `${c.req.method} is not allowed here; use ${allow}`, {
        headers: { Allow: allow },
      }),
    );
  });
}

/**
 * The methods each path answers, from the registered routes (middleware, registered for
 * every method, left out), for 405 answers. Read on first use: all routes are in by then.
 */
function methodsByPath(routes: readonly { method: string; path: string }[]) {
  let table: { pattern: RegExp; methods: Set<string> }[] | undefined;
  const build = () => {
    const byPath = new Map<string, Set<string>>();
    for (const { method, path } of routes) {
      if (method === 'ALL' || path.includes('*')) continue;
      const methods = byPath.get(path) ?? new Set<string>();
      methods.add(method);
      if (method === 'GET') methods.add('HEAD');
      byPath.set(path, methods);
    }
    return [...byPath].map(([path, methods]) => ({
      pattern: new RegExp(
        `^${path
          .split('/')
          .map((part) =>
            part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
          )
          .join('/')}/?$`,
      ),
      methods,
    }));
  };
  return (path: string): string[] => {
    table ??= build();
    const methods = new Set<string>();
    for (const entry of table) {
      if (entry.pattern.test(path)) for (const m of entry.methods) methods.add(m);
    }
    return [...methods];
  };
}
