// Authentication (who is calling) and authorisation (may they) for the routes.
import { createMiddleware } from 'hono/factory';
import type { AccessTokens, Role } from '../../common/auth/access-tokens.js';
import type { AppEnv } from '../env.js';
import { requestHeader } from '../node-http.js';
import { ApiError } from '../problem.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Reads a bearer token when one is sent and sets c.var.principal. It refuses nothing
 * itself — public routes stay public — but a token that is present and invalid is
 * remembered, so a guarded route can say why it refuses.
 */
export const authenticate = (tokens: AccessTokens) =>
  createMiddleware<AppEnv>((c, next) => {
    const header = requestHeader(c, 'authorization');
    const token = header ? BEARER.exec(header)?.[1] : undefined;
    if (!token) return next();
    // A token seen before is answered from the cache without a turn of the event loop.
    const known = tokens.known(token);
    if (known) {
      c.set('principal', known);
      return next();
    }
    return tokens.verify(token).then((principal) => {
      if (principal) c.set('principal', principal);
      return next();
    });
  });

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
