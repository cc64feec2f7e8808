import { getConnInfo } from '@hono/node-server/conninfo';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env.js';
import { requestHeader } from '../node-http.js';

/**
 * Sets c.var.clientIp: the socket's peer, or with `trustProxy` the first address of
 * X-Forwarded-For (what a trusted proxy saw). Never trust that header from the open net:
 * anyone could pick a fresh IP per request and walk past the per-IP limits.
 */
export const clientIp = (trustProxy: boolean) =>
  createMiddleware<AppEnv>((c, next) => {
    let ip: string | undefined;
    if (trustProxy) ip = requestHeader(c, 'x-forwarded-for')?.split(',')[0]?.trim();
    if (!ip) {
      try {
        ip = getConnInfo(c).remote.address;
      } catch {
        // No socket (in-process requests): one shared bucket.
      }
    }
    c.set('clientIp', ip || 'unknown');
    return next();
  });
