// Authentication (who is calling) and authorisation (may they) for the routes.
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AccessTokens, Principal, Role } from '../../core/auth/access-tokens.js';
import type { AppEnv } from '../env.js';
import { ApiError } from '../problem.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * The caller a bearer token names, when one is sent and valid. It refuses nothing itself —
 * public routes stay public; guarded routes refuse a request without one. A token seen
 * before is answered from the cache, without a turn of the event loop.
 */
export function callerOf(
  c: Context,
  tokens: AccessTokens,
): Principal | undefined | Promise<Principal | null> {
  const header = c.req.header('authorization');
  const token = header ? BEARER.exec(header)?.[1] : undefined;
  if (!token) return undefined;
  return tokens.known(token) ?? tokens.verify(token);
}

const unauthorized = () =>
  new ApiError('unauthorized', 'A valid bearer access token is required', {
    headers: { 'WWW-Authenticate': 'Bearer realm="drop-engine"' },
  });

/** Any signed-in user. */
export const requireUser = createMiddleware<AppEnv>((c, next) => {
  if (!c.get('principal')) throw unauthorized();
  return next();
});

/** A signed-in user with the role; 403 forbidden for the others. */
export const requireRole = (role: Role) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const principal = c.get('principal');
    if (!principal) throw unauthorized();
    if (principal.role !== role) throw new ApiError('forbidden', `This needs the ${role} role`);
    await next();
  });

/** The principal of a guarded route (requireUser/requireRole ran before). */
export function principalOf(c: { get(key: 'principal'): AppEnv['Variables']['principal'] }) {
  const principal = c.get('principal');
  if (!principal) throw unauthorized();
  return principal;
}
