import type { Context } from 'hono';
import type { AppEnv } from '../env.js';

/**
 * The client's address: the socket's peer, or with `trustProxy` the first address of
 * X-Forwarded-For (what a trusted proxy saw). Never trust that header from the open net:
 * anyone could pick a fresh IP per request and walk past the per-IP limits.
 */
export function clientIpOf(c: Context<AppEnv>, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
    if (forwarded) return forwarded;
  }
  return c.env.incoming.socket.remoteAddress || 'unknown';
}
